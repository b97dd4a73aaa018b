/**
 * Flat little-endian structures described by a field list: most RDP PDUs
 * are a row of u16/u32 fields, some of them optional at the end (a shorter
 * PDU from an older peer simply stops early). Parsing keeps how many fields
 * were present and any bytes after the last one, so an unedited structure
 * serializes to exactly the bytes it came from.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

/** A field: little-endian integer, or a fixed number of raw bytes. */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'i32' | number;
export type Schema = readonly (readonly [string, FieldKind])[];

export interface Struct {
  fields: Record<string, number | Buffer>;
  /** How many fields of the schema were present, in order. */
  present: number;
  /** Bytes after the last field read (extensions this codec does not model). */
  tail: Buffer;
}

const size = (k: FieldKind): number => (k === 'u8' ? 1 : k === 'u16' ? 2 : typeof k === 'number' ? k : 4);

/**
 * Reads the first `required` fields (a codec error if they are cut short),
 * then each optional one that fits whole; with `keepTail` the rest is the
 * tail, otherwise the reader stops after the last field.
 */
export function readStruct(r: Reader, schema: Schema, required = schema.length, keepTail = true): Struct {
  const fields: Record<string, number | Buffer> = {};
  let present = 0;
  for (const [name, kind] of schema) {
    if (present >= required && r.remaining < size(kind)) break;
    fields[name] = kind === 'u8' ? r.u8(name) : kind === 'u16' ? r.u16le(name) : kind === 'u32' ? r.u32le(name) : kind === 'i32' ? r.i32le(name) : r.bytes(kind, name);
    present++;
  }
  return { fields, present, tail: keepTail ? r.rest() : Buffer.alloc(0) };
}

export function writeStruct(w: Writer, schema: Schema, s: Struct): Writer {
  schema.slice(0, s.present).forEach(([name, kind]) => {
    const v = s.fields[name];
    if (v === undefined) throw codecError(['struct'], `field ${name} is missing`);
    if (typeof kind === 'number') {
      if (!Buffer.isBuffer(v) || v.length !== kind) throw codecError(['struct'], `field ${name} must be ${kind} bytes`);
      w.bytes(v);
    } else if (typeof v !== 'number') throw codecError(['struct'], `field ${name} must be a number`);
    else if (kind === 'u8') w.u8(v);
    else if (kind === 'u16') w.u16le(v);
    else if (kind === 'i32') w.i32le(v);
    else w.u32le(v);
  });
  return w.bytes(s.tail);
}

export function structBytes(schema: Schema, s: Struct): Buffer {
  return writeStruct(new Writer(), schema, s).done();
}

export function parseStruct(buf: Buffer, layer: string, schema: Schema, required = schema.length): Struct {
  return readStruct(new Reader(buf, layer), schema, required);
}

/** A numeric field, or a codec error naming it. */
export function num(s: Struct, name: string): number {
  const v = s.fields[name];
  if (typeof v !== 'number') throw codecError(['struct'], `no field ${name}`);
  return v;
}
