/**
 * Sizes fixed by libsodium and the argument checks both Sodium backends run
 * before calling the library, so a wrong length fails the same way on each.
 * Imports nothing from Node: safe for the browser-side reader.
 */
import { CryptoError } from '../errors.js';

export const AEAD_KEYBYTES = 32;
/** XChaCha20-Poly1305-IETF nonce. */
export const AEAD_NPUBBYTES = 24;
export const AEAD_ABYTES = 16;
export const KDF_KEYBYTES = 32;
export const KDF_CONTEXTBYTES = 8;
export const BOX_PUBLICKEYBYTES = 32;
export const BOX_SECRETKEYBYTES = 32;
/** crypto_box_seal overhead: ephemeral public key (32) + MAC (16). */
export const BOX_SEALBYTES = 48;
export const SIGN_PUBLICKEYBYTES = 32;
/** libsodium Ed25519 secret key: seed (32) ‖ public key (32). */
export const SIGN_SECRETKEYBYTES = 64;
export const SIGN_SEEDBYTES = 32;
export const SIGN_BYTES = 64;
export const SECRETBOX_KEYBYTES = 32;
export const SECRETBOX_NONCEBYTES = 24;
export const SECRETBOX_MACBYTES = 16;
export const PWHASH_SALTBYTES = 16;
/** crypto_pwhash_ALG_ARGON2ID13. */
export const PWHASH_ALG_ARGON2ID13 = 2;
export const PWHASH_OPSLIMIT_MIN = 1;
export const PWHASH_MEMLIMIT_MIN = 8192;
export const GENERICHASH_BYTES = 32;
export const GENERICHASH_BYTES_MIN = 16;
export const GENERICHASH_BYTES_MAX = 64;
/** BLAKE3's default output length, the only one recgate uses. */
export const BLAKE3_BYTES = 32;

export function expectLength(what: string, buf: Uint8Array, length: number): void {
  if (!(buf instanceof Uint8Array) || buf.length !== length) {
    const got = buf instanceof Uint8Array ? `${buf.length} bytes` : typeof buf;
    throw new CryptoError(`${what} must be ${length} bytes, got ${got}`);
  }
}

export function expectHashLength(length: number): void {
  if (!Number.isInteger(length) || length < GENERICHASH_BYTES_MIN || length > GENERICHASH_BYTES_MAX) {
    throw new CryptoError(`BLAKE2b output must be ${GENERICHASH_BYTES_MIN}..${GENERICHASH_BYTES_MAX} bytes, got ${length}`);
  }
}

export function expectHashKey(key: Uint8Array): void {
  if (key.length < GENERICHASH_BYTES_MIN || key.length > GENERICHASH_BYTES_MAX) {
    throw new CryptoError(`BLAKE2b key must be ${GENERICHASH_BYTES_MIN}..${GENERICHASH_BYTES_MAX} bytes, got ${key.length}`);
  }
}

export function expectKdfArgs(length: number, subkeyId: number, context: string): void {
  if (!Number.isInteger(length) || length < 16 || length > 64) {
    throw new CryptoError(`KDF subkey must be 16..64 bytes, got ${length}`);
  }
  if (!Number.isSafeInteger(subkeyId) || subkeyId < 0) {
    throw new CryptoError(`KDF subkey id must be a non-negative safe integer, got ${subkeyId}`);
  }
  if (!/^[\x20-\x7e]{8}$/.test(context)) {
    throw new CryptoError(`KDF context must be 8 printable ASCII characters, got ${JSON.stringify(context)}`);
  }
}

export function expectPwhashArgs(opslimit: number, memlimit: number): void {
  if (!Number.isSafeInteger(opslimit) || opslimit < PWHASH_OPSLIMIT_MIN) {
    throw new CryptoError(`Argon2id opslimit must be an integer ≥ ${PWHASH_OPSLIMIT_MIN}, got ${opslimit}`);
  }
  if (!Number.isSafeInteger(memlimit) || memlimit < PWHASH_MEMLIMIT_MIN) {
    throw new CryptoError(`Argon2id memlimit must be an integer ≥ ${PWHASH_MEMLIMIT_MIN}, got ${memlimit}`);
  }
}
