/**
 * Values of the binary protocol, as sent in COM_STMT_EXECUTE parameters and
 * binary result set rows (MySQL Source Code Documentation, "Client/Server
 * Protocol", sections "Binary Protocol Value" and "Column Definition";
 * MariaDB Knowledge Base, "Resultset row" and "Result Set Packets"), and how
 * to show any value to a person as the mysql command-line client does.
 *
 *   TINY int<1> | SHORT, YEAR int<2> | LONG, INT24 int<4> | LONGLONG int<8>
 *     (two's complement unless the column is UNSIGNED; a parameter's type
 *     says so with 0x80 in its second byte)
 *   FLOAT 4 bytes, DOUBLE 8 bytes: IEEE 754, little-endian
 *   DATE, DATETIME, TIMESTAMP: length:int<1> (0, 4, 7 or 11) | year:int<2>
 *     | month | day [| hour | minute | second [| microsecond:int<4>]]
 *   TIME: length:int<1> (0, 8 or 12) | negative:int<1> | days:int<4>
 *     | hour | minute | second [| microsecond:int<4>]
 *   NULL: nothing (the NULL bitmap says so)
 *   everything else (DECIMAL, strings, BLOBs, JSON, ENUM, SET, BIT,
 *     GEOMETRY, VECTOR): string<lenenc>
 *
 * Invariants:
 * - decoding never reads past the payload: a short value is a ProtocolError;
 * - integers are numbers when exact, else bigints; string-like values are
 *   zero-copy subarrays;
 * - formatting never throws; bytes of the binary character set that are not
 *   printable UTF-8 are shown as 0x-hex.
 */
import { isUtf8 } from 'node:buffer';
import { formatDouble, formatFixed, formatFloat } from './floats.js';
import type { PayloadWriter } from './payload-writer.js';
import { PayloadReader, protocolError, type Side } from './wire.js';

/** Column and parameter types (enum_field_types). */
export const enum ColumnType {
  DECIMAL = 0x00,
  TINY = 0x01,
  SHORT = 0x02,
  LONG = 0x03,
  FLOAT = 0x04,
  DOUBLE = 0x05,
  NULL = 0x06,
  TIMESTAMP = 0x07,
  LONGLONG = 0x08,
  INT24 = 0x09,
  DATE = 0x0a,
  TIME = 0x0b,
  DATETIME = 0x0c,
  YEAR = 0x0d,
  NEWDATE = 0x0e,
  VARCHAR = 0x0f,
  BIT = 0x10,
  TIMESTAMP2 = 0x11,
  DATETIME2 = 0x12,
  TIME2 = 0x13,
  TYPED_ARRAY = 0x14,
  VECTOR = 0xf2,
  INVALID = 0xf3,
  BOOL = 0xf4,
  JSON = 0xf5,
  NEWDECIMAL = 0xf6,
  ENUM = 0xf7,
  SET = 0xf8,
  TINY_BLOB = 0xf9,
  MEDIUM_BLOB = 0xfa,
  LONG_BLOB = 0xfb,
  BLOB = 0xfc,
  VAR_STRING = 0xfd,
  STRING = 0xfe,
  GEOMETRY = 0xff,
}

/** Column definition flags. */
export const enum ColumnFlag {
  NOT_NULL = 0x1,
  PRI_KEY = 0x2,
  UNIQUE_KEY = 0x4,
  MULTIPLE_KEY = 0x8,
  BLOB = 0x10,
  UNSIGNED = 0x20,
  ZEROFILL = 0x40,
  BINARY = 0x80,
  ENUM = 0x100,
  AUTO_INCREMENT = 0x200,
  TIMESTAMP = 0x400,
  SET = 0x800,
  NO_DEFAULT_VALUE = 0x1000,
  ON_UPDATE_NOW = 0x2000,
  NUM = 0x8000,
}

/** The `binary` character set: such string columns hold bytes, not text. */
export const BINARY_CHARSET = 63;

/** A parameter type's second byte: the value is unsigned. */
export const PARAM_UNSIGNED = 0x80;

/** Decimals at or above this mean "not fixed" (MariaDB's NOT_FIXED_DEC is 31, MySQL's DECIMAL_NOT_SPECIFIED 39). */
export const NOT_FIXED_DECIMALS = 31;

