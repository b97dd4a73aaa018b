/**
 * Planar bitmap decoder (MS-RDPEGDI 2.2.2.5.1, 3.1.9): a format header, then
 * the alpha (unless NA), red/luma, green/orange-chroma, blue/green-chroma
 * planes, each raw or RLE (2.2.2.5.1.1: per scanline, segments of
 * `control = cRawBytes:4 | nRunLength:4` then the raw bytes; nRunLength 1 and 2
 * mean cRawBytes + 16 and + 32 repeats with no raw bytes). Scanlines after the
 * first are deltas to the one before (sign-magnitude: odd = negative).
 *
 *   FormatHeader := reserved:2 | NA:1 | RLE:1 | CS:1 | CLL:3   (MSB first)
 *
 * With a colour loss level (CLL 1..7) the planes are Y, Co, Cg; chroma is
 * stored shifted right by CLL and, with CS, subsampled 2×2. Rows are in
 * storage order (bottom-up, as every RDP bitmap); output is RGBA top-down.
 */
import { checkSize } from './pixels.js';
import { ScreenFormatError } from './records.js';
import type { Scratch } from './scratch.js';

export function decodePlanar(src: Uint8Array, width: number, height: number, scratch?: Scratch): Uint8Array {
  checkSize(width, height);
  if (src.length < 1) throw new ScreenFormatError('planar bitmap has no format header');
  const header = src[0]!;
  const cll = header & 0x07;
  const cs = (header & 0x08) !== 0;
  const rle = (header & 0x10) !== 0;
  const noAlpha = (header & 0x20) !== 0;
  if (cs && cll === 0) throw new ScreenFormatError('planar chroma subsampling needs a colour loss level');
  const chromaW = cs ? (width + 1) >> 1 : width;
  const chromaH = cs ? (height + 1) >> 1 : height;
  const sizes: [number, number][] = [
    ...(noAlpha ? [] : [[width, height] as [number, number]]),
    [width, height],
    [chromaW, chromaH],
    [chromaW, chromaH],
  ];
  let s = 1;
  const planes: Uint8Array[] = [];
  for (const [w, h] of sizes) {
    if (rle) {
      const { plane, used } = decodeRlePlane(src, s, w, h, scratch?.plane(planes.length, w * h));
      planes.push(plane);
      s += used;
    } else {
      if (s + w * h > src.length) throw new ScreenFormatError('planar raw plane runs past the data');
      planes.push(src.subarray(s, s + w * h));
      s += w * h;
    }
  }
  const alpha = noAlpha ? undefined : planes.shift();
  const [p1, p2, p3] = planes as [Uint8Array, Uint8Array, Uint8Array];
  const out = scratch ? scratch.rgba(width * height) : new Uint8Array(width * height * 4);
  // One loop per kind of plane, so the per-pixel work has no branch on the format.
  if (cll === 0) toRgba(out, p1, p2, p3, width, height);
  else fromYCoCg(out, p1, p2, p3, cll - 1, cs ? chromaW : 0, width, height);
  if (alpha) {
    for (let row = 0; row < height; row++) {
      const from = (height - 1 - row) * width;
      for (let x = 0, o = row * width * 4 + 3; x < width; x++, o += 4) out[o] = alpha[from + x]!;
    }
  }
  return out;
}

/** Planes of red, green and blue, bottom-up, into RGBA top-down (alpha opaque). */
function toRgba(out: Uint8Array, r: Uint8Array, g: Uint8Array, b: Uint8Array, width: number, height: number): void {
  for (let row = 0; row < height; row++) {
    const from = (height - 1 - row) * width;
    let o = row * width * 4;
    for (let i = from, end = from + width; i < end; i++, o += 4) {
      out[o] = r[i]!;
      out[o + 1] = g[i]!;
      out[o + 2] = b[i]!;
      out[o + 3] = 255;
    }
  }
}

/**
 * Planes of luma and the two chroma differences (shifted right by the colour
 * loss level, `shift` + 1), bottom-up, into RGBA top-down. `chromaW` is the
 * width of 2×2-subsampled chroma planes, 0 when they are full size.
 */
function fromYCoCg(out: Uint8Array, ys: Uint8Array, cos: Uint8Array, cgs: Uint8Array, shift: number, chromaW: number, width: number, height: number): void {
  for (let row = 0; row < height; row++) {
    const from = height - 1 - row;
    const yRow = from * width;
    const cRow = chromaW > 0 ? (from >> 1) * chromaW : yRow;
    let o = row * width * 4;
    for (let x = 0; x < width; x++, o += 4) {
      const ci = chromaW > 0 ? cRow + (x >> 1) : cRow + x;
      const y = ys[yRow + x]!;
      const co = ((cos[ci]! << shift) << 24) >> 24;
      const cg = ((cgs[ci]! << shift) << 24) >> 24;
      out[o] = clamp(y + co - cg);
      out[o + 1] = clamp(y + cg);
      out[o + 2] = clamp(y - co - cg);
      out[o + 3] = 255;
    }
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** One RLE plane of w×h starting at `start`; returns it with the bytes it took. */
/** `into`, when given, is a zeroed w×h buffer to decode into (see Scratch). */
export function decodeRlePlane(src: Uint8Array, start: number, w: number, h: number, into?: Uint8Array): { plane: Uint8Array; used: number } {
  const plane = into ?? new Uint8Array(w * h);
  let s = start;
  for (let row = 0; row < h; row++) {
    const base = row * w;
    let x = 0;
    let value = 0;
    while (x < w) {
      if (s >= src.length) throw new ScreenFormatError('planar RLE plane ends inside a scanline');
      const control = src[s++]!;
      let run = control & 0x0f;
      let raw = control >> 4;
      if (run === 1) {
        run = raw + 16;
        raw = 0;
      } else if (run === 2) {
        run = raw + 32;
        raw = 0;
      }
      if (x + raw + run > w) throw new ScreenFormatError('planar RLE segment runs past its scanline');
      if (s + raw > src.length) throw new ScreenFormatError('planar RLE raw bytes run past the data');
      for (; raw > 0; raw--) {
        value = src[s++]!;
        plane[base + x++] = value;
      }
      for (; run > 0; run--) plane[base + x++] = value;
    }
    if (row > 0) {
      // Scanlines after the first hold deltas to the one before.
      const prev = base - w;
      for (let i = 0; i < w; i++) {
        const v = plane[base + i]!;
        const delta = v & 1 ? -((v >> 1) + 1) : v >> 1;
        plane[base + i] = (plane[prev + i]! + delta) & 0xff;
      }
    }
  }
  return { plane, used: s - start };
}
