/**
 * Bounds-checked reading and writing of the little- and big-endian fields
 * every RDP layer is made of. A read past the end is a codec error naming
 * the layer and the field, never a RangeError.
 */
import { codecError } from './errors.js';

export class Reader {
  offset = 0;
  constructor(
    readonly buf: Buffer,
    readonly layer: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.buf.length) throw codecError([this.layer], `${what}: needs ${n} bytes, ${this.remaining} left`);
  }
  u8(what = 'byte'): number {
    this.need(1, what);
    return this.buf[this.offset++]!;
  }
  u16le(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }
  u16be(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  u32le(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  i32le(what = 'i32'): number {
    this.need(4, what);
    const v = this.buf.readInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  u32be(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  /** `n` bytes as a copy, so a parsed object never pins the chunk it came from. */
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = Buffer.from(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return v;
  }
  rest(): Buffer {
    return this.bytes(this.remaining);
  }
  /** A reader over the next `n` bytes, which this one steps over. */
  sub(n: number, layer: string, what = 'body'): Reader {
    this.need(n, what);
    const r = new Reader(this.buf.subarray(this.offset, this.offset + n), layer);
    this.offset += n;
    return r;
  }
  end(what: string): void {
    if (this.remaining !== 0) throw codecError([this.layer], `${this.remaining} bytes after ${what}`);
  }
}

export class Writer {
  private parts: Buffer[] = [];
  length = 0;

  private push(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }
  /** A field too large for its width is a codec error, never a silently wrapped length. */
  private fits(v: number, max: number): number {
    if (!Number.isInteger(v) || v < 0 || v > max) throw codecError(['writer'], `${v} does not fit a field of at most ${max}`);
    return v;
  }
  u8(v: number): this {
    return this.push(Buffer.of(this.fits(v, 0xff)));
  }
  u16le(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(this.fits(v, 0xffff));
    return this.push(b);
  }
  u16be(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(this.fits(v, 0xffff));
    return this.push(b);
  }
  u32le(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.push(b);
  }
  i32le(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v | 0);
    return this.push(b);
  }
  u32be(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }
  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }
  done(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

/** UTF-16LE text without its terminating NUL (and anything after it). */
export function utf16z(b: Buffer): string {
  const s = b.toString('utf16le');
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** ASCII/Latin-1 text cut at its first NUL. */
export function asciiz(b: Buffer): string {
  const s = b.toString('latin1');
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
