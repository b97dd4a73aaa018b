import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBitmap } from './bitmap.js';
import { decodePlanar } from './bitmap-planar.js';
import { decodeUncompressed } from './bitmap-raw.js';
import { decodeInterleaved, rleDecodePixels } from './bitmap-rle.js';
import { defaultPalette, putPixel, valuesToRgba } from './pixels.js';
import { BitmapCodec, RecordType, ScreenFormatError } from './records.js';
import { Scratch } from './scratch.js';
import { planeEncode, rleEncode } from '../../test/fixtures/bitmap-encoders.js';

const palette = defaultPalette();
const px = (rgba: Uint8Array, w: number, x: number, y: number): number[] => [...rgba.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)];

/** Writes rows of pixel values bottom-up, little-endian, as RDP sends uncompressed bitmaps. */
function rawEncode(rows: number[][], bpb: number): Uint8Array {
  const out: number[] = [];
  for (const row of [...rows].reverse()) for (const v of row) for (let i = 0; i < bpb; i++) out.push((v >>> (8 * i)) & 0xff);
  return Uint8Array.from(out);
}

test('uncompressed 32 and 24 bpp: B,G,R bytes, bottom-up rows', () => {
  for (const [bpp, bpb] of [[32, 4], [24, 3]] as const) {
    const rgba = decodeUncompressed(rawEncode([[0xff0000, 0x00ff00], [0x0000ff, 0x123456]], bpb), 2, 2, bpp, palette);
    assert.deepEqual(px(rgba, 2, 0, 0), [255, 0, 0, 255]);
    assert.deepEqual(px(rgba, 2, 1, 0), [0, 255, 0, 255]);
    assert.deepEqual(px(rgba, 2, 0, 1), [0, 0, 255, 255]);
    assert.deepEqual(px(rgba, 2, 1, 1), [0x12, 0x34, 0x56, 255]);
  }
});

test('uncompressed 16 bpp (RGB565), 15 bpp (RGB555) and 8 bpp (palette)', () => {
  const r16 = decodeUncompressed(rawEncode([[0xf800, 0x07e0, 0x001f, 0x0000]], 2), 4, 1, 16, palette);
  assert.deepEqual([px(r16, 4, 0, 0), px(r16, 4, 1, 0), px(r16, 4, 2, 0), px(r16, 4, 3, 0)], [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [0, 0, 0, 255]]);
  const r15 = decodeUncompressed(rawEncode([[0x7c00, 0x03e0, 0x001f, 0x4210]], 2), 4, 1, 15, palette);
  assert.deepEqual([px(r15, 4, 0, 0), px(r15, 4, 1, 0), px(r15, 4, 2, 0), px(r15, 4, 3, 0)], [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [132, 132, 132, 255]]);
  const pal = new Uint8Array(768);
  pal.set([10, 20, 30], 5 * 3);
  assert.deepEqual(px(decodeUncompressed(Uint8Array.from([5]), 1, 1, 8, pal), 1, 0, 0), [10, 20, 30, 255]);
});

test('uncompressed data shorter than its size is a ScreenFormatError', () => {
  assert.throws(() => decodeUncompressed(new Uint8Array(10), 4, 4, 32, palette), ScreenFormatError);
});

test('RLE: colour image, foreground run against the line above, and the foreground pixel between two background runs', () => {
  // Row 0: COLOR_IMAGE of 4. Row 1: FG_RUN 2 (above XOR white), BG_RUN 1 (above), BG_RUN 1 (starts with a FG pixel).
  const src = Uint8Array.from([0x84, 1, 2, 3, 4, 0x22, 0x01, 0x01]);
  assert.deepEqual([...rleDecodePixels(src, 4, 2, 8)], [1, 2, 3, 4, 0xfe, 0xfd, 3, 0xfb]);
});

