/**
 * The graphical screen stream: records carried in the recording's `screen`
 * stream (each Screen frame holds one or more whole records; the frame gives
 * the time). Multi-byte integers are little-endian, as on the RDP wire.
 *
 *   record  := head:u8 | len:varint | body[len]
 *   head    := version:4 (high nibble, = 1) | type:4 (low nibble)
 *
 * Every record carries the version, so a reader may start at any keyframe.
 * Bodies by type:
 *   1 DesktopSize     w:u16 | h:u16
 *   2 Bitmap          x:u16 | y:u16 | destW:u16 | destH:u16 | width:u16 | height:u16 |
 *                     bpp:u8 | codec:u8 | flags:u16 | data[...]
 *                     (x,y,destW,destH: where it lands; width,height: the bitmap data's
 *                     own size, rows may be padded; data as received from RDP,
 *                     TS_BITMAP_DATA flags kept: MS-RDPBCGR 2.2.9.1.1.3.1.2.2)
 *                     codec: 0 none (bottom-up), 1 interleaved RLE, 2 planar
 *   3 Palette         count:u16 | count × (r:u8 g:u8 b:u8)
 *   4 Keyframe        w:u16 | h:u16 | deflate(raw RGB rows, top-down)
 *   5 PointerPosition x:u16 | y:u16
 *   6 PointerShape    index:u16 | hotX:u16 | hotY:u16 | w:u16 | h:u16 | xorBpp:u8 |
 *                     andLen:u16 | and[andLen] | xor[...]   (MS-RDPBCGR 2.2.9.1.1.4.4)
 *   7 PointerSystem   kind:u8 (0 hidden, 1 default)
 *   8 PointerCached   index:u16
 */
import { GatewayError } from '../errors.js';

export const SCREEN_FORMAT_VERSION = 1;
/** Largest record body the parser accepts (a 4K keyframe of noise deflates to ~25 MB). */
export const MAX_RECORD_BODY = 64 << 20;

export const enum RecordType {
  DesktopSize = 1,
  Bitmap = 2,
  Palette = 3,
  Keyframe = 4,
  PointerPosition = 5,
  PointerShape = 6,
  PointerSystem = 7,
  PointerCached = 8,
}

export const enum BitmapCodec {
  None = 0,
  Interleaved = 1,
  Planar = 2,
}

export type ScreenRecord =
  | { type: RecordType.DesktopSize; w: number; h: number }
  | {
      type: RecordType.Bitmap;
      x: number;
      y: number;
      destW: number;
      destH: number;
      width: number;
      height: number;
      bpp: number;
      codec: BitmapCodec;
      flags: number;
      data: Uint8Array;
    }
  | { type: RecordType.Palette; colors: Uint8Array }
  | { type: RecordType.Keyframe; w: number; h: number; rgb: Uint8Array }
  | { type: RecordType.PointerPosition; x: number; y: number }
  | { type: RecordType.PointerShape; index: number; hotX: number; hotY: number; w: number; h: number; xorBpp: number; and: Uint8Array; xor: Uint8Array }
  | { type: RecordType.PointerSystem; kind: 0 | 1 }
  | { type: RecordType.PointerCached; index: number };

export type BitmapRecord = Extract<ScreenRecord, { type: RecordType.Bitmap }>;

/** Bytes of a screen stream (or a bitmap in it) that cannot be read. */
export class ScreenFormatError extends GatewayError {
  constructor(message: string) {
    super('RG_ERR_RECORDING', `screen stream: ${message}`);
  }
}

