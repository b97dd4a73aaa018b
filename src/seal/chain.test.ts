import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChunkChain, chainSeed, chunkDigest } from './chain.js';
import { concatBytes, toBase64, utf8 } from './encoding.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';

const s = nativeSodium();

test('h0 hashes the domain, recording id and stream name', () => {
  assert.deepEqual(chainSeed(s, 'rec-1', 'tty'), s.generichash(32, utf8('recgate/v1 chain\0rec-1\0tty')));
  assert.equal(new ChunkChain(s, 'rec-1', 'tty').hash(), toBase64(chainSeed(s, 'rec-1', 'tty')));
});

test('h_i = BLAKE2b-256(h_{i-1} ‖ BLAKE2b-256(chunk_i)) and push returns the digest', () => {
  const chunks = [utf8('a'), utf8('bb'), new Uint8Array(70000).fill(9)];
  const chain = new ChunkChain(s, 'rec-1', 'tty');
  let h = chainSeed(s, 'rec-1', 'tty');
  for (const c of chunks) {
    const d = s.generichash(32, c);
    assert.equal(chain.push(c), toBase64(d));
    assert.equal(chunkDigest(s, c), toBase64(d));
    h = s.generichash(32, concatBytes(h, d));
    assert.equal(chain.hash(), toBase64(h));
  }
  assert.equal(chain.count, 3);
});

test('the chain depends on order and agrees across backends', async () => {
  const w = await wasmSodium();
  const a = new ChunkChain(s, 'r', 'tty');
  const b = new ChunkChain(s, 'r', 'tty');
  const c = new ChunkChain(w, 'r', 'tty');
  a.push(utf8('1'));
  a.push(utf8('2'));
  b.push(utf8('2'));
  b.push(utf8('1'));
  c.push(utf8('1'));
  c.push(utf8('2'));
  assert.notEqual(a.hash(), b.hash());
  assert.equal(a.hash(), c.hash());
  assert.notEqual(new ChunkChain(s, 'r', 'tty').hash(), new ChunkChain(s, 'r', 'input').hash());
});
