/**
 * Field-level reading for the MySQL/MariaDB client/server protocol (MySQL
 * Source Code Documentation, "Client/Server Protocol", section "Basic Data
 * Types"; MariaDB Knowledge Base, "Clients & Utilities / Server-Client
 * protocol", page "Protocol Data Types"); payload-writer.ts writes the same
 * types:
 *
 *   int<1> int<2> int<3> int<4> int<8>   little-endian unsigned integers
 *   int<lenenc>     first byte < 0xFB: the value; 0xFC + int<2>; 0xFD + int<3>;
 *                   0xFE + int<8>; 0xFB is NULL in a text row; 0xFF never starts one
 *   string<lenenc>  int<lenenc> length, then that many bytes
 *   string<NUL>     bytes up to a 0x00 byte
 *   string<EOF>     the rest of the payload
 *
 * Invariants:
 * - readers never read past the payload they were given: running short is a
 *   ProtocolError naming the packet and field, never the bytes themselves;
 * - byte fields are zero-copy subarrays of the payload;
 * - strings are decoded as UTF-8 (the gateway expects utf8/utf8mb4 results;
 *   other character sets show up as replacement characters, never errors);
 * - an int<lenenc> above Number.MAX_SAFE_INTEGER is returned as a bigint,
 *   any smaller one as a number.
 */
import { ProtocolError } from '../../../src/errors.js';
import { utf8Slice } from '../../../src/node-buffer.js';

/** Who sent the bytes. */
export type Side = 'client' | 'server';

export function protocolError(side: Side, message: string): ProtocolError {
  return new ProtocolError(['mysql', side], message);
}

