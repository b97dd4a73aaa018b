/**
 * RDP pixel formats to RGBA (MS-RDPBCGR 2.2.9.1.1.3.1.2.2): colours are
 * little-endian; 15 bpp is RGB555, 16 bpp RGB565, 24 bpp B,G,R bytes, 32 bpp
 * B,G,R,X bytes; 8 bpp indexes the palette.
 */
import { ScreenFormatError } from './records.js';
import type { Scratch } from './scratch.js';

/** Largest bitmap a decoder produces, in pixels (bounded output whatever a server claims). */
export const MAX_BITMAP_PIXELS = 8192 * 8192;

export function bytesPerPixel(bpp: number): number {
  switch (bpp) {
    case 8:
      return 1;
    case 15:
    case 16:
      return 2;
    case 24:
      return 3;
    case 32:
      return 4;
    default:
      throw new ScreenFormatError(`${bpp} bits per pixel is not an RDP colour depth`);
  }
}

/** The palette used until the stream sends one: 3-3-2 levels, so 8 bpp is visible at least. */
export function defaultPalette(): Uint8Array {
  const p = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    p[i * 3] = Math.round(((i >> 5) & 7) * (255 / 7));
    p[i * 3 + 1] = Math.round(((i >> 2) & 7) * (255 / 7));
    p[i * 3 + 2] = Math.round((i & 3) * (255 / 3));
  }
  return p;
}

export function checkSize(width: number, height: number): void {
  if (width === 0 || height === 0) return;
  if (width * height > MAX_BITMAP_PIXELS) throw new ScreenFormatError(`a ${width}x${height} bitmap is larger than allowed`);
}

/** Writes pixel value `v` of depth `bpp` as RGBA at `o`. */
export function putPixel(out: Uint8Array, o: number, v: number, bpp: number, palette: Uint8Array): void {
  switch (bpp) {
    case 8: {
      const p = (v & 0xff) * 3;
      out[o] = palette[p] ?? 0;
      out[o + 1] = palette[p + 1] ?? 0;
      out[o + 2] = palette[p + 2] ?? 0;
      break;
    }
    case 15: {
      const r = (v >> 10) & 31;
      const g = (v >> 5) & 31;
      const b = v & 31;
      out[o] = (r << 3) | (r >> 2);
      out[o + 1] = (g << 3) | (g >> 2);
      out[o + 2] = (b << 3) | (b >> 2);
      break;
    }
    case 16: {
      const r = (v >> 11) & 31;
      const g = (v >> 5) & 63;
      const b = v & 31;
      out[o] = (r << 3) | (r >> 2);
      out[o + 1] = (g << 2) | (g >> 4);
      out[o + 2] = (b << 3) | (b >> 2);
      break;
    }
    default:
      out[o] = (v >> 16) & 0xff;
      out[o + 1] = (v >> 8) & 0xff;
      out[o + 2] = v & 0xff;
  }
  out[o + 3] = 255;
}

/** RGBA as one little-endian 32-bit word per 15 or 16 bpp value (built on first use). */
const WORDS = new Map<number, Uint32Array>();

function wordsOf(bpp: 15 | 16): Uint32Array {
  let words = WORDS.get(bpp);
  if (words === undefined) {
    const px = new Uint8Array(4);
    const view = new Uint32Array(px.buffer);
    words = new Uint32Array(bpp === 15 ? 0x8000 : 0x10000);
    for (let v = 0; v < words.length; v++) {
      putPixel(px, 0, v, bpp, px);
      words[v] = view[0]!;
    }
    WORDS.set(bpp, words);
  }
  return words;
}

/**
 * Pixel values (rows bottom-up, as RDP stores them) to RGBA rows top-down,
 * one 32-bit store a pixel (the RGBA bytes of a word on a little-endian
 * machine: every Node platform). What putPixel gives, faster.
 */
export function valuesToRgba(values: Uint32Array, width: number, height: number, bpp: number, palette: Uint8Array, scratch?: Scratch): Uint8Array {
  const out = scratch ? scratch.rgba(width * height) : new Uint8Array(width * height * 4);
  const words = new Uint32Array(out.buffer, out.byteOffset, width * height);
  let table: Uint32Array | undefined;
  if (bpp === 15 || bpp === 16) table = wordsOf(bpp);
  else if (bpp === 8) {
    table = new Uint32Array(256);
    const px = new Uint8Array(4);
    const view = new Uint32Array(px.buffer);
    for (let v = 0; v < 256; v++) {
      putPixel(px, 0, v, 8, palette);
      table[v] = view[0]!;
    }
  }
  const mask = bpp === 8 ? 0xff : bpp === 15 ? 0x7fff : 0xffff;
  for (let row = 0; row < height; row++) {
    const from = (height - 1 - row) * width;
    const o = row * width;
    if (table !== undefined) {
      for (let x = 0; x < width; x++) words[o + x] = table[values[from + x]! & mask]!;
    } else {
      // 24 and 32 bpp: 0xRRGGBB to the bytes R, G, B, 255.
      for (let x = 0; x < width; x++) {
        const v = values[from + x]!;
        words[o + x] = (((v >> 16) & 0xff) | (v & 0xff00) | ((v & 0xff) << 16) | 0xff000000) >>> 0;
      }
    }
  }
  return out;
}

/** Reads one little-endian pixel value of `bpb` bytes at `o`. */
export function readPixel(src: Uint8Array, o: number, bpb: number): number {
  switch (bpb) {
    case 1:
      return src[o]!;
    case 2:
      return src[o]! | (src[o + 1]! << 8);
    case 3:
      return src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16);
    default:
      return (src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16)) >>> 0;
  }
}
