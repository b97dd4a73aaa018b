import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import fc from 'fast-check';

import { CryptoError } from '../errors.js';
import { defaultSodium, type Sodium } from './sodium.js';
import { nativeSodium, setLargeHashBackend } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';

const enc = (t: string) => new TextEncoder().encode(t);
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

let native: Sodium;
let wasm: Sodium;

before(async () => {
  native = nativeSodium();
  wasm = await wasmSodium();
});

function eachBackend(name: string, body: (s: Sodium) => void | Promise<void>): void {
  test(`${name} (native)`, () => body(native));
  test(`${name} (wasm)`, () => body(wasm));
}

describe('each backend', () => {
  eachBackend('AEAD round-trips and returns null on any tampering', (s) => {
    const key = s.randomBytes(32);
    const nonce = s.randomBytes(24);
    const ct = s.aeadEncrypt(enc('hello'), enc('ad'), nonce, key);
    assert.equal(ct.length, 5 + 16);
    assert.deepEqual(s.aeadDecrypt(ct, enc('ad'), nonce, key), enc('hello'));
    assert.equal(s.aeadDecrypt(ct, enc('ax'), nonce, key), null);
    assert.equal(s.aeadDecrypt(ct, null, nonce, key), null);
    const flipped = ct.slice();
    flipped[0]! ^= 1;
    assert.equal(s.aeadDecrypt(flipped, enc('ad'), nonce, key), null);
    assert.equal(s.aeadDecrypt(ct.subarray(0, 10), enc('ad'), nonce, key), null);
    assert.deepEqual(s.aeadDecrypt(s.aeadEncrypt(new Uint8Array(0), null, nonce, key), null, nonce, key), new Uint8Array(0));
  });

  eachBackend('wrong key or nonce length throws CryptoError before calling libsodium', (s) => {
    assert.throws(() => s.aeadEncrypt(enc('x'), null, bytes(12, 0), bytes(32, 0)), CryptoError);
    assert.throws(() => s.aeadDecrypt(bytes(20, 0), null, bytes(24, 0), bytes(16, 0)), CryptoError);
    assert.throws(() => s.boxSeal(enc('x'), bytes(31, 1)), CryptoError);
    assert.throws(() => s.kdfDeriveFromKey(32, 1, 'short', bytes(32, 0)), CryptoError);
    assert.throws(() => s.generichash(8, enc('x')), CryptoError);
  });

  eachBackend('sealed boxes open only with the matching key pair', (s) => {
    const a = s.boxKeypair();
    const b = s.boxKeypair();
    assert.deepEqual(s.scalarmultBase(a.secretKey), a.publicKey);
    const sealed = s.boxSeal(enc('record key'), a.publicKey);
    assert.equal(sealed.length, 10 + 48);
    assert.deepEqual(s.boxSealOpen(sealed, a.publicKey, a.secretKey), enc('record key'));
    assert.equal(s.boxSealOpen(sealed, b.publicKey, b.secretKey), null);
    assert.equal(s.boxSealOpen(sealed.subarray(0, 40), a.publicKey, a.secretKey), null);
  });

  eachBackend('signatures verify and reject tampering and malformed input', (s) => {
    const { publicKey, secretKey } = s.signKeypair();
    const sig = s.signDetached(enc('checkpoint'), secretKey);
    assert.equal(s.signVerifyDetached(sig, enc('checkpoint'), publicKey), true);
    assert.equal(s.signVerifyDetached(sig, enc('checkpoinT'), publicKey), false);
    assert.equal(s.signVerifyDetached(sig.subarray(1), enc('checkpoint'), publicKey), false);
    assert.equal(s.signVerifyDetached(sig, enc('checkpoint'), publicKey.subarray(1)), false);
  });

  eachBackend('streaming BLAKE2b equals one-shot, keyed or not', (s) => {
    const msg = s.randomBytes(1000);
    const h = s.generichashHasher(32);
    h.update(msg.subarray(0, 333));
    h.update(msg.subarray(333));
    assert.deepEqual(h.digest(), s.generichash(32, msg));
    assert.throws(() => h.digest(), CryptoError);
    const key = bytes(32, 7);
    const hk = s.generichashHasher(64, key);
    hk.update(msg);
    assert.deepEqual(hk.digest(), s.generichash(64, msg, key));
    const out = new Uint8Array(32);
    s.generichashInto(out, msg);
    assert.deepEqual(out, s.generichash(32, msg));
  });

  eachBackend('secretbox round-trips; password hash strings verify, also off the event loop', async (s) => {
    const key = s.randomBytes(32);
    const nonce = s.randomBytes(24);
    const box = s.secretboxEasy(enc('secret'), nonce, key);
    assert.deepEqual(s.secretboxOpenEasy(box, nonce, key), enc('secret'));
    assert.equal(s.secretboxOpenEasy(box, nonce, s.randomBytes(32)), null);
    const str = s.pwhashStr('hunter2', 1, 8192 * 4);
    assert.match(str, /^\$argon2id\$/);
    assert.equal(s.pwhashStrVerify(str, 'hunter2'), true);
    assert.equal(s.pwhashStrVerify(str, 'hunter3'), false);
    assert.equal(s.pwhashStrVerify('not a hash', 'hunter2'), false);
    assert.equal(await s.pwhashStrVerifyAsync(str, 'hunter2'), true);
    assert.equal(await s.pwhashStrVerifyAsync(str, 'hunter3'), false);
    assert.equal(await s.pwhashStrVerifyAsync('not a hash', 'hunter2'), false);
    // Argon2id off the calling thread derives the same key as on it.
    assert.deepEqual(await s.pwhashAsync(32, enc('hunter2'), bytes(16, 7), 1, 8192 * 8), s.pwhash(32, enc('hunter2'), bytes(16, 7), 1, 8192 * 8));
    await assert.rejects(s.pwhashAsync(32, enc('hunter2'), bytes(15, 7), 1, 8192 * 8));
  });

  eachBackend('outputs are plain Uint8Array and memzero wipes', (s) => {
    const r = s.randomBytes(16);
    assert.equal(Object.getPrototypeOf(r), Uint8Array.prototype);
    for (const length of [16, 5000]) {
      const sealed = s.aeadEncrypt(bytes(length, 1), null, bytes(24, 0), bytes(32, 0));
      assert.equal(Object.getPrototypeOf(sealed), Uint8Array.prototype);
      // A sealed chunk owns its memory whole: a store may hand its buffer on.
      assert.deepEqual([sealed.byteOffset, sealed.buffer.byteLength], [0, length + 16]);
    }
    s.memzero(r);
    assert.deepEqual(r, new Uint8Array(16));
  });
});

