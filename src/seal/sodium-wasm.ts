/**
 * Sodium backed by libsodium-wrappers-sumo (libsodium compiled to
 * WebAssembly), with hash-wasm's BLAKE3: the same library builds the web console
 * runs in the browser.
 * Imports nothing from Node, so a bundler can ship it as is.
 *
 * libsodium.js copies inputs into the wasm heap and outputs back out; heap
 * copies of secrets are freed but not wiped by the wrapper, a limit of this
 * backend that the native one does not have.
 */
import { createBLAKE3, type IHasher } from 'hash-wasm';

import { CryptoError } from '../errors.js';
import { utf8 } from './encoding.js';
import {
  AEAD_ABYTES,
  AEAD_KEYBYTES,
  AEAD_NPUBBYTES,
  BLAKE3_BYTES,
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

type Lib = typeof import('libsodium-wrappers-sumo').default;

let loading: Promise<Sodium> | undefined;

/** The wasm Sodium; the module is loaded and initialized once, on first call. */
export function wasmSodium(): Promise<Sodium> {
  loading ??= load();
  return loading;
}

async function load(): Promise<Sodium> {
  try {
    const [mod, blake3] = await Promise.all([import('libsodium-wrappers-sumo'), createBLAKE3()]);
    const lib = mod.default;
    await lib.ready;
    return wrap(lib, blake3);
  } catch (err) {
    loading = undefined;
    throw new CryptoError('libsodium or BLAKE3 (wasm) could not be loaded', { cause: err });
  }
}

/** Runs a libsodium.js open/decrypt that throws on authentication failure. */
function orNull(open: () => Uint8Array): Uint8Array | null {
  try {
    return open();
  } catch {
    return null;
  }
}

function wrap(lib: Lib, blake3: IHasher): Sodium {
  return {
    backend: 'wasm',
    ...memoryOps(lib),
    ...aeadOps(lib),
    ...kdfOps(lib),
    ...boxOps(lib),
    ...signOps(lib),
    ...hashOps(lib),
    blake3Into: blake3Into(blake3),
    ...pwhashOps(lib),
    ...secretboxOps(lib),
  };
}

function memoryOps(lib: Lib): Pick<Sodium, 'randomBytes' | 'memzero'> {
  return {
    randomBytes: (length) => (length > 0 ? lib.randombytes_buf(length) : new Uint8Array(0)),
    memzero: (buf) => lib.memzero(buf),
  };
}

function aeadOps(lib: Lib): Pick<Sodium, 'aeadEncrypt' | 'aeadDecrypt'> {
  return {
    aeadEncrypt(message, ad, nonce, key) {
      expectLength('AEAD nonce', nonce, AEAD_NPUBBYTES);
      expectLength('AEAD key', key, AEAD_KEYBYTES);
      return lib.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, null, nonce, key);
    },
    aeadDecrypt(ciphertext, ad, nonce, key) {
      expectLength('AEAD nonce', nonce, AEAD_NPUBBYTES);
      expectLength('AEAD key', key, AEAD_KEYBYTES);
      if (ciphertext.length < AEAD_ABYTES) return null;
      return orNull(() => lib.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key));
    },
  };
}

function kdfOps(lib: Lib): Pick<Sodium, 'kdfDeriveFromKey'> {
  return {
    kdfDeriveFromKey(length, subkeyId, context, key) {
      expectKdfArgs(length, subkeyId, context);
      expectLength('KDF key', key, KDF_KEYBYTES);
      return lib.crypto_kdf_derive_from_key(length, subkeyId, context, key);
    },
  };
}

function boxOps(lib: Lib): Pick<Sodium, 'boxKeypair' | 'boxSeal' | 'boxSealOpen' | 'scalarmultBase'> {
  return {
    boxKeypair() {
      const pair = lib.crypto_box_keypair();
      return { publicKey: pair.publicKey, secretKey: pair.privateKey };
    },
    boxSeal(message, publicKey) {
      expectLength('X25519 public key', publicKey, BOX_PUBLICKEYBYTES);
      try {
        return lib.crypto_box_seal(message, publicKey);
      } catch (err) {
        throw new CryptoError('cannot seal to this public key (weak or invalid X25519 key)', { cause: err });
      }
    },
    boxSealOpen(ciphertext, publicKey, secretKey) {
      expectLength('X25519 public key', publicKey, BOX_PUBLICKEYBYTES);
      expectLength('X25519 secret key', secretKey, BOX_SECRETKEYBYTES);
      if (ciphertext.length < BOX_SEALBYTES) return null;
      return orNull(() => lib.crypto_box_seal_open(ciphertext, publicKey, secretKey));
    },
    scalarmultBase(secretKey) {
      expectLength('X25519 secret key', secretKey, BOX_SECRETKEYBYTES);
      return lib.crypto_scalarmult_base(secretKey);
    },
  };
}

