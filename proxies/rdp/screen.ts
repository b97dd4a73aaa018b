/**
 * What the target shows, as screen records (src/graphics/records.ts), from
 * one decoded server PDU: the desktop size from the Demand Active's bitmap
 * capability (MS-RDPBCGR 2.2.7.1.2), each bitmap update's rectangles
 * (2.2.9.1.1.3.1.2), palettes and pointer updates (2.2.9.1.1.4), on the slow
 * path and the fast path alike. Pure: no I/O.
 */
import { BitmapCodec, RecordType, type ScreenRecord } from '../../src/graphics/records.js';
import { BITMAP, CapabilityType, findSet } from './codec/capabilities.js';
import type { Envelope } from './codec/envelope.js';
import type { FastPathContent } from './codec/fastpath.js';
import { parseStruct } from './codec/struct.js';
import { BITMAP_COMPRESSION, type BitmapRect, type ColorPointer, type Palette, type Pointer } from './codec/updates.js';

function bitmap(r: BitmapRect): ScreenRecord {
  const compressed = (r.flags & BITMAP_COMPRESSION) !== 0;
  const codec = !compressed ? BitmapCodec.None : r.bitsPerPixel === 32 ? BitmapCodec.Planar : BitmapCodec.Interleaved;
  return {
    type: RecordType.Bitmap,
    x: r.destLeft,
    y: r.destTop,
    destW: r.destRight - r.destLeft + 1,
    destH: r.destBottom - r.destTop + 1,
    width: r.width,
    height: r.height,
    bpp: r.bitsPerPixel,
    codec,
    flags: r.flags,
    // The record keeps TS_CD_HEADER before the stream, as it travelled.
    data: r.compressionHeader ? joined(r.compressionHeader, r.data) : r.data,
  };
}

/** `a` then `b` as one Buffer: a view of both when `b` follows `a` in memory (as parsed from one PDU), else a copy. */
export function joined(a: Buffer, b: Buffer): Buffer {
  if (a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset) return Buffer.from(a.buffer, a.byteOffset, a.length + b.length);
  return Buffer.concat([a, b]);
}

function palette(p: Palette): ScreenRecord {
  return { type: RecordType.Palette, colors: Uint8Array.from(p.colors.flat()) };
}

function shape(p: ColorPointer, xorBpp: number): ScreenRecord {
  return { type: RecordType.PointerShape, index: p.cacheIndex, hotX: p.hotX, hotY: p.hotY, w: p.width, h: p.height, xorBpp, and: p.andMask, xor: p.xorMask };
}

function pointer(p: Pointer): ScreenRecord {
  switch (p.kind) {
    case 'position':
      return { type: RecordType.PointerPosition, x: p.x, y: p.y };
    case 'hidden':
      return { type: RecordType.PointerSystem, kind: 0 };
    case 'default':
      return { type: RecordType.PointerSystem, kind: 1 };
    case 'system':
      // SYSPTR_NULL (0) hides the pointer; SYSPTR_DEFAULT (0x7f00) shows the default one.
      return { type: RecordType.PointerSystem, kind: p.systemType === 0 ? 0 : 1 };
    case 'cached':
      return { type: RecordType.PointerCached, index: p.cacheIndex };
    case 'color':
      return shape(p.pointer, 24);
    case 'new':
    case 'large':
      return shape(p.pointer, p.xorBpp);
  }
}

function content(c: FastPathContent): ScreenRecord[] {
  switch (c.kind) {
    case 'bitmap':
      return c.rects.map(bitmap);
    case 'palette':
      return [palette(c.palette)];
    case 'pointer':
      return [pointer(c.pointer)];
    default:
      return [];
  }
}

/** The desktop size a Demand Active announces, or null. */
export function desktopSize(env: Envelope): { w: number; h: number } | null {
  if (env.active?.kind !== 'demand-active') return null;
  const set = findSet(env.active, CapabilityType.BITMAP);
  if (!set) return null;
  const s = parseStruct(set.body, 'capability/bitmap', BITMAP, 6);
  const w = s.fields['desktopWidth'];
  const h = s.fields['desktopHeight'];
  return typeof w === 'number' && typeof h === 'number' ? { w, h } : null;
}

/** The screen records one server PDU carries. */
export function screenRecords(env: Envelope): ScreenRecord[] {
  if (env.dir !== 's2c') return [];
  if (env.fastpath) return env.fastpath.contents.flatMap(content);
  const size = desktopSize(env);
  if (size) return [{ type: RecordType.DesktopSize, w: size.w, h: size.h }];
  const d = env.data;
  if (!d) return [];
  if (d.kind === 'bitmap') return d.rects.map(bitmap);
  if (d.kind === 'palette') return [palette(d.palette)];
  if (d.kind === 'pointer') return [pointer(d.pointer)];
  return [];
}
