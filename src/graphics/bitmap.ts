/**
 * A Bitmap record to RGBA pixels, whatever its codec. Compressed data keeps
 * the 8-byte TS_CD_HEADER unless NO_BITMAP_COMPRESSION_HDR is set
 * (MS-RDPBCGR 2.2.9.1.1.3.1.2.2, 2.2.9.1.1.3.1.2.3).
 */
import { decodePlanar } from './bitmap-planar.js';
import { decodeUncompressed } from './bitmap-raw.js';
import { decodeInterleaved } from './bitmap-rle.js';
import { BitmapCodec, ScreenFormatError, type BitmapRecord } from './records.js';
import type { Scratch } from './scratch.js';

export const BITMAP_COMPRESSION = 0x0001;
export const NO_BITMAP_COMPRESSION_HDR = 0x0400;

export function decodeBitmap(r: BitmapRecord, palette: Uint8Array, scratch?: Scratch): Uint8Array {
  let data = r.data;
  if (r.codec !== BitmapCodec.None && (r.flags & BITMAP_COMPRESSION) !== 0 && (r.flags & NO_BITMAP_COMPRESSION_HDR) === 0) {
    if (data.length < 8) throw new ScreenFormatError('compressed bitmap is shorter than its header');
    const mainBody = data[2]! | (data[3]! << 8);
    data = data.subarray(8, 8 + mainBody);
  }
  switch (r.codec) {
    case BitmapCodec.None:
      return decodeUncompressed(data, r.width, r.height, r.bpp, palette, scratch);
    case BitmapCodec.Interleaved:
      return decodeInterleaved(data, r.width, r.height, r.bpp, palette, scratch);
    case BitmapCodec.Planar:
      return decodePlanar(data, r.width, r.height, scratch);
    default:
      throw new ScreenFormatError(`bitmap codec ${r.codec as number} is unknown`);
  }
}
