import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { decodeBase64Portable, encodeBase64Portable, fromBase64, fromUtf8, toBase64, toHex, utf8 } from './encoding.js';

test('base64 matches Node and round-trips, on both codecs', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const expected = Buffer.from(bytes).toString('base64');
      assert.equal(toBase64(bytes), expected);
      assert.equal(encodeBase64Portable(bytes), expected);
      assert.deepEqual(fromBase64(expected), bytes);
      assert.deepEqual(decodeBase64Portable(expected), bytes);
    }),
  );
});

test('base64 of a subarray encodes only its window', () => {
  const big = new Uint8Array([1, 2, 3, 4, 5, 6]);
  assert.equal(toBase64(big.subarray(2, 4)), Buffer.from([3, 4]).toString('base64'));
});

test('non-canonical base64 is refused by both decoders', () => {
  for (const bad of ['QQ', 'QQ=', 'QR==', 'QUI', 'QUJ=', 'Zm9v\n', ' Zm9v', 'Zm9v!', 'Zm9-', 'Zm9_', '====']) {
    assert.equal(fromBase64(bad), null, bad);
    assert.equal(decodeBase64Portable(bad), null, bad);
  }
  assert.deepEqual(fromBase64(''), new Uint8Array(0));
});

test('hex and strict UTF-8', () => {
  assert.equal(toHex(new Uint8Array([0, 15, 16, 255])), '000f10ff');
  assert.equal(fromUtf8(utf8('żółw ✓')), 'żółw ✓');
  assert.throws(() => fromUtf8(new Uint8Array([0xc3, 0x28])), TypeError);
});
