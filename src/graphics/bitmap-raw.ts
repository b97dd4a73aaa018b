/**
 * Uncompressed RDP bitmap data (MS-RDPBCGR 2.2.9.1.1.3.1.2.2): rows bottom-up,
 * each `width × bytesPerPixel` bytes. Output: RGBA rows top-down.
 */
import { bytesPerPixel, checkSize, putPixel } from './pixels.js';
import { ScreenFormatError } from './records.js';
import type { Scratch } from './scratch.js';

export function decodeUncompressed(data: Uint8Array, width: number, height: number, bpp: number, palette: Uint8Array, scratch?: Scratch): Uint8Array {
  checkSize(width, height);
  const bpb = bytesPerPixel(bpp);
  const stride = width * bpb;
  if (data.length < stride * height) throw new ScreenFormatError(`uncompressed ${width}x${height}x${bpp} bitmap needs ${stride * height} bytes, has ${data.length}`);
  const out = scratch ? scratch.rgba(width * height) : new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    const src = (height - 1 - row) * stride;
    let o = row * width * 4;
    if (bpb === 4 || bpb === 3) {
      // B,G,R(,X) bytes: the fast path for the common depths.
      for (let s = src, end = src + stride; s < end; s += bpb, o += 4) {
        out[o] = data[s + 2]!;
        out[o + 1] = data[s + 1]!;
        out[o + 2] = data[s]!;
        out[o + 3] = 255;
      }
      continue;
    }
    for (let x = 0; x < width; x++, o += 4) {
      const s = src + x * bpb;
      putPixel(out, o, bpb === 1 ? data[s]! : data[s]! | (data[s + 1]! << 8), bpp, palette);
    }
  }
  return out;
}
