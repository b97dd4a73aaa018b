/**
 * The small part of DER (ITU-T X.690) that CredSSP and X.509 public keys need:
 * definite lengths, SEQUENCE, context tags [n] (constructed), INTEGER,
 * OCTET STRING and BIT STRING. Pure: bytes in, values out.
 */
import { ProtocolError } from '../errors.js';

export const enum Tag {
  Integer = 0x02,
  BitString = 0x03,
  OctetString = 0x04,
  Sequence = 0x30,
}

/** The constructed context-specific tag [n]. */
export const context = (n: number): number => 0xa0 | n;

export interface Tlv {
  tag: number;
  /** The contents, a view into the input. */
  value: Buffer;
  /** Bytes the whole element takes, header included. */
  size: number;
}

const fail = (message: string): never => {
  throw new ProtocolError(['der'], message);
};

/**
 * The size of the element starting at `buf[0]`, header included, or null when
 * `buf` does not yet hold its header. Throws on an indefinite or absurd length.
 */
export function elementSize(buf: Buffer, maxSize = 1 << 20): number | null {
  if (buf.length < 2) return null;
  const first = buf[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0) return fail('indefinite length is not DER');
  if (count > 4) return fail(`a length of ${count} bytes is too long`);
  if (buf.length < 2 + count) return null;
  const length = buf.readUIntBE(2, count);
  if (length < 0x80 || (count > 1 && buf[2] === 0)) fail('length not in its shortest form');
  const size = 2 + count + length;
  if (size > maxSize) fail(`an element of ${size} bytes is larger than ${maxSize}`);
  return size;
}

/** Reads the element at the start of `buf`. */
export function readTlv(buf: Buffer): Tlv {
  if ((buf[0]! & 0x1f) === 0x1f) fail('multi-byte tags are not used here');
  const size = elementSize(buf, buf.length);
  if (size === null || size > buf.length) return fail('element cut short');
  const header = buf[1]! < 0x80 ? 2 : 2 + (buf[1]! & 0x7f);
  return { tag: buf[0]!, value: buf.subarray(header, size), size };
}

/** Every element inside a constructed value, in order. */
export function readAll(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < buf.length; ) {
    const tlv = readTlv(buf.subarray(at));
    out.push(tlv);
    at += tlv.size;
  }
  return out;
}

/** The contents of `tlv`, which must carry `tag`. */
export function expect(tlv: Tlv | undefined, tag: number, what: string): Buffer {
  if (tlv === undefined) return fail(`${what} is missing`);
  if (tlv.tag !== tag) fail(`${what}: tag 0x${tlv.tag.toString(16)} where 0x${tag.toString(16)} belongs`);
  return tlv.value;
}

/** An INTEGER that fits in 32 bits, read as unsigned (NTSTATUS codes are sent as negative numbers). */
export function readUint32(value: Buffer, what: string): number {
  if (value.length === 0 || value.length > 5 || (value.length === 5 && value[0] !== 0)) fail(`${what} is not a 32-bit integer`);
  const bytes = value.length === 5 ? value.subarray(1) : value;
  let n = bytes.readUIntBE(0, bytes.length);
  // A negative number of fewer than 4 bytes extends its sign to 32 bits.
  if (value.length < 4 && (value[0]! & 0x80) !== 0) n = (n - 2 ** (8 * value.length) + 2 ** 32) >>> 0;
  return n >>> 0;
}

function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([header(tag, body.length), body]);
}

/**
 * An INTEGER of a 32-bit value. Values of 2^31 and above are written as the
 * negative number with the same 32 bits, as Windows and FreeRDP write NTSTATUS.
 */
export function integer(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`integer ${value} out of range`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  let start = 0;
  // Shortest two's complement form: drop a leading byte that only repeats the sign.
  while (start < 3 && ((b[start] === 0 && (b[start + 1]! & 0x80) === 0) || (b[start] === 0xff && (b[start + 1]! & 0x80) !== 0))) start++;
  return tlv(Tag.Integer, b.subarray(start));
}

export const octetString = (value: Uint8Array): Buffer => tlv(Tag.OctetString, Buffer.from(value));
export const sequence = (...items: Buffer[]): Buffer => tlv(Tag.Sequence, ...items);
export const explicit = (n: number, item: Buffer): Buffer => tlv(context(n), item);
