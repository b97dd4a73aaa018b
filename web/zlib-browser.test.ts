import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { deflateSync, inflateSync } from './zlib-browser.js';

test('property: inflates what node:zlib deflates, at every level, to the same bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 0, max: 9 }), (data, level) => {
      const packed = zlib.deflateSync(data, { level });
      assert.deepEqual(Buffer.from(inflateSync(packed)), Buffer.from(data));
      assert.deepEqual(Buffer.from(inflateSync(packed, { maxOutputLength: Math.max(data.length, 1) })), Buffer.from(data));
    }),
  );
});

test('property: node:zlib inflates what it deflates', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 0, max: 9 }), (data, level) => {
      assert.deepEqual(zlib.inflateSync(deflateSync(data, { level })), Buffer.from(data));
    }),
  );
});

test('more output than maxOutputLength is refused, as node:zlib refuses it', () => {
  const packed = zlib.deflateSync(Buffer.alloc(1000, 7));
  assert.throws(() => zlib.inflateSync(packed, { maxOutputLength: 999 }), RangeError);
  assert.throws(() => inflateSync(packed, { maxOutputLength: 999 }), RangeError);
  assert.equal(inflateSync(packed, { maxOutputLength: 1000 }).length, 1000);
});

test('data that is not zlib is refused, as node:zlib refuses it', () => {
  const garbage = new TextEncoder().encode('this is not a zlib stream at all');
  assert.throws(() => zlib.inflateSync(garbage));
  assert.throws(() => inflateSync(garbage), /invalid zlib data/);
});
