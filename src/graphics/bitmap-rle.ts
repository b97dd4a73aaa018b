/**
 * Interleaved RLE bitmap decoder (MS-RDPBCGR 2.2.9.1.1.3.1.2.4) for 8, 15, 16
 * and 24 bpp. Works on pixel values in storage order (bottom-up rows); the
 * "line above" of a row is the row decoded before it. Output: RGBA top-down.
 *
 * Order header byte:
 *   0xF0..0xFE          MEGA_MEGA and special orders, length (if any) a u16 that follows
 *   0b11xx_llll (C,D,E) "lite" orders, 4-bit length (0: next byte + 16; FGBG: ×8, 0: next byte + 1)
 *   0bccc_lllll (0..4)  regular orders, 5-bit length (0: next byte + 32; FGBG: ×8, 0: next byte + 1)
 */
import { bytesPerPixel, checkSize, readPixel, valuesToRgba } from './pixels.js';
import { ScreenFormatError } from './records.js';
import type { Scratch } from './scratch.js';

const REGULAR_BG_RUN = 0x0;
const REGULAR_FG_RUN = 0x1;
const REGULAR_FGBG_IMAGE = 0x2;
const REGULAR_COLOR_RUN = 0x3;
const REGULAR_COLOR_IMAGE = 0x4;
const LITE_SET_FG_FG_RUN = 0xc;
const LITE_SET_FG_FGBG_IMAGE = 0xd;
const LITE_DITHERED_RUN = 0xe;
const MEGA_MEGA_BG_RUN = 0xf0;
const MEGA_MEGA_FG_RUN = 0xf1;
const MEGA_MEGA_FGBG_IMAGE = 0xf2;
const MEGA_MEGA_COLOR_RUN = 0xf3;
const MEGA_MEGA_COLOR_IMAGE = 0xf4;
const MEGA_MEGA_SET_FG_RUN = 0xf6;
const MEGA_MEGA_SET_FGBG_IMAGE = 0xf7;
const MEGA_MEGA_DITHERED_RUN = 0xf8;
const SPECIAL_FGBG_1 = 0xf9;
const SPECIAL_FGBG_2 = 0xfa;
const WHITE = 0xfd;
const BLACK = 0xfe;

function whiteOf(bpp: number): number {
  return bpp === 8 ? 0xff : bpp === 15 ? 0x7fff : bpp === 16 ? 0xffff : 0xffffff;
}

