import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodePointer, drawPointerImage } from './pointer.js';
import { RecordType, ScreenFormatError } from './records.js';

test('a 24 bpp pointer: colour, transparent and inverting pixels, drawn at its hotspot', () => {
  const xor = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x00, /* top row: */ 0x00, 0x00, 0xff, 0x00, 0x00, 0x00]);
  const and = Uint8Array.from([0x80, 0x00, 0x40, 0x00]);
  const image = decodePointer({ type: RecordType.PointerShape, index: 0, hotX: 1, hotY: 1, w: 2, h: 2, xorBpp: 24, and, xor });
  const canvas = new Uint8Array(4 * 4 * 4);
  for (let i = 0; i < canvas.length; i += 4) canvas.set([0, 255, 0, 255], i);
  drawPointerImage(canvas, 4, 4, image, 2, 2);
  const at = (x: number, y: number): number[] => [...canvas.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 3)];
  assert.deepEqual(at(1, 1), [255, 0, 0]);
  assert.deepEqual(at(2, 1), [0, 255, 0]);
  assert.deepEqual(at(1, 2), [255, 0, 255]);
  assert.deepEqual(at(2, 2), [0, 0, 255]);
});

test('a 32 bpp pointer blends by its alpha', () => {
  const xor = Uint8Array.from([0x00, 0x00, 0xff, 0x80]);
  const image = decodePointer({ type: RecordType.PointerShape, index: 1, hotX: 0, hotY: 0, w: 1, h: 1, xorBpp: 32, and: Uint8Array.from([0, 0]), xor });
  const canvas = Uint8Array.from([0, 0, 0, 255]);
  drawPointerImage(canvas, 1, 1, image, 0, 0);
  assert.ok(Math.abs(canvas[0]! - 128) <= 1, String(canvas[0]));
});

test('fuzz: pointer shapes decode or fail with a ScreenFormatError, and drawing stays inside the canvas', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.constantFrom(1, 4, 8, 15, 16, 24, 32, 3), fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 6000 }), fc.integer({ min: -50, max: 50 }), (w, h, xorBpp, and, xor, at) => {
      try {
        const image = decodePointer({ type: RecordType.PointerShape, index: 0, hotX: 3, hotY: 3, w, h, xorBpp, and, xor });
        const canvas = new Uint8Array(16 * 16 * 4);
        drawPointerImage(canvas, 16, 16, image, at, at);
        assert.equal(canvas.length, 16 * 16 * 4);
      } catch (err) {
        assert.ok(err instanceof ScreenFormatError, String(err));
      }
    }),
  );
});
