/**
 * A banner (banner.ts) as slow-path Bitmap Updates (MS-RDPBCGR 2.2.9.1.1.3.1.2)
 * in the colour depth the client runs at: uncompressed 64x64 tiles, rows
 * bottom-up, pixels little-endian (2.2.9.1.1.3.1.2.2: 8 bpp palette indexes,
 * 15 bpp RGB555, 16 bpp RGB565, 24 bpp B,G,R, 32 bpp B,G,R,X), packed a few
 * tiles to a PDU so each PDU's MCS user data stays within the 16383 bytes a
 * PER length of two bytes can say (T.125; longer would need fragments).
 * Pure: no I/O.
 */
import { codecError } from './codec/errors.js';
import { PduType2 } from './codec/share.js';
import { serializeBitmapUpdate, type BitmapRect } from './codec/updates.js';
import type { Banner } from './banner.js';
import { serverData } from './pdus.js';

/** Tiles are TILE pixels wide and as tall as fits TILE_BYTES, up to TILE. */
export const TILE = 64;
export const TILE_BYTES = 8192;
/** Largest MCS Send Data user data written (a two-byte PER length). */
export const MAX_USER_DATA = 0x3fff;
/** Share control (6) and share data (12) headers before the update. */
const SHARE_HEADERS = 18;
/** updateType and numberRectangles; each rectangle's TS_BITMAP_DATA fields before its data. */
const UPDATE_HEADER = 4;
const RECT_HEADER = 18;

export const DEPTHS = [8, 15, 16, 24, 32] as const;

/** The palette entry nearest `rgb` (8 bpp: the client draws indexes through the palette the target sent). */
function nearest(palette: Uint8Array, r: number, g: number, b: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i * 3 + 2 < palette.length && i < 256; i++) {
    const d = (palette[i * 3]! - r) ** 2 + (palette[i * 3 + 1]! - g) ** 2 + (palette[i * 3 + 2]! - b) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** One pixel's bytes at depth `bpp`, written at `o`. */
function writePixel(out: Buffer, o: number, bpp: number, r: number, g: number, b: number, palette: Uint8Array): void {
  switch (bpp) {
    case 8:
      out[o] = nearest(palette, r, g, b);
      return;
    case 15:
      out.writeUInt16LE(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3), o);
      return;
    case 16:
      out.writeUInt16LE(((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3), o);
      return;
    default:
      out[o] = b;
      out[o + 1] = g;
      out[o + 2] = r;
      if (bpp === 32) out[o + 3] = 0xff;
  }
}

const bytesPer = (bpp: number): number => (bpp === 8 ? 1 : bpp === 32 ? 4 : bpp === 24 ? 3 : 2);

/** The banner cut into TILE-square uncompressed bitmaps at `bpp`, placed on the desktop. */
export function bannerRects(banner: Banner, bpp: number, palette: Uint8Array): BitmapRect[] {
  if (!(DEPTHS as readonly number[]).includes(bpp)) throw codecError(['banner'], `${bpp} bits per pixel is not an RDP colour depth`);
  const { x, y, w, h } = banner.layout;
  const bpb = bytesPer(bpp);
  const tileH = Math.min(TILE, Math.floor(TILE_BYTES / (TILE * bpb)));
  const rects: BitmapRect[] = [];
  for (let ty = 0; ty < h; ty += tileH) {
    for (let tx = 0; tx < w; tx += TILE) {
      const tw = Math.min(TILE, w - tx);
      const th = Math.min(tileH, h - ty);
      const data = Buffer.alloc(tw * th * bpb);
      for (let row = 0; row < th; row++) {
        // Bottom-up: the tile's last row travels first.
        let o = (th - 1 - row) * tw * bpb;
        for (let col = 0; col < tw; col++, o += bpb) {
          const s = ((ty + row) * w + tx + col) * 4;
          writePixel(data, o, bpp, banner.rgba[s]!, banner.rgba[s + 1]!, banner.rgba[s + 2]!, palette);
        }
      }
      const left = x + tx;
      const top = y + ty;
      rects.push({ destLeft: left, destTop: top, destRight: left + tw - 1, destBottom: top + th - 1, width: tw, height: th, bitsPerPixel: bpp, flags: 0, compressionHeader: null, data });
    }
  }
  return rects;
}

/** The rectangles grouped so each group's Update PDU stays within MAX_USER_DATA (every tile is far smaller). */
export function packRects(rects: BitmapRect[]): BitmapRect[][] {
  const budget = MAX_USER_DATA - SHARE_HEADERS - UPDATE_HEADER;
  const groups: BitmapRect[][] = [];
  let group: BitmapRect[] = [];
  let size = 0;
  for (const r of rects) {
    const cost = RECT_HEADER + r.data.length;
    if (group.length > 0 && size + cost > budget) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(r);
    size += cost;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Slow-path Update PDUs (TS_UPDATE_BITMAP, 2.2.9.1.1.3.1.2) on the I/O channel carrying `rects`. */
export function bitmapUpdatePdus(rects: BitmapRect[], io: number, shareId: number): Buffer[] {
  return packRects(rects).map((group) => serverData(io, PduType2.UPDATE, serializeBitmapUpdate(group), shareId));
}