/**
 * Types the mysql client right-aligns in its tables: those its IS_NUM
 * macro accepts (DECIMAL through INT24 except TIMESTAMP, YEAR, NEWDECIMAL).
 */
export const RIGHT_ALIGNED_TYPES: ReadonlySet<number> = new Set([
  ColumnType.DECIMAL,
  ColumnType.TINY,
  ColumnType.SHORT,
  ColumnType.LONG,
  ColumnType.FLOAT,
  ColumnType.DOUBLE,
  ColumnType.NULL,
  ColumnType.LONGLONG,
  ColumnType.INT24,
  ColumnType.YEAR,
  ColumnType.NEWDECIMAL,
]);

export interface MysqlDateTime {
  kind: 'datetime';
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
}

export interface MysqlTime {
  kind: 'time';
  negative: boolean;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  microseconds: number;
}

/**
 * A decoded binary-protocol value: null for SQL NULL; number or bigint for
 * integer, FLOAT and DOUBLE types; MysqlDateTime for DATE, DATETIME and
 * TIMESTAMP; MysqlTime for TIME; the bytes for everything else.
 */
export type BinaryValue = number | bigint | Buffer | MysqlDateTime | MysqlTime | null;

/** What formatting needs to know about a column (ColumnDefinition has it all). */
export interface ColumnFormat {
  type: number;
  flags: number;
  charset: number;
  decimals: number;
  /** Display width, used to pad ZEROFILL numbers. */
  columnLength?: number;
}

/** Types readBinaryValue reads otherwise than as string<lenenc> bytes: integers, floats, dates and times. */
const NOT_BYTES = [
  ColumnType.NULL, ColumnType.TINY, ColumnType.SHORT, ColumnType.YEAR, ColumnType.LONG, ColumnType.INT24, ColumnType.LONGLONG, ColumnType.FLOAT, ColumnType.DOUBLE,
  ColumnType.DATE, ColumnType.DATETIME, ColumnType.TIMESTAMP, ColumnType.NEWDATE, ColumnType.DATETIME2, ColumnType.TIMESTAMP2, ColumnType.TIME, ColumnType.TIME2,
];
/** By type (one byte on the wire): 1 where the value is string<lenenc> bytes. */
const READ_AS_BYTES = new Uint8Array(256).fill(1);
for (const type of NOT_BYTES) READ_AS_BYTES[type] = 0;

/**
 * Whether a binary-protocol value of `type` is string<lenenc> bytes (strings, decimals, blobs,
 * JSON, BIT, ENUM, SET, GEOMETRY, and types this module does not know).
 */
export function binaryValueIsBytes(type: number): boolean {
  return READ_AS_BYTES[type & 0xff] === 1;
}

/** Reads one value of `type` (with `unsigned` for integer types) from `r`. */
export function readBinaryValue(r: PayloadReader, type: number, unsigned: boolean, index: number): BinaryValue {
  if (binaryValueIsBytes(type)) return r.lenencBytes('value', index);
  switch (type) {
    case ColumnType.NULL:
      return null;
    case ColumnType.TINY: {
      const v = r.int1('value', index);
      return unsigned || v < 0x80 ? v : v - 0x100;
    }
    case ColumnType.SHORT:
    case ColumnType.YEAR: {
      const v = r.int2('value', index);
      return unsigned || v < 0x8000 ? v : v - 0x1_0000;
    }
    case ColumnType.LONG:
    case ColumnType.INT24:
      return unsigned ? r.int4('value', index) : r.int4Signed('value', index);
    case ColumnType.LONGLONG:
      return unsigned ? r.int8('value', index) : r.int8Signed('value', index);
    case ColumnType.FLOAT:
      return r.float4('value', index);
    case ColumnType.DOUBLE:
      return r.float8('value', index);
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
    case ColumnType.NEWDATE:
    case ColumnType.DATETIME2:
    case ColumnType.TIMESTAMP2:
      return readDateTime(r, index);
    case ColumnType.TIME:
    case ColumnType.TIME2:
      return readTime(r, index);
    default:
      throw new Error(`type ${type} is read as bytes`);
  }
}