class Writer {
  private buf = new Uint8Array(64);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf[this.length++] = v & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function body(r: ScreenRecord): Uint8Array {
  const w = new Writer();
  switch (r.type) {
    case RecordType.DesktopSize:
      return w.u16(r.w).u16(r.h).done();
    case RecordType.Bitmap:
      return w.u16(r.x).u16(r.y).u16(r.destW).u16(r.destH).u16(r.width).u16(r.height).u8(r.bpp).u8(r.codec).u16(r.flags).bytes(r.data).done();
    case RecordType.Palette:
      return w.u16(r.colors.length / 3).bytes(r.colors.subarray(0, Math.floor(r.colors.length / 3) * 3)).done();
    case RecordType.Keyframe:
      return w.u16(r.w).u16(r.h).bytes(r.rgb).done();
    case RecordType.PointerPosition:
      return w.u16(r.x).u16(r.y).done();
    case RecordType.PointerShape:
      return w.u16(r.index).u16(r.hotX).u16(r.hotY).u16(r.w).u16(r.h).u8(r.xorBpp).u16(r.and.length).bytes(r.and).bytes(r.xor).done();
    case RecordType.PointerSystem:
      return w.u8(r.kind).done();
    case RecordType.PointerCached:
      return w.u16(r.index).done();
  }
}

/** One record's bytes. A Keyframe's `rgb` must already be deflated (see keyframe.ts). */
export function encodeRecord(r: ScreenRecord): Uint8Array {
  const b = body(r);
  const head = new Uint8Array(1 + 5);
  head[0] = (SCREEN_FORMAT_VERSION << 4) | r.type;
  let n = 1;
  let len = b.length;
  while (len >= 0x80) {
    head[n++] = (len & 0x7f) | 0x80;
    len >>>= 7;
  }
  head[n++] = len;
  const out = new Uint8Array(n + b.length);
  out.set(head.subarray(0, n));
  out.set(b, n);
  return out;
}

export function encodeRecords(records: ScreenRecord[]): Uint8Array {
  const parts = records.map(encodeRecord);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reads a record body; every read checks the length first. */
class Reader {
  private o = 0;
  constructor(private readonly b: Uint8Array, private readonly what: string) {}
  need(n: number): void {
    if (this.o + n > this.b.length) throw new ScreenFormatError(`${this.what} record is too short`);
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b[this.o]! | (this.b[this.o + 1]! << 8);
    this.o += 2;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  rest(): Uint8Array {
    const v = this.b.subarray(this.o);
    this.o = this.b.length;
    return v;
  }
  end(): void {
    if (this.o !== this.b.length) throw new ScreenFormatError(`${this.what} record has ${this.b.length - this.o} extra bytes`);
  }
}

export function decodeRecordBody(type: number, b: Uint8Array): ScreenRecord {
  switch (type) {
    case RecordType.DesktopSize: {
      const r = new Reader(b, 'DesktopSize');
      const rec = { type, w: r.u16(), h: r.u16() } as const;
      r.end();
      return rec;
    }
    case RecordType.Bitmap: {
      const r = new Reader(b, 'Bitmap');
      return { type, x: r.u16(), y: r.u16(), destW: r.u16(), destH: r.u16(), width: r.u16(), height: r.u16(), bpp: r.u8(), codec: r.u8(), flags: r.u16(), data: r.rest() };
    }
    case RecordType.Palette: {
      const r = new Reader(b, 'Palette');
      const count = r.u16();
      const colors = r.bytes(count * 3);
      r.end();
      return { type, colors };
    }
    case RecordType.Keyframe: {
      const r = new Reader(b, 'Keyframe');
      return { type, w: r.u16(), h: r.u16(), rgb: r.rest() };
    }
    case RecordType.PointerPosition: {
      const r = new Reader(b, 'PointerPosition');
      const rec = { type, x: r.u16(), y: r.u16() } as const;
      r.end();
      return rec;
    }
    case RecordType.PointerShape: {
      const r = new Reader(b, 'PointerShape');
      const index = r.u16();
      const hotX = r.u16();
      const hotY = r.u16();
      const w = r.u16();
      const h = r.u16();
      const xorBpp = r.u8();
      const and = r.bytes(r.u16());
      return { type, index, hotX, hotY, w, h, xorBpp, and, xor: r.rest() };
    }
    case RecordType.PointerSystem: {
      const r = new Reader(b, 'PointerSystem');
      const kind = r.u8();
      r.end();
      if (kind > 1) throw new ScreenFormatError(`PointerSystem kind ${kind} is unknown`);
      return { type, kind: kind as 0 | 1 };
    }
    case RecordType.PointerCached: {
      const r = new Reader(b, 'PointerCached');
      const rec = { type, index: r.u16() } as const;
      r.end();
      return rec;
    }
    default:
      throw new ScreenFormatError(`record type ${type} is unknown`);
  }
}

/**
 * Incremental parser: `push(bytes)` returns the records completed by them and
 * keeps a partial record for the next push. Pure: no I/O, no clock.
 * A record whose body is malformed (or of a type this reader does not know)
 * is skipped and counted; a malformed head (another version, a bad length)
 * throws, since nothing after it can be framed.
 */
export class ScreenParser {
  /** Records skipped, and the first reason. */
  skipped = 0;
  firstError: string | undefined;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  /** Bytes the partial record needs in all, once its head is known (no copying until then). */
  private want = 0;

  push(chunk: Uint8Array): ScreenRecord[] {
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength < this.want) return [];
    const buf = this.pending.length === 1 ? this.pending[0]! : concat(this.pending, this.pendingLength);
    const out: ScreenRecord[] = [];
    let o = 0;
    for (;;) {
      const head = readHead(buf, o);
      if (head === undefined) break;
      if (o + head.size + head.len > buf.length) {
        this.want = head.size + head.len;
        break;
      }
      this.want = 0;
      const start = o + head.size;
      o = start + head.len;
      try {
        out.push(decodeRecordBody(head.type, buf.subarray(start, start + head.len)));
      } catch (err) {
        // The record's length is known, so the stream goes on after it.
        if (!(err instanceof ScreenFormatError)) throw err;
        this.skipped++;
        this.firstError ??= err.message;
      }
    }
    const rest = buf.subarray(o);
    if (rest.length === 0) this.want = 0;
    this.pending = rest.length ? [rest] : [];
    this.pendingLength = rest.length;
    return out;
  }

  /** Throws if the stream stopped inside a record. */
  end(): void {
    if (this.pendingLength > 0) throw new ScreenFormatError(`stream ends inside a record (${this.pendingLength} bytes left)`);
  }
}

function readHead(b: Uint8Array, o: number): { type: number; len: number; size: number } | undefined {
  if (o >= b.length) return undefined;
  const h = b[o]!;
  if (h >> 4 !== SCREEN_FORMAT_VERSION) throw new ScreenFormatError(`record format version ${h >> 4} is not supported (this reader knows ${SCREEN_FORMAT_VERSION})`);
  let len = 0;
  let scale = 1;
  for (let i = 1; i <= 5; i++) {
    if (o + i >= b.length) return undefined;
    const v = b[o + i]!;
    len += (v & 0x7f) * scale;
    if ((v & 0x80) === 0) {
      if (len > MAX_RECORD_BODY) throw new ScreenFormatError(`record of ${len} bytes exceeds the ${MAX_RECORD_BODY}-byte limit`);
      return { type: h & 0x0f, len, size: i + 1 };
    }
    scale *= 128;
  }
  throw new ScreenFormatError('record length varint is too long');
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