test('RLE: lite set-foreground FGBG image on the first line uses black for background', () => {
  assert.deepEqual([...rleDecodePixels(Uint8Array.from([0xd1, 0x55, 0xa5]), 8, 1, 8)], [0x55, 0, 0x55, 0, 0, 0x55, 0, 0x55]);
});

test('RLE: dithered run, white, black and a MEGA_MEGA colour run', () => {
  const src = Uint8Array.from([0xe2, 7, 9, 0xfd, 0xfe, 0xf3, 2, 0, 0x11]);
  assert.deepEqual([...rleDecodePixels(src, 8, 1, 8)], [7, 9, 7, 9, 0xff, 0, 0x11, 0x11]);
});

test('RLE: SPECIAL_FGBG_1 against the line above, long regular runs, 16 and 24 bpp pixels', () => {
  assert.deepEqual([...rleDecodePixels(Uint8Array.from([0xf3, 8, 0, 0x10, 0xf9]), 8, 2, 8)], [...Array(8).fill(0x10), 0xef, 0xef, ...Array(6).fill(0x10)]);
  assert.deepEqual([...rleDecodePixels(Uint8Array.from([0x00, 8]), 40, 1, 8)], Array(40).fill(0));
  assert.deepEqual([...rleDecodePixels(Uint8Array.from([0x62, 0x34, 0x12]), 2, 1, 16)], [0x1234, 0x1234]);
  assert.deepEqual([...rleDecodePixels(Uint8Array.from([0x81, 0x56, 0x34, 0x12, 0xfd]), 2, 1, 24)], [0x123456, 0xffffff]);
  assert.deepEqual([...rleDecodePixels(Uint8Array.from([0xf6, 2, 0, 0x34, 0x12]), 2, 1, 16)], [0x1234, 0x1234]);
});

test('RLE: random images round-trip through an encoder at 8, 15, 16 and 24 bpp', () => {
  fc.assert(
    fc.property(fc.constantFrom([8, 1, 0xff], [15, 2, 0x7fff], [16, 2, 0xffff], [24, 3, 0xffffff]), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), ([bpp, bpb, mask], w, h, seeds) => {
      const pixels = Array.from({ length: w * h }, (_, i) => (seeds[Math.floor(i / 5) % seeds.length]! * (i % 3 === 0 ? 1 : 7)) & mask!);
      assert.deepEqual([...rleDecodePixels(rleEncode(pixels, bpb!), w, h, bpp!)], pixels);
    }),
  );
});

test('pixel values to RGBA a word at a time: what putPixel gives, rows flipped, at 8, 15, 16 and 24 bpp', () => {
  fc.assert(
    fc.property(fc.constantFrom(8, 15, 16, 24), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), fc.uint8Array({ minLength: 768, maxLength: 768 }), fc.array(fc.nat(), { minLength: 1, maxLength: 45 }), (bpp, w, h, pal, seeds) => {
      const mask = bpp === 8 ? 0xff : bpp === 15 ? 0x7fff : bpp === 16 ? 0xffff : 0xffffff;
      const values = Uint32Array.from({ length: w * h }, (_, i) => seeds[i % seeds.length]! & mask);
      const want = new Uint8Array(w * h * 4);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) putPixel(want, (y * w + x) * 4, values[(h - 1 - y) * w + x]!, bpp, pal);
      assert.deepEqual([...valuesToRgba(values, w, h, bpp, pal)], [...want]);
    }),
  );
});

test('RLE output is flipped to top-down RGBA', () => {
  const rgba = decodeInterleaved(Uint8Array.from([0x61, 0x00, 0xf8, 0x61, 0x1f, 0x00]), 1, 2, 16, palette);
  assert.deepEqual(px(rgba, 1, 0, 0), [0, 0, 255, 255]);
  assert.deepEqual(px(rgba, 1, 0, 1), [255, 0, 0, 255]);
});

function image(w: number, h: number, f: (x: number, y: number) => number[]): number[][] {
  return Array.from({ length: w * h }, (_, i) => f(i % w, Math.floor(i / w)));
}

