import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { ChunkChain, chainSeed, chainVersionOf, chunkDigest, type ChainVersion } from './chain.js';
import { concatBytes, toBase64, toHex, utf8 } from './encoding.js';
import { MANIFEST_FORMAT, type ManifestFormat } from './manifest.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';
import type { Sodium } from './sodium.js';

const s = nativeSodium();

test('h0 hashes the version, recording id and stream name', () => {
  assert.deepEqual(chainSeed(s, 'rec-1', 'tty', 1), s.generichash(32, utf8('recgate/v1 chain\0rec-1\0tty')));
  assert.deepEqual(chainSeed(s, 'rec-1', 'tty', 2), s.generichash(32, utf8('recgate/v2 chain\0rec-1\0tty')));
  assert.equal(new ChunkChain(s, 'rec-1', 'tty').hash(), toBase64(chainSeed(s, 'rec-1', 'tty')));
  assert.deepEqual(chainSeed(s, 'rec-1', 'tty'), s.generichash(32, utf8('recgate/v3 chain\0rec-1\0tty')));
  assert.equal(MANIFEST_FORMAT, 'recgate-recording/4');
  assert.equal(chainVersionOf(MANIFEST_FORMAT), 3);
  assert.equal(chainVersionOf('recgate-recording/3'), 2);
  assert.equal(chainVersionOf('recgate-recording/2'), 2);
  assert.equal(chainVersionOf('recgate-recording/1'), 1);
  // A manifest's format is untrusted: a name an object inherits is no version of its own.
  for (const inherited of ['constructor', '__proto__', 'toString']) assert.equal(chainVersionOf(inherited as ManifestFormat), 3);
});

const blake3 = (sodium: Sodium, c: Uint8Array): Uint8Array => {
  const out = new Uint8Array(32);
  sodium.blake3Into(out, c);
  return out;
};

// Version 1: BLAKE2b-256 of the chunk; version 2: the first half of BLAKE2b-512 (a different
// function, not a prefix of it); version 3: BLAKE3.
const digests: Record<ChainVersion, (chunk: Uint8Array) => Uint8Array> = {
  1: (c) => s.generichash(32, c),
  2: (c) => s.generichash(64, c).subarray(0, 32),
  3: (c) => blake3(s, c),
};

// The BLAKE3 team's test vectors (test_vectors/test_vectors.json in the reference repository):
// input bytes 0, 1, ..., 250, 0, 1, ... of each length, the first 32 bytes of `hash`. The
// lengths straddle BLAKE3's 1 KiB chunks and the tree above them.
const BLAKE3_VECTORS: [number, string][] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  [2049, '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030'],
  [4097, '9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995'],
  [8193, 'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b'],
  [31744, '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085'],
];

const pattern = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i % 251);

test('BLAKE3 in both backends matches the reference test vectors', async () => {
  const w = await wasmSodium();
  for (const [length, hex] of BLAKE3_VECTORS) {
    assert.equal(toHex(blake3(s, pattern(length))), hex, `native, ${length} bytes`);
    assert.equal(toHex(blake3(w, pattern(length))), hex, `wasm, ${length} bytes`);
  }
});

test('BLAKE3 agrees across backends on any bytes, at any offset into their buffer', async () => {
  const w = await wasmSodium();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.nat(16), (bytes, skip) => {
      const view = bytes.subarray(Math.min(skip, bytes.length));
      assert.deepEqual(blake3(s, view), blake3(w, view));
    }),
    { numRuns: 200 },
  );
  assert.throws(() => s.blake3Into(new Uint8Array(64), utf8('x')), /BLAKE3 output must be 32 bytes/);
  assert.throws(() => w.blake3Into(new Uint8Array(16), utf8('x')), /BLAKE3 output must be 32 bytes/);
});

for (const version of [1, 2, 3] as const) {
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

test('no two versions agree', () => {
  const big = new Uint8Array(70000).fill(9);
  const pairs = [[1, 2], [1, 3], [2, 3]] as const;
  for (const [x, y] of pairs) {
    assert.notEqual(chunkDigest(s, big, x), chunkDigest(s, big, y));
    assert.notEqual(new ChunkChain(s, 'r', 'tty', x).hash(), new ChunkChain(s, 'r', 'tty', y).hash());
  }
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