describe('native and wasm agree byte for byte', () => {
  test('XChaCha20-Poly1305 ciphertext for the same key, nonce, ad and message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), (m, ad, key, nonce) => {
        const a = native.aeadEncrypt(m, ad, nonce, key);
        assert.deepEqual(wasm.aeadEncrypt(m, ad, nonce, key), a);
        assert.deepEqual(wasm.aeadDecrypt(a, ad, nonce, key), m);
      }),
      { numRuns: 100 },
    );
  });

  test('KDF, BLAKE2b, secretbox, Ed25519 and Argon2id outputs', () => {
    const key = bytes(32, 9);
    const msg = enc('the same input');
    assert.deepEqual(wasm.kdfDeriveFromKey(32, 3, 'rgstream', key), native.kdfDeriveFromKey(32, 3, 'rgstream', key));
    assert.deepEqual(wasm.generichash(32, msg), native.generichash(32, msg));
    assert.deepEqual(wasm.generichash(32, msg, key), native.generichash(32, msg, key));
    // 64-byte digests of large messages may take the native backend's OpenSSL path: the same function.
    for (const backend of ['openssl', 'libsodium', undefined] as const) {
      setLargeHashBackend(backend);
      for (const size of [0, 4095, 4096, 70_000]) {
        const big = bytes(size, 5);
        const [n, w] = [new Uint8Array(64), new Uint8Array(64)];
        native.generichashInto(n, big);
        wasm.generichashInto(w, big);
        assert.deepEqual(n, w, `${size} bytes, ${backend ?? 'picked'}`);
      }
    }
    assert.deepEqual(wasm.secretboxEasy(msg, bytes(24, 1), key), native.secretboxEasy(msg, bytes(24, 1), key));
    const pn = native.signSeedKeypair(key);
    const pw = wasm.signSeedKeypair(key);
    assert.deepEqual(pw, pn);
    assert.deepEqual(wasm.signDetached(msg, pw.secretKey), native.signDetached(msg, pn.secretKey));
    assert.deepEqual(wasm.scalarmultBase(key), native.scalarmultBase(key));
    assert.deepEqual(wasm.pwhash(32, msg, bytes(16, 2), 1, 8192 * 8), native.pwhash(32, msg, bytes(16, 2), 1, 8192 * 8));
  });

  test('a box sealed by one backend opens with the other', () => {
    const pair = native.boxKeypair();
    assert.deepEqual(wasm.boxSealOpen(native.boxSeal(enc('k'), pair.publicKey), pair.publicKey, pair.secretKey), enc('k'));
    assert.deepEqual(native.boxSealOpen(wasm.boxSeal(enc('k'), pair.publicKey), pair.publicKey, pair.secretKey), enc('k'));
  });

  test('password hash strings verify across backends', () => {
    assert.equal(wasm.pwhashStrVerify(native.pwhashStr('pw', 1, 8192 * 4), 'pw'), true);
    assert.equal(native.pwhashStrVerify(wasm.pwhashStr('pw', 1, 8192 * 4), 'pw'), true);
  });
});

test('defaultSodium is one shared native instance', () => {
  assert.equal(defaultSodium(), defaultSodium());
  assert.equal(defaultSodium().backend, 'native');
});
