/**
 * XChaCha20-Poly1305 through the system's OpenSSL (native/openssl-aead.c) gives libsodium's
 * bytes: the published test vector, random messages of every size around the threshold and
 * ChaCha20's blocks, opening across the two libraries and the browser's wasm build, refusal of
 * any change, and use from a worker thread.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import fc from 'fast-check';

import { agrees, OPENSSL_AEAD_FROM, opensslAead, setAeadBackend, type OpensslAead, type ReferenceEncrypt } from './openssl-aead.js';
import { aeadBackend, loadAddon, nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';
import type { Sodium } from './sodium.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const libsodium: ReferenceEncrypt = (out, message, ad, nonce, key) => loadAddon().crypto_aead_xchacha20poly1305_ietf_encrypt(out, message, ad, null, nonce, key);

function addon(): OpensslAead | undefined {
  try {
    return createRequire(import.meta.url)('../../native/openssl-aead.node') as OpensslAead;
  } catch {
    return undefined;
  }
}

// The addon is built by scripts/build.mjs; in CI a missing build is a failure, not a skip.
const built = addon();
const native = { skip: built === undefined && process.env['CI'] !== 'true' ? 'dist/native/openssl-aead.node is not built (no C compiler?)' : false };

let aead: OpensslAead;
let sodium: Sodium;
let wasm: Sodium;

before(async () => {
  sodium = nativeSodium();
  wasm = await wasmSodium();
});
after(() => setAeadBackend(undefined));

describe('the OpenSSL AEAD', native, () => {
  before(() => {
    assert.ok(built, 'dist/native/openssl-aead.node is built and loads');
    aead = built;
  });

  test('is the one in use, after matching libsodium on its sample', () => {
    assert.equal(opensslAead(libsodium), aead);
    assert.match(aeadBackend(), /^OpenSSL's ChaCha20-Poly1305/);
    assert.equal(agrees(aead, libsodium), true);
  });

  test('seals and opens large messages for the native backend, and leaves small ones to libsodium', () => {
    // The addon's exports are the object the backend holds: counting its calls shows the route.
    const calls = { encrypt: 0, decrypt: 0 };
    const { encrypt, decrypt } = aead;
    aead.encrypt = (...args) => (calls.encrypt++, encrypt(...args));
    aead.decrypt = (...args) => (calls.decrypt++, decrypt(...args));
    try {
      const key = sodium.randomBytes(32);
      const nonce = sodium.randomBytes(24);
      for (const [length, through] of [[OPENSSL_AEAD_FROM - 1, 0], [OPENSSL_AEAD_FROM, 1], [65_536, 1]] as const) {
        calls.encrypt = calls.decrypt = 0;
        const message = sodium.randomBytes(length);
        const sealed = sodium.aeadEncrypt(message, null, nonce, key);
        assert.deepEqual(sodium.aeadDecrypt(sealed, null, nonce, key), message);
        assert.deepEqual(calls, { encrypt: through, decrypt: through }, `${length} bytes`);
      }
    } finally {
      aead.encrypt = encrypt;
      aead.decrypt = decrypt;
    }
  });

  test('seals the test vector of draft-irtf-cfrg-xchacha-03, A.3.1', () => {
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const ad = hex('50515253c0c1c2c3c4c5c6c7');
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const sealed = new Uint8Array(plaintext.length + 16);
    aead.encrypt(sealed, plaintext, ad, nonce, key);
    const expected = hex(`
      bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
      731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
      2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
      21f9664c97637da9768812f615c68b13b52e
      c0875924c1c7987947deafd8780acf49`);
    assert.deepEqual(sealed, expected);
    const opened = new Uint8Array(plaintext.length);
    assert.equal(aead.decrypt(opened, sealed, ad, nonce, key), true);
    assert.deepEqual(opened, plaintext);
  });

  test('seals as libsodium does, and each opens the other, at any length and with or without associated data', () => {
    const lengths = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: OPENSSL_AEAD_FROM - 70, max: OPENSSL_AEAD_FROM + 70 }), fc.integer({ min: 0, max: 70_000 }));
    fc.assert(
      fc.property(lengths, fc.option(fc.uint8Array({ maxLength: 64 })), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.integer(), (length, ad, key, nonce, seed) => {
        const message = Uint8Array.from({ length }, (_, i) => (i * 131 + seed) & 0xff);
        const expected = new Uint8Array(length + 16);
        libsodium(expected, message, ad, nonce, key);
        const sealed = new Uint8Array(length + 16);
        aead.encrypt(sealed, message, ad, nonce, key);
        assert.deepEqual(sealed, expected);
        const opened = new Uint8Array(length);
        assert.equal(aead.decrypt(opened, expected, ad, nonce, key), true);
        assert.deepEqual(opened, message);
      }),
      { numRuns: 300 },
    );
  });

  test('refuses any changed bit of ciphertext, tag, associated data or nonce, and leaves nothing of the plaintext', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.nat(), fc.constantFrom('sealed', 'ad', 'nonce', 'key'), (length, at, what) => {
        const key = sodium.randomBytes(32);
        const nonce = sodium.randomBytes(24);
        const ad = sodium.randomBytes(20);
        const message = new Uint8Array(length).fill(0x41);
        const sealed = new Uint8Array(length + 16);
        aead.encrypt(sealed, message, ad, nonce, key);
        const changed = { sealed, ad, nonce, key }[what];
        changed[at % changed.length]! ^= 1 << at % 8;
        const opened = new Uint8Array(length).fill(0xee);
        assert.equal(aead.decrypt(opened, sealed, ad, nonce, key), false);
        assert.deepEqual(opened, new Uint8Array(length));
      }),
      { numRuns: 200 },
    );
  });

  test('rejects arguments of the wrong kind or size instead of reading past them', () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(24);
    assert.throws(() => aead.encrypt(new Uint8Array(20), new Uint8Array(5), null, nonce, key), RangeError);
    assert.throws(() => aead.encrypt(new Uint8Array(21), new Uint8Array(5), null, nonce.subarray(1), key), TypeError);
    assert.throws(() => aead.encrypt(new Uint8Array(21), new Uint8Array(5), null, nonce, new Uint8Array(16)), TypeError);
    assert.throws(() => aead.encrypt(new Uint8Array(21), 'hello' as unknown as Uint8Array, null, nonce, key), TypeError);
    assert.throws(() => aead.decrypt(new Uint8Array(0), new Uint8Array(15), null, nonce, key), RangeError);
    assert.throws(() => aead.encrypt(new Uint8Array(21), new Uint8Array(5), new Uint16Array(2) as unknown as Uint8Array, nonce, key), TypeError);
  });

  test('a chunk sealed through it opens in the browser build, and the browser build\'s opens through it', () => {
    const key = sodium.randomBytes(32);
    const nonce = sodium.randomBytes(24);
    const ad = new TextEncoder().encode('recording\0tty');
    for (const length of [OPENSSL_AEAD_FROM, 65_536 + 17]) {
      const message = sodium.randomBytes(length);
      setAeadBackend('openssl');
      const sealed = sodium.aeadEncrypt(message, ad, nonce, key);
      assert.deepEqual(wasm.aeadDecrypt(sealed, ad, nonce, key), message);
      assert.deepEqual(sodium.aeadDecrypt(wasm.aeadEncrypt(message, ad, nonce, key), ad, nonce, key), message);
      setAeadBackend('libsodium');
      assert.deepEqual(sodium.aeadEncrypt(message, ad, nonce, key), sealed);
      setAeadBackend(undefined);
    }
  });

  test('seals the same bytes from a worker thread', async () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(24).fill(9);
    const message = new Uint8Array(4096).fill(3);
    const here = sodium.aeadEncrypt(message, null, nonce, key);
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const aead = require(workerData.path);
      const out = new Uint8Array(workerData.message.length + 16);
      aead.encrypt(out, workerData.message, null, workerData.nonce, workerData.key);
      parentPort.postMessage(out);`;
    const path = createRequire(import.meta.url).resolve('../../native/openssl-aead.node');
    const worker = new Worker(source, { eval: true, workerData: { path, message, nonce, key } });
    const there = await new Promise<Uint8Array>((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    assert.deepEqual(there, here);
  });
});

test('without the addon, or when told so, large messages stay with libsodium and seal the same bytes', () => {
  const key = sodium.randomBytes(32);
  const nonce = sodium.randomBytes(24);
  const message = sodium.randomBytes(10_000);
  setAeadBackend('libsodium');
  assert.equal(opensslAead(libsodium), undefined);
  const sealed = sodium.aeadEncrypt(message, null, nonce, key);
  assert.deepEqual(wasm.aeadDecrypt(sealed, null, nonce, key), message);
  setAeadBackend(undefined);
  // An addon that seals other bytes than libsodium is never taken.
  const wrong: OpensslAead = { encrypt: (out) => out.fill(1), decrypt: () => true };
  assert.equal(agrees(wrong, libsodium), false);
});
