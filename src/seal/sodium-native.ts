/**
 * Sodium backed by sodium-native (libsodium through N-API): the gateway's
 * hot path. Node only; browser code takes a Sodium from wasmSodium() instead.
 *
 * The addon is required on the first nativeSodium() call, not at import
 * time, so a Node process that only uses the wasm backend never loads it.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

import { CryptoError } from '../errors.js';
import { utf8 } from './encoding.js';
import { blake3Into } from './blake3-native.js';
import { aeadBackendName, OPENSSL_AEAD_FROM, opensslAead, type ReferenceEncrypt } from './openssl-aead.js';
import {
  AEAD_ABYTES,
  AEAD_KEYBYTES,
  AEAD_NPUBBYTES,
  BOX_PUBLICKEYBYTES,
  BOX_SEALBYTES,
  BOX_SECRETKEYBYTES,
  KDF_KEYBYTES,
  PWHASH_ALG_ARGON2ID13,
  SECRETBOX_KEYBYTES,
  SECRETBOX_MACBYTES,
  SECRETBOX_NONCEBYTES,
  SIGN_BYTES,
  SIGN_PUBLICKEYBYTES,
  SIGN_SECRETKEYBYTES,
  SIGN_SEEDBYTES,
  expectHashKey,
  expectHashLength,
  expectKdfArgs,
  expectLength,
  expectPwhashArgs,
} from './sodium-params.js';
import type { Hasher, Sodium } from './sodium.js';

// sodium-native is untyped (types/sodium-native.d.ts): every call below goes through `any`.
type Addon = Record<string, any>;

const PWHASH_STRBYTES = 128;

let addon: Addon | undefined;

/** The addon itself, for the few libsodium primitives outside the Sodium interface (Ed25519 points and scalars). */
export function loadAddon(): Addon {
  if (addon) return addon;
  try {
    addon = createRequire(import.meta.url)('sodium-native') as Addon;
  } catch (err) {
    throw new CryptoError('native libsodium (sodium-native) could not be loaded', { cause: err });
  }
  return addon;
}

export function nativeSodium(): Sodium {
  const na = loadAddon();
  return {
    backend: 'native',
    ...memoryOps(na),
    ...aeadOps(na),
    ...kdfOps(na),
    ...boxOps(na),
    ...signOps(na),
    ...hashOps(na),
    ...pwhashOps(na),
    ...secretboxOps(na),
  };
}

function memoryOps(na: Addon): Pick<Sodium, 'randomBytes' | 'memzero'> {
  return {
    randomBytes(length) {
      const out = new Uint8Array(length);
      if (length > 0) na.randombytes_buf(out);
      return out;
    },
    memzero(buf) {
      if (buf.length > 0) na.sodium_memzero(buf);
    },
  };
}

const libsodiumEncrypt =
  (na: Addon): ReferenceEncrypt =>
  (out, message, ad, nonce, key) =>
    na.crypto_aead_xchacha20poly1305_ietf_encrypt(out, message, ad, null, nonce, key);

/** Which library seals recordings' chunks in this process, for the daemon's start-up line. */
export function aeadBackend(): string {
  return aeadBackendName(libsodiumEncrypt(loadAddon()));
}

/**
 * A Uint8Array of its own `length` bytes, not zeroed first: for output written in full. Sealed
 * chunks are allocated here, and zeroing one before the cipher overwrites it took 2 % of the
 * gateway's CPU relaying bulk SSH output.
 */
function unzeroed(length: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

function aeadOps(na: Addon): Pick<Sodium, 'aeadEncrypt' | 'aeadDecrypt'> {
  const reference = libsodiumEncrypt(na);
  return {
    aeadEncrypt(message, ad, nonce, key) {
      expectLength('AEAD nonce', nonce, AEAD_NPUBBYTES);
      expectLength('AEAD key', key, AEAD_KEYBYTES);
      const out = unzeroed(message.length + AEAD_ABYTES);
      // Every recorded byte is sealed here: a large message by whichever library is faster (openssl-aead.ts).
      const large = message.length >= OPENSSL_AEAD_FROM ? opensslAead(reference) : undefined;
      if (large) large.encrypt(out, message, ad, nonce, key);
      else reference(out, message, ad, nonce, key);
      return out;
    },
    aeadDecrypt(ciphertext, ad, nonce, key) {
      expectLength('AEAD nonce', nonce, AEAD_NPUBBYTES);
      expectLength('AEAD key', key, AEAD_KEYBYTES);
      if (ciphertext.length < AEAD_ABYTES) return null;
      const out = new Uint8Array(ciphertext.length - AEAD_ABYTES);
      const large = out.length >= OPENSSL_AEAD_FROM ? opensslAead(reference) : undefined;
      if (large) return large.decrypt(out, ciphertext, ad, nonce, key) ? out : null;
      try {
        na.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, ciphertext, ad, nonce, key);
      } catch {
        return null;
      }
      return out;
    },
  };
}