function readDateTime(r: PayloadReader, index: number): MysqlDateTime {
  const length = r.int1('the length of value', index);
  if (length !== 0 && length !== 4 && length !== 7 && length !== 11) r.fail(`gives date/time value ${index + 1} a length of ${length}, not 0, 4, 7 or 11`);
  const v: MysqlDateTime = { kind: 'datetime', year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0 };
  if (length === 0) return v;
  const b = r.bytes(length, 'value', index);
  v.year = b.readUInt16LE(0);
  v.month = b[2]!;
  v.day = b[3]!;
  if (length >= 7) {
    v.hour = b[4]!;
    v.minute = b[5]!;
    v.second = b[6]!;
  }
  if (length === 11) v.microsecond = b.readUInt32LE(7);
  return v;
}

function readTime(r: PayloadReader, index: number): MysqlTime {
  const length = r.int1('the length of value', index);
  if (length !== 0 && length !== 8 && length !== 12) r.fail(`gives time value ${index + 1} a length of ${length}, not 0, 8 or 12`);
  const v: MysqlTime = { kind: 'time', negative: false, days: 0, hours: 0, minutes: 0, seconds: 0, microseconds: 0 };
  if (length === 0) return v;
  const b = r.bytes(length, 'value', index);
  v.negative = b[0] === 1;
  v.days = b.readUInt32LE(1);
  v.hours = b[5]!;
  v.minutes = b[6]!;
  v.seconds = b[7]!;
  if (length === 12) v.microseconds = b.readUInt32LE(8);
  return v;
}

/**
 * Writes one value of `type`; `value` must be of the kind readBinaryValue
 * gives for that type (a string is accepted for string-like types).
 * Date/time values take their shortest form.
 */
export function writeBinaryValue(w: PayloadWriter, side: Side, type: number, unsigned: boolean, value: Exclude<BinaryValue, null> | string): void {
  const fail = (what: string): never => {
    throw protocolError(side, `binary value of type ${type} cannot be written from ${what}`);
  };
  switch (type) {
    case ColumnType.TINY:
    case ColumnType.SHORT:
    case ColumnType.YEAR:
    case ColumnType.LONG:
    case ColumnType.INT24:
    case ColumnType.LONGLONG: {
      if (typeof value !== 'number' && typeof value !== 'bigint') return fail(typeof value);
      const bytes = type === ColumnType.TINY ? 1 : type === ColumnType.LONGLONG ? 8 : type === ColumnType.LONG || type === ColumnType.INT24 ? 4 : 2;
      const b = Buffer.alloc(8);
      const big = BigInt(value);
      if (unsigned) b.writeBigUInt64LE(BigInt.asUintN(64, big));
      else b.writeBigInt64LE(BigInt.asIntN(64, big));
      w.bytes(b.subarray(0, bytes));
      return;
    }
    case ColumnType.FLOAT:
    case ColumnType.DOUBLE: {
      if (typeof value !== 'number') return fail(typeof value);
      const b = Buffer.alloc(type === ColumnType.FLOAT ? 4 : 8);
      if (type === ColumnType.FLOAT) b.writeFloatLE(value);
      else b.writeDoubleLE(value);
      w.bytes(b);
      return;
    }
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
    case ColumnType.NEWDATE:
    case ColumnType.DATETIME2:
    case ColumnType.TIMESTAMP2: {
      if (typeof value !== 'object' || Buffer.isBuffer(value) || value.kind !== 'datetime') return fail('a value that is not a date-time');
      const v = value;
      const length = v.microsecond ? 11 : v.hour || v.minute || v.second ? 7 : v.year || v.month || v.day ? 4 : 0;
      w.int1(length);
      if (length >= 4) w.int2(v.year).int1(v.month).int1(v.day);
      if (length >= 7) w.int1(v.hour).int1(v.minute).int1(v.second);
      if (length === 11) w.int4(v.microsecond);
      return;
    }
    case ColumnType.TIME:
    case ColumnType.TIME2: {
      if (typeof value !== 'object' || Buffer.isBuffer(value) || value.kind !== 'time') return fail('a value that is not a time');
      const v = value;
      const length = v.microseconds ? 12 : v.negative || v.days || v.hours || v.minutes || v.seconds ? 8 : 0;
      w.int1(length);
      if (length >= 8) w.int1(v.negative ? 1 : 0).int4(v.days).int1(v.hours).int1(v.minutes).int1(v.seconds);
      if (length === 12) w.int4(v.microseconds);
      return;
    }
    case ColumnType.NULL:
      return;
    default:
      if (typeof value === 'string') w.lenencString(value);
      else if (Buffer.isBuffer(value)) w.lenencBytes(value);
      else fail(typeof value);
  }
}

