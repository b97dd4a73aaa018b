import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { utf8 } from './encoding.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';
import { StreamCipher, chunkNonce, deriveStreamKey, openChunkWith, sealChunkWith, streamAssociatedData } from './stream.js';

const s = nativeSodium();
const K = new Uint8Array(32).fill(3);
const prefix = new Uint8Array(16).map((_, i) => i + 1);

test('nonce = prefix ‖ 56-bit big-endian counter ‖ last flag', () => {
  const n = chunkNonce(prefix, 0x010203040506, true);
  assert.deepEqual(n.subarray(0, 16), prefix);
  assert.deepEqual([...n.subarray(16)], [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x01]);
  assert.deepEqual([...chunkNonce(prefix, 1, false).subarray(16)], [0, 0, 0, 0, 0, 0, 1, 0]);
  assert.throws(() => chunkNonce(prefix, -1, false));
  assert.throws(() => chunkNonce(prefix, 1.5, false));
});

test('associated data is "recgate/v1" NUL id NUL stream; names with NUL are refused', () => {
  assert.deepEqual(streamAssociatedData('rec-1', 'tty'), utf8('recgate/v1\0rec-1\0tty'));
  assert.throws(() => streamAssociatedData('a\0b', 'tty'));
  assert.throws(() => streamAssociatedData('a', ''));
});

test('subkeys are crypto_kdf_derive_from_key(32, stream id, "rgstream", K)', () => {
  assert.deepEqual(deriveStreamKey(s, K, 2), s.kdfDeriveFromKey(32, 2, 'rgstream', K));
  assert.notDeepEqual(deriveStreamKey(s, K, 1), deriveStreamKey(s, K, 2));
});

test('a chunk opens at its index only, and reports its last flag', () => {
  const key = deriveStreamKey(s, K, 1);
  const ad = streamAssociatedData('rec-1', 'tty');
  const mid = sealChunkWith(s, key, prefix, 5, false, ad, utf8('middle'));
  const end = sealChunkWith(s, key, prefix, 6, true, ad, utf8('end'));
  assert.deepEqual(openChunkWith(s, key, prefix, 5, ad, mid), { plaintext: utf8('middle'), last: false });
  assert.deepEqual(openChunkWith(s, key, prefix, 6, ad, end), { plaintext: utf8('end'), last: true });
  assert.equal(openChunkWith(s, key, prefix, 6, ad, mid), null, 'moved to another position');
  assert.equal(openChunkWith(s, key, prefix, 5, streamAssociatedData('rec-2', 'tty'), mid), null, 'moved to another recording');
  assert.equal(openChunkWith(s, key, prefix, 5, streamAssociatedData('rec-1', 'input'), mid), null, 'moved to another stream');
  assert.equal(openChunkWith(s, deriveStreamKey(s, K, 2), prefix, 5, ad, mid), null, 'another stream key');
  assert.equal(openChunkWith(s, key, new Uint8Array(16), 5, ad, mid), null, 'another prefix');
});

test('StreamCipher seals what sealChunkWith seals, reusing its nonce', () => {
  const key = deriveStreamKey(s, K, 1);
  const ad = streamAssociatedData('rec-1', 'tty');
  const cipher = new StreamCipher(s, key.slice(), prefix, ad);
  for (let i = 0; i < 4; i++) {
    const last = i === 3;
    const ct = cipher.seal(i, last, utf8(`chunk ${i}`));
    assert.deepEqual(ct, sealChunkWith(s, key, prefix, i, last, ad, utf8(`chunk ${i}`)));
    assert.deepEqual(cipher.open(i, ct), { plaintext: utf8(`chunk ${i}`), last });
  }
});

test('property: any list of plaintexts round-trips, on either backend', async () => {
  const w = await wasmSodium();
  const key = deriveStreamKey(s, K, 1);
  const ad = streamAssociatedData('rec-1', 'tty');
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 256 }), { minLength: 1, maxLength: 12 }), (plaintexts) => {
      const sealed = plaintexts.map((p, i) => sealChunkWith(s, key, prefix, i, i === plaintexts.length - 1, ad, p));
      sealed.forEach((ct, i) => {
        const opened = openChunkWith(w, key, prefix, i, ad, ct);
        assert.deepEqual(opened, { plaintext: plaintexts[i], last: i === plaintexts.length - 1 });
      });
    }),
    { numRuns: 60 },
  );
});

test('property: any single-byte change of any chunk fails authentication', () => {
  const key = deriveStreamKey(s, K, 1);
  const ad = streamAssociatedData('rec-1', 'tty');
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 128 }), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (plaintexts, pick, at, delta) => {
        const i = pick % plaintexts.length;
        const ct = sealChunkWith(s, key, prefix, i, i === plaintexts.length - 1, ad, plaintexts[i]!);
        const bad = ct.slice();
        const pos = at % bad.length;
        bad[pos] = (bad[pos]! + delta) & 0xff;
        assert.equal(openChunkWith(s, key, prefix, i, ad, bad), null);
      },
    ),
    { numRuns: 200 },
  );
});