/** Decodes to pixel values in storage order (exported for tests). */
export function rleDecodePixels(src: Uint8Array, width: number, height: number, bpp: number, scratch?: Scratch): Uint32Array {
  if (bpp === 32) throw new ScreenFormatError('interleaved RLE has no 32 bpp form (32 bpp bitmaps are planar)');
  checkSize(width, height);
  const bpb = bytesPerPixel(bpp);
  const total = width * height;
  const px = scratch ? scratch.values(total) : new Uint32Array(total);
  const white = whiteOf(bpp);
  let s = 0;
  let d = 0;
  let fg = white;
  let insertFg = false;
  let firstLine = true;

  const byte = (): number => {
    if (s >= src.length) throw new ScreenFormatError('RLE bitmap data ends inside an order');
    return src[s++]!;
  };
  const pixel = (): number => {
    if (s + bpb > src.length) throw new ScreenFormatError('RLE bitmap data ends inside a pixel');
    const v = readPixel(src, s, bpb);
    s += bpb;
    return v;
  };
  const room = (n: number): void => {
    if (d + n > total) throw new ScreenFormatError(`RLE run of ${n} pixels runs past the ${width}x${height} bitmap`);
  };
  const above = (): number => (firstLine ? 0 : px[d - width]!);
  const fgPixel = (): number => (firstLine ? fg : px[d - width]! ^ fg);
  const fgbg = (count: number): void => {
    room(count);
    while (count > 0) {
      const mask = byte();
      for (let bit = 0; bit < 8 && count > 0; bit++, count--) {
        px[d] = mask & (1 << bit) ? fgPixel() : above();
        d++;
      }
    }
  };
  const fgbgFixed = (mask: number): void => {
    room(8);
    for (let bit = 0; bit < 8; bit++, d++) px[d] = mask & (1 << bit) ? fgPixel() : above();
  };

  while (s < src.length) {
    if (firstLine && d >= width) {
      firstLine = false;
      insertFg = false;
    }
    const h = byte();
    let code: number;
    let len: number;
    if (h >> 4 === 0xf) {
      code = h;
      len = code <= MEGA_MEGA_DITHERED_RUN && code !== 0xf5 ? byte() | (byte() << 8) : 0;
    } else if (h >> 6 === 3) {
      code = h >> 4;
      len = h & 0x0f;
      if (code === LITE_SET_FG_FGBG_IMAGE) len = len === 0 ? byte() + 1 : len * 8;
      else if (len === 0) len = byte() + 16;
    } else {
      code = h >> 5;
      len = h & 0x1f;
      if (code === REGULAR_FGBG_IMAGE) len = len === 0 ? byte() + 1 : len * 8;
      else if (len === 0) len = byte() + 32;
    }
    const wasBgRun = code === REGULAR_BG_RUN || code === MEGA_MEGA_BG_RUN;
    switch (code) {
      case REGULAR_BG_RUN:
      case MEGA_MEGA_BG_RUN:
        room(len);
        // Two background runs in a row: the second begins with one foreground pixel.
        if (insertFg && len > 0) {
          px[d] = fgPixel();
          d++;
          len--;
        }
        for (; len > 0; len--, d++) px[d] = above();
        break;
      case LITE_SET_FG_FG_RUN:
      case MEGA_MEGA_SET_FG_RUN:
      case REGULAR_FG_RUN:
      case MEGA_MEGA_FG_RUN:
        if (code === LITE_SET_FG_FG_RUN || code === MEGA_MEGA_SET_FG_RUN) fg = pixel();
        room(len);
        for (; len > 0; len--, d++) px[d] = fgPixel();
        break;
      case LITE_SET_FG_FGBG_IMAGE:
      case MEGA_MEGA_SET_FGBG_IMAGE:
      case REGULAR_FGBG_IMAGE:
      case MEGA_MEGA_FGBG_IMAGE:
        if (code === LITE_SET_FG_FGBG_IMAGE || code === MEGA_MEGA_SET_FGBG_IMAGE) fg = pixel();
        fgbg(len);
        break;
      case REGULAR_COLOR_RUN:
      case MEGA_MEGA_COLOR_RUN: {
        const v = pixel();
        room(len);
        px.fill(v, d, d + len);
        d += len;
        break;
      }
      case REGULAR_COLOR_IMAGE:
      case MEGA_MEGA_COLOR_IMAGE:
        room(len);
        if (s + len * bpb > src.length) throw new ScreenFormatError('RLE colour image runs past the data');
        for (; len > 0; len--, d++) px[d] = pixel();
        break;
      case LITE_DITHERED_RUN:
      case MEGA_MEGA_DITHERED_RUN: {
        const a = pixel();
        const b = pixel();
        room(len * 2);
        for (; len > 0; len--) {
          px[d++] = a;
          px[d++] = b;
        }
        break;
      }
      case SPECIAL_FGBG_1:
        fgbgFixed(0x03);
        break;
      case SPECIAL_FGBG_2:
        fgbgFixed(0x05);
        break;
      case WHITE:
        room(1);
        px[d++] = white;
        break;
      case BLACK:
        room(1);
        px[d++] = 0;
        break;
      default:
        throw new ScreenFormatError(`RLE order 0x${h.toString(16)} is unknown`);
    }
    insertFg = wasBgRun;
  }
  return px;
}

export function decodeInterleaved(src: Uint8Array, width: number, height: number, bpp: number, palette: Uint8Array, scratch?: Scratch): Uint8Array {
  return valuesToRgba(rleDecodePixels(src, width, height, bpp, scratch), width, height, bpp, palette, scratch);
}