/** Planes in storage order (bottom-up) from a top-down image. */
function planesOf(img: number[][], w: number, h: number, k: number): number[] {
  return Array.from({ length: w * h }, (_, i) => img[(h - 1 - Math.floor(i / w)) * w + (i % w)]![k]!);
}

test('planar raw and RLE planes, with and without alpha, decode to the image', () => {
  const w = 37;
  const h = 9;
  const img = image(w, h, (x, y) => [x < 20 ? 200 : x * 5, y * 20, (x * y) & 0xff, x === y ? 0 : 255]);
  const [a, r, g, b] = [3, 0, 1, 2].map((k) => planesOf(img, w, h, k));
  const cases = [
    Uint8Array.from([0x00, ...a!, ...r!, ...g!, ...b!, 0]),
    Uint8Array.from([0x20, ...r!, ...g!, ...b!, 0]),
    Uint8Array.from([0x10, ...[a!, r!, g!, b!].flatMap((p) => planeEncode(p, w, h))]),
    Uint8Array.from([0x30, ...[r!, g!, b!].flatMap((p) => planeEncode(p, w, h))]),
  ];
  for (const [n, src] of cases.entries()) {
    const rgba = decodePlanar(src, w, h);
    for (let i = 0; i < w * h; i++) {
      const want = [...img[i]!.slice(0, 3), n % 2 === 1 ? 255 : img[i]![3]!];
      assert.deepEqual(px(rgba, w, i % w, Math.floor(i / w)), want, `case ${n} pixel ${i}`);
    }
  }
});

test('planar with colour loss and chroma subsampling (YCoCg, MS-RDPEGDI 3.1.9.1.2) comes within the loss', () => {
  const w = 10;
  const h = 6;
  // 2×2 blocks of one colour, so subsampling loses nothing beyond the colour loss.
  const img = image(w, h, (x, y) => [((x >> 1) * 50) & 0xff, (y >> 1) * 80, 255 - (x >> 1) * 40]);
  for (const [cll, cs] of [[1, false], [2, false], [1, true], [3, true]] as const) {
    const ycocg = img.map(([r, g, b]) => {
      const co = r! - b!;
      const t = b! + (co >> 1);
      const cg = g! - t;
      return [(t + (cg >> 1)) & 0xff, (co >> cll) & 0xff, (cg >> cll) & 0xff];
    });
    const planes = [0, 1, 2].map((k) => planesOf(ycocg, w, h, k));
    const sub = (p: number[]): number[] => (cs ? Array.from({ length: (w / 2) * (h / 2) }, (_, i) => p[2 * Math.floor(i / (w / 2)) * w + 2 * (i % (w / 2))]!) : p);
    const src = Uint8Array.from([0x30 | (cs ? 0x08 : 0) | cll, ...planeEncode(planes[0]!, w, h), ...planeEncode(sub(planes[1]!), cs ? w / 2 : w, cs ? h / 2 : h), ...planeEncode(sub(planes[2]!), cs ? w / 2 : w, cs ? h / 2 : h)]);
    const rgba = decodePlanar(src, w, h);
    for (let i = 0; i < w * h; i++) {
      const got = px(rgba, w, i % w, Math.floor(i / w));
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[c]! - img[i]![c]!) <= 1 << cll, `cll ${cll} cs ${cs} pixel ${i}: ${got} vs ${img[i]}`);
    }
  }
});

test('a compressed bitmap with a TS_CD_HEADER is read past the header', () => {
  const body = Uint8Array.from([0x62, 0x34, 0x12]);
  const data = Uint8Array.from([0, 0, body.length, 0, 4, 0, 4, 0, ...body]);
  const rgba = decodeBitmap({ type: RecordType.Bitmap, x: 0, y: 0, destW: 2, destH: 1, width: 2, height: 1, bpp: 16, codec: BitmapCodec.Interleaved, flags: 1, data }, palette);
  assert.equal(rgba.length, 8);
});

