/**
 * Shows a parameter or a column value to a person. A value comes in text
 * format (0), which is already what the server prints, or binary format (1),
 * each type's send representation (PostgreSQL documentation,
 * "Frontend/Backend Protocol", section "Formats and Format Codes"):
 *
 *   bool Byte1 | int2/int4/int8 Int16/32/64 | oid Int32 unsigned
 *   text, varchar, bpchar, name, json: the characters | jsonb: 0x01 then text
 *   uuid: 16 bytes | bytea: the bytes, shown \x-hex as PostgreSQL does
 *   float4/float8 (floats.ts), numeric (numeric.ts), date/timestamp[tz] (datetime.ts)
 *
 * Invariants:
 * - output matches what psql shows for the same value with DateStyle ISO,
 *   extra_float_digits 1 (the default) and TimeZone UTC;
 * - a binary value of another type, or one whose bytes do not fit its type
 *   (wrong length, bad numeric digit), is shown as \x and hex, never an error;
 * - strings are decoded as UTF-8.
 */
import { formatDate, formatTimestamp } from './datetime.js';
import { FLOAT4, FLOAT8, formatFloat } from './floats.js';
import { formatNumeric } from './numeric.js';

export const enum TypeOid {
  Bool = 16,
  Bytea = 17,
  Name = 19,
  Int8 = 20,
  Int2 = 21,
  Int4 = 23,
  Text = 25,
  Oid = 26,
  Xid = 28,
  Cid = 29,
  Json = 114,
  Float4 = 700,
  Float8 = 701,
  Money = 790,
  Bpchar = 1042,
  Varchar = 1043,
  Date = 1082,
  Timestamp = 1114,
  Timestamptz = 1184,
  Numeric = 1700,
  Uuid = 2950,
  Jsonb = 3802,
  Xid8 = 5069,
}

/** Types psql right-aligns in its tables (its column_type_alignment). */
export const RIGHT_ALIGNED_TYPES: ReadonlySet<number> = new Set([
  TypeOid.Int2,
  TypeOid.Int4,
  TypeOid.Int8,
  TypeOid.Float4,
  TypeOid.Float8,
  TypeOid.Numeric,
  TypeOid.Oid,
  TypeOid.Xid,
  TypeOid.Xid8,
  TypeOid.Cid,
  TypeOid.Money,
]);

/** null for SQL NULL; otherwise the value as psql would print it, or \x-hex. */
export function formatValue(value: Buffer | null, format: number, typeOid: number): string | null {
  if (value === null) return null;
  if (format === 0) return value.toString('utf8');
  if (format === 1) return formatBinary(value, typeOid) ?? hex(value);
  return hex(value);
}

function hex(v: Buffer): string {
  return `\\x${v.toString('hex')}`;
}

/** null when the type is not one shown here or the bytes do not fit it. */
function formatBinary(v: Buffer, typeOid: number): string | null {
  const n = v.length;
  switch (typeOid) {
    case TypeOid.Bool:
      return n === 1 ? (v[0] === 0 ? 'f' : 't') : null;
    case TypeOid.Bytea:
      return hex(v);
    case TypeOid.Int2:
      return n === 2 ? String(v.readInt16BE(0)) : null;
    case TypeOid.Int4:
      return n === 4 ? String(v.readInt32BE(0)) : null;
    case TypeOid.Int8:
      return n === 8 ? v.readBigInt64BE(0).toString() : null;
    case TypeOid.Oid:
      return n === 4 ? String(v.readUInt32BE(0)) : null;
    case TypeOid.Float4:
      return n === 4 ? formatFloat(BigInt(v.readUInt32BE(0)), FLOAT4) : null;
    case TypeOid.Float8:
      return n === 8 ? formatFloat(v.readBigUInt64BE(0), FLOAT8) : null;
    case TypeOid.Text:
    case TypeOid.Varchar:
    case TypeOid.Bpchar:
    case TypeOid.Name:
    case TypeOid.Json:
      return v.toString('utf8');
    case TypeOid.Jsonb:
      return n >= 1 && v[0] === JSONB_VERSION ? v.toString('utf8', 1) : null;
    case TypeOid.Date:
      return n === 4 ? formatDate(v.readInt32BE(0)) : null;
    case TypeOid.Timestamp:
      return n === 8 ? formatTimestamp(v.readBigInt64BE(0), '') : null;
    case TypeOid.Timestamptz:
      return n === 8 ? formatTimestamp(v.readBigInt64BE(0), '+00') : null;
    case TypeOid.Uuid:
      return n === 16 ? formatUuid(v.toString('hex')) : null;
    case TypeOid.Numeric:
      return formatNumeric(v);
    default:
      return null;
  }
}

const JSONB_VERSION = 1;

function formatUuid(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