/** "1 byte", "2 bytes". */
export function byteCount(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

/** A byte shown safely in an error message: "0x1f". */
export function hexByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** Field name for error messages, with a 1-based ordinal when given one. */
function fieldName(field: string, index: number): string {
  return index < 0 ? field : `${field} ${index + 1}`;
}

/** First bytes of int<lenenc>. */
export const enum Lenenc {
  /** Marks SQL NULL in a text-protocol row. */
  Null = 0xfb,
  Two = 0xfc,
  Three = 0xfd,
  Eight = 0xfe,
}

const TWO_32 = 0x1_0000_0000;

/** Strings up to this many bytes are decoded in JavaScript when they are ASCII (names, schemas, numbers). */
const SHORT_TEXT = 8;

/**
 * `payload[start, end)` as UTF-8 text. Short ASCII strings, which most
 * fields are, are put together here: cheaper than the call into the
 * runtime that longer or non-ASCII text takes, and the same string.
 */
function text(payload: Buffer, start: number, end: number): string {
  if (end - start > SHORT_TEXT) return utf8Slice(payload, start, end);
  let s = '';
  for (let i = start; i < end; i++) {
    const c = payload[i]!;
    if (c >= 0x80) return utf8Slice(payload, start, end);
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Reads one payload front to back. `name` names the packet in error
 * messages ("OK packet ends inside the affected rows"); fields optionally
 * take a 0-based `index` shown 1-based, so that no string is built unless
 * the payload is malformed.
 */
export class PayloadReader {
  private offset: number;
  /** Where the payload ends in `payload`: a payload may be read where it lies in a larger chunk. */
  private readonly limit: number;

  constructor(
    private readonly payload: Buffer,
    private readonly side: Side,
    private readonly name: string,
    offset = 0,
    end = payload.length,
  ) {
    this.offset = offset;
    this.limit = end;
  }

  get remaining(): number {
    return this.limit - this.offset;
  }

  /** Bytes read so far. */
  get position(): number {
    return this.offset;
  }

  /** The next byte without reading it, or -1 at the end. */
  peek(): number {
    return this.offset < this.limit ? this.payload[this.offset]! : -1;
  }

  /** Bit `i` (least significant first) of the bitmap at `at`, a position already read past. */
  bitAt(at: number, i: number): boolean {
    return (this.payload[at + (i >>> 3)]! & (1 << (i & 7))) !== 0;
  }

  fail(message: string): never {
    throw protocolError(this.side, `${this.name} ${message}`);
  }

  private need(n: number, field: string, index: number): void {
    if (n > this.limit - this.offset) this.fail(`ends inside ${fieldName(field, index)}`);
  }

  int1(field: string, index = -1): number {
    this.need(1, field, index);
    return this.payload[this.offset++]!;
  }

  int2(field: string, index = -1): number {
    this.need(2, field, index);
    const v = this.payload.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  int3(field: string, index = -1): number {
    this.need(3, field, index);
    const p = this.payload;
    const o = this.offset;
    this.offset += 3;
    return p[o]! | (p[o + 1]! << 8) | (p[o + 2]! << 16);
  }

  int4(field: string, index = -1): number {
    this.need(4, field, index);
    const v = this.payload.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  /** int<8>, unsigned: a number when exact, else a bigint. */
  int8(field: string, index = -1): number | bigint {
    this.need(8, field, index);
    const v = readUInt64(this.payload, this.offset);
    this.offset += 8;
    return v;
  }

  /** int<4>, two's complement. */
  int4Signed(field: string, index = -1): number {
    this.need(4, field, index);
    const v = this.payload.readInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  /** int<8>, two's complement: a number when exact, else a bigint. */
  int8Signed(field: string, index = -1): number | bigint {
    this.need(8, field, index);
    const v = readInt64(this.payload, this.offset);
    this.offset += 8;
    return v;
  }

  /** IEEE 754 single precision, little-endian. */
  float4(field: string, index = -1): number {
    this.need(4, field, index);
    const v = this.payload.readFloatLE(this.offset);
    this.offset += 4;
    return v;
  }

  /** IEEE 754 double precision, little-endian. */
  float8(field: string, index = -1): number {
    this.need(8, field, index);
    const v = this.payload.readDoubleLE(this.offset);
    this.offset += 8;
    return v;
  }

  /** int<lenenc>; 0xFB (NULL) and 0xFF are refused. */
  lenencInt(field: string, index = -1): number | bigint {
    this.need(1, field, index);
    const first = this.payload[this.offset]!;
    if (first < Lenenc.Null) {
      this.offset++;
      return first;
    }
    return this.lenencTail(first, field, index);
  }

  /** int<lenenc> that may be 0xFB, read as null. */
  nullableLenencInt(field: string, index = -1): number | bigint | null {
    this.need(1, field, index);
    const first = this.payload[this.offset]!;
    if (first < Lenenc.Null) {
      this.offset++;
      return first;
    }
    if (first === Lenenc.Null) {
      this.offset++;
      return null;
    }
    return this.lenencTail(first, field, index);
  }

  private lenencTail(first: number, field: string, index: number): number | bigint {
    const p = this.payload;
    const o = this.offset;
    switch (first) {
      case Lenenc.Two:
        this.need(3, field, index);
        this.offset += 3;
        return p[o + 1]! | (p[o + 2]! << 8);
      case Lenenc.Three:
        this.need(4, field, index);
        this.offset += 4;
        return p[o + 1]! | (p[o + 2]! << 8) | (p[o + 3]! << 16);
      case Lenenc.Eight: {
        this.need(9, field, index);
        this.offset += 9;
        return readUInt64(p, o + 1);
      }
      default:
        this.fail(`has ${hexByte(first)} where ${fieldName(field, index)} should start a length-encoded integer`);
    }
  }

  /** An int<lenenc> that counts bytes still to come: at most what is left. */
  private length(field: string, index: number): number {
    // A one-byte length that fits, the common case (every row value shorter than 251 bytes),
    // without building the field's name for an error that does not come.
    const p = this.payload;
    const o = this.offset;
    const first = o < this.limit ? p[o]! : Lenenc.Null;
    if (first < Lenenc.Null && first < this.limit - o) {
      this.offset = o + 1;
      return first;
    }
    const n = this.lenencInt(`the length of ${fieldName(field, index)}`);
    if (typeof n === 'bigint' || n > this.limit - this.offset) this.fail(`ends inside ${fieldName(field, index)}`);
    return n;
  }

  /** Fails unless `n` items of at least `bytesEach` bytes fit in what is left. */
  expectRoom(n: number | bigint, items: string, bytesEach: number): void {
    const room = bytesEach === 0 ? Infinity : Math.floor((this.limit - this.offset) / bytesEach);
    if (n > room) this.fail(`announces ${n} ${items} but has room for at most ${room}`);
  }

  /** string<lenenc> as bytes. */
  lenencBytes(field: string, index = -1): Buffer {
    const start = this.lenencStart(field, index);
    return this.payload.subarray(start, this.offset);
  }

  /** string<lenenc> stepped over and left in place: where its bytes start (they end at `position`). */
  lenencStart(field: string, index = -1): number {
    const n = this.length(field, index);
    const start = this.offset;
    this.offset += n;
    return start;
  }

  /** string<lenenc> that may be NULL (0xFB), as in a text-protocol row. */
  nullableLenencBytes(field: string, index = -1): Buffer | null {
    const start = this.nullableLenencStart(field, index);
    return start < 0 ? null : this.payload.subarray(start, this.offset);
  }

  /** nullableLenencBytes left in place: where the bytes start (they end at `position`), -1 for NULL. */
  nullableLenencStart(field: string, index = -1): number {
    if (this.peek() === Lenenc.Null) {
      this.offset++;
      return -1;
    }
    return this.lenencStart(field, index);
  }

  lenencString(field: string, index = -1): string {
    const n = this.length(field, index);
    const v = text(this.payload, this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** string<NUL> as bytes, without its terminator. */
  nulBytes(field: string, index = -1): Buffer {
    const end = this.nul();
    if (end < 0) this.fail(`has no terminator after ${fieldName(field, index)}`);
    const v = this.payload.subarray(this.offset, end);
    this.offset = end + 1;
    return v;
  }

  nulString(field: string, index = -1): string {
    const end = this.nul();
    if (end < 0) this.fail(`has no terminator after ${fieldName(field, index)}`);
    const v = text(this.payload, this.offset, end);
    this.offset = end + 1;
    return v;
  }

  /** string<NUL> that may instead run to the end of the payload unterminated. */
  nulOrEofString(): string {
    let end = this.nul();
    const next = end < 0 ? this.limit : end + 1;
    if (end < 0) end = this.limit;
    const v = text(this.payload, this.offset, end);
    this.offset = next;
    return v;
  }

  /** Where the next NUL byte of the payload is, or -1. */
  private nul(): number {
    const at = this.payload.indexOf(0, this.offset);
    return at < this.limit ? at : -1;
  }

  bytes(n: number, field: string, index = -1): Buffer {
    this.need(n, field, index);
    const v = this.payload.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A fixed-length string<n>. */
  string(n: number, field: string, index = -1): string {
    this.need(n, field, index);
    const v = text(this.payload, this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  skip(n: number, field: string, index = -1): void {
    this.need(n, field, index);
    this.offset += n;
  }

  /** string<EOF> as bytes. */
  rest(): Buffer {
    const v = this.payload.subarray(this.offset, this.limit);
    this.offset = this.limit;
    return v;
  }

  /** string<EOF>. */
  restString(): string {
    const v = text(this.payload, this.offset, this.limit);
    this.offset = this.limit;
    return v;
  }

  /** The payload must hold nothing more. */
  end(): void {
    const left = this.limit - this.offset;
    if (left !== 0) this.fail(`has ${byteCount(left)} after its last field`);
  }
}

/** Unsigned 64-bit little-endian: a number when exact, else a bigint. */
export function readUInt64(b: Buffer, offset: number): number | bigint {
  const low = b.readUInt32LE(offset);
  const high = b.readUInt32LE(offset + 4);
  if (high < 0x20_0000) return high * TWO_32 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

/** Signed 64-bit little-endian: a number when exact, else a bigint. */
export function readInt64(b: Buffer, offset: number): number | bigint {
  const low = b.readUInt32LE(offset);
  const high = b.readInt32LE(offset + 4);
  if (high >= -0x20_0000 && high < 0x20_0000) return high * TWO_32 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}
