/**
 * XChaCha20-Poly1305 of large messages through the system's OpenSSL.
 *
 * Every recorded byte is sealed once, and libsodium's XChaCha20-Poly1305
 * costs 0.55-0.67 ns a byte where OpenSSL 3's AVX-512 ChaCha20-Poly1305 costs
 * 0.23-0.24 (64 KiB at a time, on an Intel Xeon and an AMD EPYC;
 * bench/seal.ts). native/openssl-aead.c adds HChaCha20 in front of OpenSSL's
 * IETF construction, which is libsodium's XChaCha20-Poly1305 byte for byte;
 * Node's own OpenSSL is not reached because `createCipheriv` costs 3-8 µs a
 * call and its build seals at 0.40-0.70 ns a byte.
 *
 * The addon is used only after it has sealed and opened a sample exactly as
 * libsodium does, in this process; otherwise (not built, no libcrypto.so.3,
 * different bytes) everything stays with libsodium. Below OPENSSL_AEAD_FROM
 * bytes libsodium is faster (the addon's cipher context costs ~0.7 µs a call),
 * so small chunks stay there too.
 */
import { createRequire } from 'node:module';

/** Messages shorter than this are sealed and opened by libsodium. */
export const OPENSSL_AEAD_FROM = 1024;

export interface OpensslAead {
  /** Seals `message` into `out` (message.length + 16 bytes: ciphertext ‖ tag). */
  encrypt(out: Uint8Array, message: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array): void;
  /** Opens `ciphertext` into `out` (16 bytes shorter); false, and `out` zeroed, when it does not authenticate. */
  decrypt(out: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array): boolean;
}

/** libsodium's crypto_aead_xchacha20poly1305_ietf encrypt, to check the addon against. */
export type ReferenceEncrypt = (out: Uint8Array, message: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array) => void;

export type AeadBackend = 'openssl' | 'libsodium';

let loaded: { aead: OpensslAead | undefined; why: string } | undefined;
let forced: AeadBackend | undefined;

/**
 * Which library seals and opens large messages, for tests of both paths; undefined: OpenSSL
 * when the addon loaded and matched libsodium. 'openssl' when it did not is an error.
 */
export function setAeadBackend(backend: AeadBackend | undefined): void {
  forced = backend;
}

/** The addon when large messages go through it; undefined when they stay with libsodium. */
export function opensslAead(reference: ReferenceEncrypt): OpensslAead | undefined {
  loaded ??= load(reference);
  if (forced === 'libsodium') return undefined;
  if (forced === 'openssl' && !loaded.aead) throw new Error(`the OpenSSL AEAD is not in use: ${loaded.why}`);
  return loaded.aead;
}

/** What seals large messages here, for the daemon's start-up line. */
export function aeadBackendName(reference: ReferenceEncrypt): string {
  const aead = opensslAead(reference);
  if (aead) return "OpenSSL's ChaCha20-Poly1305 (libsodium below 1 KiB)";
  return `libsodium (${forced === 'libsodium' ? 'chosen' : loaded!.why})`;
}

function load(reference: ReferenceEncrypt): { aead: OpensslAead | undefined; why: string } {
  if (process.platform !== 'linux') return { aead: undefined, why: 'the OpenSSL addon is built on Linux only' };
  let aead: OpensslAead;
  try {
    // dist/src/seal/openssl-aead.js → dist/native/openssl-aead.node
    aead = createRequire(import.meta.url)('../../native/openssl-aead.node') as OpensslAead;
  } catch (err) {
    return { aead: undefined, why: `the OpenSSL addon did not load: ${(err as Error).message}` };
  }
  return agrees(aead, reference) ? { aead, why: 'in use' } : { aead: undefined, why: 'the OpenSSL addon sealed differently from libsodium' };
}

/**
 * Seals a sample with both libraries (lengths around ChaCha20's 64-byte blocks and past
 * OpenSSL's wider strides, with and without associated data), opens it with the addon, and
 * checks that a changed tag is refused.
 */
export function agrees(aead: OpensslAead, reference: ReferenceEncrypt): boolean {
  const key = pattern(32, 1);
  const nonce = pattern(24, 2);
  const ad = pattern(45, 3);
  try {
    for (const length of [0, 1, 63, 64, 65, 1023, 1024, 4097, 70_001]) {
      const message = pattern(length, length);
      for (const data of [ad, null]) {
        const expected = new Uint8Array(length + 16);
        const sealed = new Uint8Array(length + 16);
        reference(expected, message, data, nonce, key);
        aead.encrypt(sealed, message, data, nonce, key);
        if (!equal(sealed, expected)) return false;
        const opened = new Uint8Array(length);
        if (!aead.decrypt(opened, sealed, data, nonce, key) || !equal(opened, message)) return false;
        sealed[length] = sealed[length]! ^ 1;
        if (aead.decrypt(opened, sealed, data, nonce, key)) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