function kdfOps(na: Addon): Pick<Sodium, 'kdfDeriveFromKey'> {
  return {
    kdfDeriveFromKey(length, subkeyId, context, key) {
      expectKdfArgs(length, subkeyId, context);
      expectLength('KDF key', key, KDF_KEYBYTES);
      const out = new Uint8Array(length);
      na.crypto_kdf_derive_from_key(out, subkeyId, utf8(context), key);
      return out;
    },
  };
}

function boxOps(na: Addon): Pick<Sodium, 'boxKeypair' | 'boxSeal' | 'boxSealOpen' | 'scalarmultBase'> {
  return {
    boxKeypair() {
      const pair = { publicKey: new Uint8Array(BOX_PUBLICKEYBYTES), secretKey: new Uint8Array(BOX_SECRETKEYBYTES) };
      na.crypto_box_keypair(pair.publicKey, pair.secretKey);
      return pair;
    },
    boxSeal(message, publicKey) {
      expectLength('X25519 public key', publicKey, BOX_PUBLICKEYBYTES);
      const out = new Uint8Array(message.length + BOX_SEALBYTES);
      try {
        na.crypto_box_seal(out, message, publicKey);
      } catch (err) {
        throw new CryptoError('cannot seal to this public key (weak or invalid X25519 key)', { cause: err });
      }
      return out;
    },
    boxSealOpen(ciphertext, publicKey, secretKey) {
      expectLength('X25519 public key', publicKey, BOX_PUBLICKEYBYTES);
      expectLength('X25519 secret key', secretKey, BOX_SECRETKEYBYTES);
      if (ciphertext.length < BOX_SEALBYTES) return null;
      const out = new Uint8Array(ciphertext.length - BOX_SEALBYTES);
      return na.crypto_box_seal_open(out, ciphertext, publicKey, secretKey) === true ? out : null;
    },
    scalarmultBase(secretKey) {
      expectLength('X25519 secret key', secretKey, BOX_SECRETKEYBYTES);
      const out = new Uint8Array(BOX_PUBLICKEYBYTES);
      na.crypto_scalarmult_base(out, secretKey);
      return out;
    },
  };
}

function signOps(na: Addon): Pick<Sodium, 'signKeypair' | 'signSeedKeypair' | 'signDetached' | 'signVerifyDetached'> {
  return {
    signKeypair() {
      const pair = { publicKey: new Uint8Array(SIGN_PUBLICKEYBYTES), secretKey: new Uint8Array(SIGN_SECRETKEYBYTES) };
      na.crypto_sign_keypair(pair.publicKey, pair.secretKey);
      return pair;
    },
    signSeedKeypair(seed) {
      expectLength('Ed25519 seed', seed, SIGN_SEEDBYTES);
      const pair = { publicKey: new Uint8Array(SIGN_PUBLICKEYBYTES), secretKey: new Uint8Array(SIGN_SECRETKEYBYTES) };
      na.crypto_sign_seed_keypair(pair.publicKey, pair.secretKey, seed);
      return pair;
    },
    signDetached(message, secretKey) {
      expectLength('Ed25519 secret key', secretKey, SIGN_SECRETKEYBYTES);
      const sig = new Uint8Array(SIGN_BYTES);
      na.crypto_sign_detached(sig, message, secretKey);
      return sig;
    },
    signVerifyDetached(signature, message, publicKey) {
      if (signature.length !== SIGN_BYTES || publicKey.length !== SIGN_PUBLICKEYBYTES) return false;
      return na.crypto_sign_verify_detached(signature, message, publicKey) === true;
    },
  };
}

/** OpenSSL only has BLAKE2b at its full 64-byte length; below this size libsodium's lower call overhead wins. */
const OPENSSL_BLAKE2B_BYTES = 64;
const OPENSSL_BLAKE2B_FROM = 4096;

export type LargeHashBackend = 'openssl' | 'libsodium';

/** Which library hashes large messages to 64 bytes; picked at first use unless set. */
let largeHash: LargeHashBackend | undefined;

/**
 * Sets which library computes the 64-byte BLAKE2b of large messages (both compute the same
 * function), or with undefined lets the next such hash pick again. For tests of both paths.
 */
export function setLargeHashBackend(backend: LargeHashBackend | undefined): void {
  largeHash = backend;
}

/**
 * The faster of the two on this CPU, by the best of five hashes of 64 KiB each (about a
 * millisecond, once per process). It differs between machines: OpenSSL's build hashed at 0.82
 * against libsodium's 1.57 ns/byte on one, libsodium at 0.89 against OpenSSL's 1.0 on another.
 */
function pickLargeHash(na: Addon): LargeHashBackend {
  const sample = new Uint8Array(65_536);
  const out = new Uint8Array(OPENSSL_BLAKE2B_BYTES);
  let openssl = Infinity;
  let libsodium = Infinity;
  for (let round = 0; round < 5; round++) {
    let t = performance.now();
    createHash('blake2b512').update(sample).digest();
    openssl = Math.min(openssl, performance.now() - t);
    t = performance.now();
    na.crypto_generichash(out, sample);
    libsodium = Math.min(libsodium, performance.now() - t);
  }
  return openssl < libsodium ? 'openssl' : 'libsodium';
}