test('fuzz: any bytes decode to the bitmap size or fail with a ScreenFormatError', () => {
  fc.assert(
    fc.property(fc.constantFrom(BitmapCodec.None, BitmapCodec.Interleaved, BitmapCodec.Planar), fc.constantFrom(8, 15, 16, 24, 32, 7), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xffff }), (codec, bpp, w, h, data, flags) => {
      try {
        const rgba = decodeBitmap({ type: RecordType.Bitmap, x: 0, y: 0, destW: w, destH: h, width: w, height: h, bpp, codec, flags, data }, palette);
        assert.equal(rgba.length, w * h * 4);
      } catch (err) {
        assert.ok(err instanceof ScreenFormatError, String(err));
      }
    }),
    { numRuns: 3000 },
  );
});

test('a claimed size beyond the limit is refused before any allocation', () => {
  assert.throws(() => decodeInterleaved(new Uint8Array(4), 65535, 65535, 16, palette), ScreenFormatError);
});

test('one Scratch reused across any sequence of bitmaps decodes each exactly as fresh buffers do', () => {
  const valid = fc
    .tuple(fc.constantFrom(BitmapCodec.None, BitmapCodec.Interleaved, BitmapCodec.Planar), fc.constantFrom(8, 15, 16, 24, 32), fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }))
    .map(([codec, bpp, w, h, seeds]) => {
      const bpb = bpp === 8 ? 1 : bpp <= 16 ? 2 : bpp === 24 ? 3 : 4;
      const values = Array.from({ length: w * h }, (_, i) => (seeds[Math.floor(i / 3) % seeds.length]! * (i % 4 === 0 ? 1 : 13)) & (bpp === 32 ? 0xffffff : 2 ** Math.min(bpp, 24) - 1));
      if (codec === BitmapCodec.Interleaved && bpp !== 32) return { codec, bpp, w, h, data: rleEncode(values, bpb), flags: 1 | 0x400 };
      if (codec === BitmapCodec.Planar) {
        const planes = [0, 1, 2].map((k) => values.map((v) => (v >> (8 * k)) & 0xff));
        return { codec, bpp: 32, w, h, data: Uint8Array.from([0x30, ...planes.flatMap((p) => planeEncode(p, w, h))]), flags: 1 | 0x400 };
      }
      return { codec: BitmapCodec.None, bpp, w, h, data: rawEncode(Array.from({ length: h }, (_, y) => values.slice(y * w, (y + 1) * w)), bpb), flags: 0 };
    });
  const garbage = fc.record({ codec: fc.constantFrom(BitmapCodec.None, BitmapCodec.Interleaved, BitmapCodec.Planar), bpp: fc.constantFrom(8, 16, 24, 32), w: fc.integer({ min: 1, max: 30 }), h: fc.integer({ min: 1, max: 30 }), data: fc.uint8Array({ maxLength: 200 }), flags: fc.constantFrom(0, 1 | 0x400) });
  const decode = (b: { codec: BitmapCodec; bpp: number; w: number; h: number; data: Uint8Array; flags: number }, scratch?: Scratch): number[] | string => {
    try {
      return [...decodeBitmap({ type: RecordType.Bitmap, x: 0, y: 0, destW: b.w, destH: b.h, width: b.w, height: b.h, bpp: b.bpp, codec: b.codec, flags: b.flags, data: b.data }, palette, scratch)];
    } catch (err) {
      assert.ok(err instanceof ScreenFormatError, String(err));
      return err.message;
    }
  };
  fc.assert(
    fc.property(fc.array(fc.oneof(valid, valid, garbage), { minLength: 2, maxLength: 12 }), (bitmaps) => {
      const scratch = new Scratch();
      for (const b of bitmaps) assert.deepEqual(decode(b, scratch), decode(b));
    }),
    { numRuns: 400 },
  );
});