/**
 * True when bytes are valid UTF-8 holding no control characters (C0, DEL,
 * C1) other than tab, newline and carriage return.
 */
export function isPrintableUtf8(b: Buffer): boolean {
  const n = b.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    } else if (c >= 0x7f) {
      if (c === 0x7f) return false;
      ascii = false;
      // In valid UTF-8, U+0080..U+009F (C1 controls) are 0xC2 then 0x80..0x9F.
      if (c === 0xc2 && (b[i + 1] ?? 0) < 0xa0) return false;
    }
  }
  return ascii || isUtf8(b);
}

/** Bytes as the mysql client prints binary data with --binary-as-hex: 0x, then upper-case hex digits. */
export function hexLiteral(b: Buffer): string {
  return `0x${b.toString('hex').toUpperCase()}`;
}

/** A string-like value: text, or 0x-hex for bytes of the binary character set that are not printable text. */
function formatBytes(b: Buffer, column: ColumnFormat): string {
  if (column.charset === BINARY_CHARSET && !isPrintableUtf8(b)) return hexLiteral(b);
  return b.toString('utf8');
}

/** A text-protocol value as the mysql client shows it; null for SQL NULL. */
export function formatTextValue(value: Buffer | null, column: ColumnFormat): string | null {
  if (value === null) return null;
  return formatBytes(value, column);
}

/**
 * A binary-protocol value as the server would have written it in the text
 * protocol, and so as the mysql client shows it; null for SQL NULL.
 */
export function formatBinaryValue(value: BinaryValue, column: ColumnFormat): string | null {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return formatBytes(value, column);
  if (typeof value === 'object') {
    return value.kind === 'time' ? formatTime(value, column.decimals) : formatDateTime(value, column.type, column.decimals);
  }
  let text: string;
  if (column.type === ColumnType.FLOAT || column.type === ColumnType.DOUBLE) {
    if (typeof value === 'bigint') return String(value);
    if (column.decimals < NOT_FIXED_DECIMALS) text = formatFixed(value, column.decimals);
    else text = column.type === ColumnType.FLOAT ? formatFloat(value) : formatDouble(value);
  } else if (column.type === ColumnType.YEAR) {
    return String(value).padStart(4, '0');
  } else {
    text = String(value);
  }
  if (column.flags & ColumnFlag.ZEROFILL && column.columnLength !== undefined && text.length < column.columnLength) {
    text = text.padStart(column.columnLength, '0');
  }
  return text;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Fraction digits shown: the column's decimals, or 6 when they are not fixed and there is a fraction. */
function fraction(micro: number, decimals: number): string {
  const digits = decimals <= 6 ? decimals : micro !== 0 ? 6 : 0;
  if (digits === 0) return '';
  return `.${String(micro).padStart(6, '0').slice(0, digits)}`;
}

function formatDateTime(v: MysqlDateTime, type: number, decimals: number): string {
  const date = `${String(v.year).padStart(4, '0')}-${pad2(v.month)}-${pad2(v.day)}`;
  if (type === ColumnType.DATE || type === ColumnType.NEWDATE) return date;
  return `${date} ${pad2(v.hour)}:${pad2(v.minute)}:${pad2(v.second)}${fraction(v.microsecond, decimals)}`;
}

function formatTime(v: MysqlTime, decimals: number): string {
  const hours = v.days * 24 + v.hours;
  const sign = v.negative ? '-' : '';
  return `${sign}${pad2(hours)}:${pad2(v.minutes)}:${pad2(v.seconds)}${fraction(v.microseconds, decimals)}`;
}
