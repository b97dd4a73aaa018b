import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KeyError } from '../errors.js';
import { concatBytes, fromBase64, toBase64, utf8 } from './encoding.js';
import { testMeta } from './fixtures.js';
import { canonicalJson, type Checkpoint } from './manifest.js';
import {
  formatSignerPublicLine,
  formatSigningKeyFile,
  generateSigningKey,
  metaHash,
  parseSignerPublicLine,
  parseSigningKeyFile,
  signCheckpoint,
  verifyCheckpoint,
} from './signing.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';

const s = nativeSodium();

function unsigned(): Omit<Checkpoint, 'signature'> {
  return {
    recording: 'rec-1',
    seq: 0,
    at: '2024-05-01T10:00:10.000Z',
    metaHash: metaHash(s, testMeta('rec-1')),
    streams: [{ id: 1, name: 'tty', noncePrefix: toBase64(new Uint8Array(16)), chunks: 2, hash: 'aGFzaA==', digests: ['ZDE=', 'ZDI='] }],
  };
}

test('signing key file and .pub line round-trip', () => {
  const pair = generateSigningKey(s);
  const text = formatSigningKeyFile(s, pair);
  assert.match(text, /^recgate-signing-ed25519 [A-Za-z0-9+/]{43}=\n$/);
  assert.deepEqual(parseSigningKeyFile(s, text, 'gw.key'), pair);
  const pub = formatSignerPublicLine(s, pair.publicKey, 'recgate gateway');
  assert.deepEqual(parseSignerPublicLine(s, pub, 'gw.key.pub'), { publicKey: pair.publicKey, comment: 'recgate gateway' });
});

test('bad signing key content is a KeyError naming the file', () => {
  for (const text of ['', 'recgate-signing-ed25519', 'recgate-signing-ed25519 AAAA', 'ssh-ed25519 AAAA', 'recgate-signing-ed25519 a b']) {
    assert.throws(() => parseSigningKeyFile(s, text, 'gw.key'), (err: unknown) => err instanceof KeyError && err.message.startsWith('gw.key: '));
  }
  assert.throws(() => parseSignerPublicLine(s, 'recgate-signer-ed25519 AAAA', 'gw.pub'), KeyError);
});

test('metaHash is BLAKE2b-256 of the canonical JSON of meta, independent of key order', () => {
  const meta = testMeta('rec-1');
  assert.equal(metaHash(s, meta), toBase64(s.generichash(32, utf8(canonicalJson(meta)))));
  const reordered = Object.fromEntries(Object.entries(meta).reverse()) as typeof meta;
  assert.equal(metaHash(s, reordered), metaHash(s, meta));
});

test('a checkpoint signature covers the domain string and every other field', async () => {
  const pair = generateSigningKey(s);
  const cp = signCheckpoint(s, pair.secretKey, unsigned());
  const message = concatBytes(utf8('recgate/v1 checkpoint\0'), utf8(canonicalJson(unsigned())));
  assert.ok(s.signVerifyDetached(fromBase64(cp.signature)!, message, pair.publicKey));
  assert.ok(verifyCheckpoint(s, pair.publicKey, cp));
  assert.ok(verifyCheckpoint(await wasmSodium(), pair.publicKey, cp));
  const tampered: Checkpoint[] = [
    { ...cp, seq: 1 },
    { ...cp, recording: 'rec-2' },
    { ...cp, metaHash: metaHash(s, testMeta('rec-2')) },
    { ...cp, streams: [{ ...cp.streams[0]!, chunks: 1 }] },
    { ...cp, streams: [{ ...cp.streams[0]!, digests: ['ZDI=', 'ZDE='] }] },
    { ...cp, final: { endedAt: cp.at, status: 'complete', endReason: 'x' } },
    { ...cp, signature: 'not base64' },
  ];
  for (const t of tampered) assert.equal(verifyCheckpoint(s, pair.publicKey, t), false);
  assert.equal(verifyCheckpoint(s, generateSigningKey(s).publicKey, cp), false);
});
