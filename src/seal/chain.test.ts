import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChunkChain, chainSeed, chainVersionOf, chunkDigest, type ChainVersion } from './chain.js';
import { concatBytes, toBase64, utf8 } from './encoding.js';
import { MANIFEST_FORMAT } from './manifest.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';

const s = nativeSodium();

test('h0 hashes the version, recording id and stream name', () => {
  assert.deepEqual(chainSeed(s, 'rec-1', 'tty', 1), s.generichash(32, utf8('recgate/v1 chain\0rec-1\0tty')));
  assert.deepEqual(chainSeed(s, 'rec-1', 'tty'), s.generichash(32, utf8('recgate/v2 chain\0rec-1\0tty')));
  assert.equal(new ChunkChain(s, 'rec-1', 'tty').hash(), toBase64(chainSeed(s, 'rec-1', 'tty')));
  assert.equal(chainVersionOf(MANIFEST_FORMAT), 2);
  assert.equal(chainVersionOf('recgate-recording/2'), 2);
  assert.equal(chainVersionOf('recgate-recording/1'), 1);
});

// Version 1: BLAKE2b-256 of the chunk; version 2: the first half of BLAKE2b-512 (a different function, not a prefix of it).
const digests: Record<ChainVersion, (chunk: Uint8Array) => Uint8Array> = {
  1: (c) => s.generichash(32, c),
  2: (c) => s.generichash(64, c).subarray(0, 32),
};

for (const version of [1, 2] as const) {
  test(`version ${version}: h_i = BLAKE2b-256(h_{i-1} ‖ digest_i) and push returns the digest`, () => {
    const chunks = [utf8('a'), utf8('bb'), new Uint8Array(70000).fill(9)];
    const chain = new ChunkChain(s, 'rec-1', 'tty', version);
    let h = chainSeed(s, 'rec-1', 'tty', version);
    for (const c of chunks) {
      const d = digests[version](c);
      assert.equal(chain.push(c), toBase64(d));
      assert.equal(chunkDigest(s, c, version), toBase64(d));
      h = s.generichash(32, concatBytes(h, d));
      assert.equal(chain.hash(), toBase64(h));
    }
    assert.equal(chain.count, 3);
  });
}

test('the two versions never agree', () => {
  const big = new Uint8Array(70000).fill(9);
  assert.notEqual(chunkDigest(s, big, 1), chunkDigest(s, big, 2));
  const [a, b] = [new ChunkChain(s, 'r', 'tty', 1), new ChunkChain(s, 'r', 'tty', 2)];
  assert.notEqual(a.hash(), b.hash());
});

test('the chain depends on order and agrees across backends', async () => {
  const w = await wasmSodium();
  const a = new ChunkChain(s, 'r', 'tty');
  const b = new ChunkChain(s, 'r', 'tty');
  const c = new ChunkChain(w, 'r', 'tty');
  const big = new Uint8Array(70000).fill(3);
  a.push(utf8('1'));
  a.push(big);
  b.push(big);
  b.push(utf8('1'));
  c.push(utf8('1'));
  c.push(big);
  assert.notEqual(a.hash(), b.hash());
  assert.equal(a.hash(), c.hash());
  assert.notEqual(new ChunkChain(s, 'r', 'tty').hash(), new ChunkChain(s, 'r', 'input').hash());
});
