/**
 * Pointer shapes (MS-RDPBCGR 2.2.9.1.1.4.4 colour pointer, 2.2.9.1.1.4.5 new
 * pointer): an XOR mask of `xorBpp` and a 1 bpp AND mask, both bottom-up with
 * scanlines padded to 2 bytes. Per pixel: AND 0 → the XOR colour; AND 1 and
 * XOR 0 → transparent; AND 1 and XOR non-zero → the screen inverted. A 32 bpp
 * XOR mask carries alpha.
 */
import { bytesPerPixel, checkSize, defaultPalette, putPixel, readPixel } from './pixels.js';
import { RecordType, ScreenFormatError, type ScreenRecord } from './records.js';

export interface PointerImage {
  w: number;
  h: number;
  hotX: number;
  hotY: number;
  /** RGBA top-down; alpha 0 transparent. */
  rgba: Uint8Array;
  /** 1 where the screen under the pixel is inverted. */
  invert: Uint8Array;
}

const MAX_SIDE = 384;
const palette = defaultPalette();

export function decodePointer(r: Extract<ScreenRecord, { type: RecordType.PointerShape }>): PointerImage {
  const { w, h } = r;
  if (w > MAX_SIDE || h > MAX_SIDE) throw new ScreenFormatError(`a ${w}x${h} pointer is larger than allowed`);
  checkSize(w, h);
  const xorStride = r.xorBpp === 1 ? ((w + 15) >> 4) * 2 : r.xorBpp === 4 ? ((w + 3) >> 2) * 2 : ((w * bytesPerPixel(r.xorBpp) + 1) >> 1) * 2;
  const andStride = ((w + 15) >> 4) * 2;
  if (r.xor.length < xorStride * h) throw new ScreenFormatError(`pointer XOR mask has ${r.xor.length} bytes, needs ${xorStride * h}`);
  const hasAnd = r.and.length >= andStride * h;
  const rgba = new Uint8Array(w * h * 4);
  const invert = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const srcRow = h - 1 - y;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const and = hasAnd ? (r.and[srcRow * andStride + (x >> 3)]! >> (7 - (x & 7))) & 1 : 0;
      const xorAt = srcRow * xorStride;
      let value: number;
      if (r.xorBpp === 1) value = (r.xor[xorAt + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 0xffffff : 0;
      else if (r.xorBpp === 4) value = (r.xor[xorAt + (x >> 1)]! >> (x & 1 ? 0 : 4)) & 0x0f;
      else value = readPixel(r.xor, xorAt + x * bytesPerPixel(r.xorBpp), bytesPerPixel(r.xorBpp));
      const o = i * 4;
      if (r.xorBpp === 1) putPixel(rgba, o, value, 24, palette);
      else putPixel(rgba, o, value, r.xorBpp === 4 ? 8 : r.xorBpp, palette);
      if (r.xorBpp === 32) {
        const alpha = r.xor[xorAt + x * 4 + 3]!;
        rgba[o + 3] = alpha;
        if (and === 1 && alpha === 0 && (value & 0xffffff) !== 0) invert[i] = 1;
        continue;
      }
      if (and === 0) continue;
      rgba[o + 3] = 0;
      if ((value & 0xffffff) !== 0) invert[i] = 1;
    }
  }
  return { w, h, hotX: r.hotX, hotY: r.hotY, rgba, invert };
}

/** Draws the pointer with its hotspot at (px, py) into an RGBA canvas. */
export function drawPointerImage(canvas: Uint8Array, width: number, height: number, p: PointerImage, px: number, py: number): void {
  for (let y = 0; y < p.h; y++) {
    const cy = py - p.hotY + y;
    if (cy < 0 || cy >= height) continue;
    for (let x = 0; x < p.w; x++) {
      const cx = px - p.hotX + x;
      if (cx < 0 || cx >= width) continue;
      const i = y * p.w + x;
      const o = (cy * width + cx) * 4;
      if (p.invert[i]) {
        canvas[o] = 255 - canvas[o]!;
        canvas[o + 1] = 255 - canvas[o + 1]!;
        canvas[o + 2] = 255 - canvas[o + 2]!;
        continue;
      }
      const a = p.rgba[i * 4 + 3]!;
      if (a === 0) continue;
      for (let c = 0; c < 3; c++) canvas[o + c] = (p.rgba[i * 4 + c]! * a + canvas[o + c]! * (255 - a) + 127) / 255;
    }
  }
}