function signOps(lib: Lib): Pick<Sodium, 'signKeypair' | 'signSeedKeypair' | 'signDetached' | 'signVerifyDetached'> {
  return {
    signKeypair() {
      const pair = lib.crypto_sign_keypair();
      return { publicKey: pair.publicKey, secretKey: pair.privateKey };
    },
    signSeedKeypair(seed) {
      expectLength('Ed25519 seed', seed, SIGN_SEEDBYTES);
      const pair = lib.crypto_sign_seed_keypair(seed);
      return { publicKey: pair.publicKey, secretKey: pair.privateKey };
    },
    signDetached(message, secretKey) {
      expectLength('Ed25519 secret key', secretKey, SIGN_SECRETKEYBYTES);
      return lib.crypto_sign_detached(message, secretKey);
    },
    signVerifyDetached(signature, message, publicKey) {
      if (signature.length !== SIGN_BYTES || publicKey.length !== SIGN_PUBLICKEYBYTES) return false;
      try {
        return lib.crypto_sign_verify_detached(signature, message, publicKey);
      } catch {
        return false;
      }
    },
  };
}

function hashOps(lib: Lib): Pick<Sodium, 'generichash' | 'generichashInto' | 'generichashHasher'> {
  return {
    generichash(length, message, key) {
      expectHashLength(length);
      if (key) expectHashKey(key);
      return lib.crypto_generichash(length, message, key ?? null);
    },
    generichashInto(out, message) {
      expectHashLength(out.length);
      out.set(lib.crypto_generichash(out.length, message, null));
    },
    generichashHasher(length, key) {
      expectHashLength(length);
      if (key) expectHashKey(key);
      return wasmHasher(lib, length, key ?? null);
    },
  };
}

/**
 * BLAKE3 from hash-wasm (its own WebAssembly build of the reference C code): libsodium has
 * none. One hasher serves every call; calls are synchronous, so they never interleave.
 */
function blake3Into(hasher: IHasher): Sodium['blake3Into'] {
  return (out, message) => {
    expectLength('BLAKE3 output', out, BLAKE3_BYTES);
    hasher.init();
    hasher.update(message);
    out.set(hasher.digest('binary'));
  };
}

function pwhashOps(lib: Lib): Pick<Sodium, 'pwhash' | 'pwhashAsync' | 'pwhashStr' | 'pwhashStrVerify' | 'pwhashStrVerifyAsync'> {
  const verify = (hash: string, password: Uint8Array | string): boolean => {
    try {
      return lib.crypto_pwhash_str_verify(hash, typeof password === 'string' ? utf8(password) : password);
    } catch {
      return false;
    }
  };
  const pwhash = (length: number, password: Uint8Array, salt: Uint8Array, opslimit: number, memlimit: number): Uint8Array => {
    expectPwhashArgs(opslimit, memlimit);
    expectLength('Argon2id salt', salt, 16);
    return lib.crypto_pwhash(length, password, salt, opslimit, memlimit, PWHASH_ALG_ARGON2ID13);
  };
  return {
    pwhash,
    // WebAssembly runs on the calling thread: the same work, as a promise.
    pwhashAsync: async (length, password, salt, opslimit, memlimit) => pwhash(length, password, salt, opslimit, memlimit),
    pwhashStr(password, opslimit, memlimit) {
      expectPwhashArgs(opslimit, memlimit);
      return lib.crypto_pwhash_str(typeof password === 'string' ? utf8(password) : password, opslimit, memlimit);
    },
    pwhashStrVerify: verify,
    // wasm runs on the calling thread: the same work, behind a promise.
    pwhashStrVerifyAsync: async (hash, password) => verify(hash, password),
  };
}

function secretboxOps(lib: Lib): Pick<Sodium, 'secretboxEasy' | 'secretboxOpenEasy'> {
  return {
    secretboxEasy(message, nonce, key) {
      expectLength('secretbox nonce', nonce, SECRETBOX_NONCEBYTES);
      expectLength('secretbox key', key, SECRETBOX_KEYBYTES);
      return lib.crypto_secretbox_easy(message, nonce, key);
    },
    secretboxOpenEasy(ciphertext, nonce, key) {
      expectLength('secretbox nonce', nonce, SECRETBOX_NONCEBYTES);
      expectLength('secretbox key', key, SECRETBOX_KEYBYTES);
      if (ciphertext.length < SECRETBOX_MACBYTES) return null;
      return orNull(() => lib.crypto_secretbox_open_easy(ciphertext, nonce, key));
    },
  };
}

function wasmHasher(lib: Lib, length: number, key: Uint8Array | null): Hasher {
  let state: ReturnType<Lib['crypto_generichash_init']> | null = lib.crypto_generichash_init(key, length);
  return {
    update(data) {
      if (!state) throw new CryptoError('hasher already finalized');
      lib.crypto_generichash_update(state, data);
    },
    digest() {
      if (!state) throw new CryptoError('hasher already finalized');
      const out = lib.crypto_generichash_final(state, length);
      state = null;
      return out;
    },
  };
}