function hashOps(na: Addon): Pick<Sodium, 'generichash' | 'generichashInto' | 'generichashHasher' | 'blake3Into'> {
  return {
    blake3Into,
    generichash(length, message, key) {
      expectHashLength(length);
      const out = new Uint8Array(length);
      if (key) expectHashKey(key);
      if (key) na.crypto_generichash(out, message, key);
      else na.crypto_generichash(out, message);
      return out;
    },
    generichashInto(out, message) {
      expectHashLength(out.length);
      // The chunk digests of every recorded byte go through this (see seal/chain): a large
      // message's is taken from whichever library computes it faster here.
      if (out.length === OPENSSL_BLAKE2B_BYTES && message.length >= OPENSSL_BLAKE2B_FROM && (largeHash ??= pickLargeHash(na)) === 'openssl') {
        out.set(createHash('blake2b512').update(message).digest());
      } else {
        na.crypto_generichash(out, message);
      }
    },
    generichashHasher(length, key) {
      expectHashLength(length);
      return nativeHasher(na, length, key ?? null);
    },
  };
}

function pwhashOps(na: Addon): Pick<Sodium, 'pwhash' | 'pwhashAsync' | 'pwhashStr' | 'pwhashStrVerify' | 'pwhashStrVerifyAsync'> {
  return {
    pwhash(length, password, salt, opslimit, memlimit) {
      expectPwhashArgs(opslimit, memlimit);
      expectLength('Argon2id salt', salt, 16);
      const out = new Uint8Array(length);
      na.crypto_pwhash(out, password, salt, opslimit, memlimit, PWHASH_ALG_ARGON2ID13);
      return out;
    },
    async pwhashAsync(length, password, salt, opslimit, memlimit) {
      // Async, so that bad arguments reject as a failed hash does.
      expectPwhashArgs(opslimit, memlimit);
      expectLength('Argon2id salt', salt, 16);
      const out = new Uint8Array(length);
      return new Promise((resolve, reject) => {
        na.crypto_pwhash_async(out, password, salt, opslimit, memlimit, PWHASH_ALG_ARGON2ID13, (err: Error | null) => (err ? reject(err) : resolve(out)));
      });
    },
    pwhashStr(password, opslimit, memlimit) {
      expectPwhashArgs(opslimit, memlimit);
      const out = new Uint8Array(PWHASH_STRBYTES);
      na.crypto_pwhash_str(out, passwordBytes(password), opslimit, memlimit);
      const end = out.indexOf(0);
      return new TextDecoder().decode(out.subarray(0, end < 0 ? out.length : end));
    },
    pwhashStrVerify(hash, password) {
      const encoded = utf8(hash);
      if (encoded.length >= PWHASH_STRBYTES) return false;
      const str = new Uint8Array(PWHASH_STRBYTES);
      str.set(encoded);
      return na.crypto_pwhash_str_verify(str, passwordBytes(password)) === true;
    },
    pwhashStrVerifyAsync(hash, password) {
      const encoded = utf8(hash);
      if (encoded.length >= PWHASH_STRBYTES) return Promise.resolve(false);
      const str = new Uint8Array(PWHASH_STRBYTES);
      str.set(encoded);
      return new Promise((resolve) => {
        na.crypto_pwhash_str_verify_async(str, passwordBytes(password), (err: Error | null, ok: boolean) => resolve(!err && ok === true));
      });
    },
  };
}

function secretboxOps(na: Addon): Pick<Sodium, 'secretboxEasy' | 'secretboxOpenEasy'> {
  return {
    secretboxEasy(message, nonce, key) {
      expectLength('secretbox nonce', nonce, SECRETBOX_NONCEBYTES);
      expectLength('secretbox key', key, SECRETBOX_KEYBYTES);
      const out = new Uint8Array(message.length + SECRETBOX_MACBYTES);
      na.crypto_secretbox_easy(out, message, nonce, key);
      return out;
    },
    secretboxOpenEasy(ciphertext, nonce, key) {
      expectLength('secretbox nonce', nonce, SECRETBOX_NONCEBYTES);
      expectLength('secretbox key', key, SECRETBOX_KEYBYTES);
      if (ciphertext.length < SECRETBOX_MACBYTES) return null;
      const out = new Uint8Array(ciphertext.length - SECRETBOX_MACBYTES);
      return na.crypto_secretbox_open_easy(out, ciphertext, nonce, key) === true ? out : null;
    },
  };
}

function nativeHasher(na: Addon, length: number, key: Uint8Array | null): Hasher {
  if (key) expectHashKey(key);
  let state: Uint8Array | null = new Uint8Array(na.crypto_generichash_STATEBYTES as number);
  na.crypto_generichash_init(state, key, length);
  return {
    update(data) {
      if (!state) throw new CryptoError('hasher already finalized');
      na.crypto_generichash_update(state, data);
    },
    digest() {
      if (!state) throw new CryptoError('hasher already finalized');
      const out = new Uint8Array(length);
      na.crypto_generichash_final(state, out);
      state = null;
      return out;
    },
  };
}

function passwordBytes(password: Uint8Array | string): Uint8Array {
  return typeof password === 'string' ? utf8(password) : password;
}
