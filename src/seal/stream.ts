/**
 * Chunked authenticated encryption of one recording stream: the STREAM
 * construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
 * Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015) as
 * age applies it (C2SP age spec, "Payload"), over XChaCha20-Poly1305-IETF.
 *
 *   subkey = crypto_kdf_derive_from_key(32, stream.id, "rgstream", K)
 *
 *   nonce (24 bytes):
 *     0               16                      23   24
 *     +---------------+-----------------------+----+
 *     | random prefix | chunk counter (u56 BE)|last|
 *     +---------------+-----------------------+----+
 *     last = 0x01 on the final chunk of the stream, else 0x00
 *
 *   ad = "recgate/v1" ‖ 0x00 ‖ recording id ‖ 0x00 ‖ stream name   (UTF-8)
 *
 *   chunk = XChaCha20-Poly1305(subkey, nonce, ad, plaintext) = ciphertext ‖ tag(16)
 *
 * Invariants: a chunk authenticates only at its own index, in its own stream
 * and recording, with its own last flag; so reordering, substitution across
 * positions, streams or recordings, and a cut after a non-final chunk are all
 * detected. Each chunk opens alone (seeking) given its index.
 */
import { CryptoError } from '../errors.js';
import { utf8 } from './encoding.js';
import { AEAD_KEYBYTES, AEAD_NPUBBYTES } from './sodium-params.js';
import type { Sodium } from './sodium.js';

/** The per-recording key K. */
export const RECORD_KEY_BYTES = 32;
export const STREAM_KDF_CONTEXT = 'rgstream';
export const AD_DOMAIN = 'recgate/v1';
export const NONCE_PREFIX_BYTES = 16;
/** Chunk indexes are JS safe integers, well inside the 56-bit counter. */
export const MAX_CHUNK_INDEX = Number.MAX_SAFE_INTEGER;

export interface OpenedChunk {
  plaintext: Uint8Array;
  last: boolean;
}

export function deriveStreamKey(s: Sodium, recordKey: Uint8Array, streamId: number): Uint8Array {
  if (!Number.isInteger(streamId) || streamId < 1) throw new CryptoError(`stream id must be an integer ≥ 1, got ${streamId}`);
  return s.kdfDeriveFromKey(AEAD_KEYBYTES, streamId, STREAM_KDF_CONTEXT, recordKey);
}

/** Names go into the AD between NUL separators, so they must not contain NUL. */
export function assertAdName(what: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) {
    throw new CryptoError(`${what} must be a non-empty string without NUL, got ${JSON.stringify(name)}`);
  }
}

export function streamAssociatedData(recordingId: string, streamName: string): Uint8Array {
  assertAdName('recording id', recordingId);
  assertAdName('stream name', streamName);
  return utf8(`${AD_DOMAIN}\0${recordingId}\0${streamName}`);
}

/** Writes counter and flag into bytes 16..24 of `nonce`; bytes 0..16 hold the prefix. */
export function writeChunkNonce(nonce: Uint8Array, index: number, last: boolean): void {
  if (!Number.isSafeInteger(index) || index < 0) throw new CryptoError(`chunk index must be a non-negative safe integer, got ${index}`);
  let n = index;
  for (let i = 22; i >= NONCE_PREFIX_BYTES; i--) {
    nonce[i] = n % 256;
    n = Math.floor(n / 256);
  }
  nonce[23] = last ? 1 : 0;
}

export function chunkNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  if (prefix.length !== NONCE_PREFIX_BYTES) throw new CryptoError(`nonce prefix must be ${NONCE_PREFIX_BYTES} bytes, got ${prefix.length}`);
  const nonce = new Uint8Array(AEAD_NPUBBYTES);
  nonce.set(prefix);
  writeChunkNonce(nonce, index, last);
  return nonce;
}

export function sealChunkWith(
  s: Sodium,
  subkey: Uint8Array,
  prefix: Uint8Array,
  index: number,
  last: boolean,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  return s.aeadEncrypt(plaintext, ad, chunkNonce(prefix, index, last), subkey);
}

/** Opens a chunk at `index`, trying last = false, then last = true; null if neither authenticates. */
export function openChunkWith(
  s: Sodium,
  subkey: Uint8Array,
  prefix: Uint8Array,
  index: number,
  ad: Uint8Array,
  ciphertext: Uint8Array,
): OpenedChunk | null {
  const nonce = chunkNonce(prefix, index, false);
  return openWithNonce(s, subkey, nonce, index, ad, ciphertext);
}

function openWithNonce(
  s: Sodium,
  subkey: Uint8Array,
  nonce: Uint8Array,
  index: number,
  ad: Uint8Array,
  ciphertext: Uint8Array,
): OpenedChunk | null {
  writeChunkNonce(nonce, index, false);
  const middle = s.aeadDecrypt(ciphertext, ad, nonce, subkey);
  if (middle) return { plaintext: middle, last: false };
  nonce[23] = 1;
  const final = s.aeadDecrypt(ciphertext, ad, nonce, subkey);
  return final ? { plaintext: final, last: true } : null;
}

/**
 * One stream's key, prefix and AD, with a nonce buffer reused for every chunk:
 * sealing allocates nothing but the ciphertext.
 */
export class StreamCipher {
  private readonly nonce = new Uint8Array(AEAD_NPUBBYTES);

  constructor(
    private readonly s: Sodium,
    private readonly subkey: Uint8Array,
    prefix: Uint8Array,
    private readonly ad: Uint8Array,
  ) {
    if (prefix.length !== NONCE_PREFIX_BYTES) throw new CryptoError(`nonce prefix must be ${NONCE_PREFIX_BYTES} bytes, got ${prefix.length}`);
    this.nonce.set(prefix);
  }

  seal(index: number, last: boolean, plaintext: Uint8Array): Uint8Array {
    writeChunkNonce(this.nonce, index, last);
    return this.s.aeadEncrypt(plaintext, this.ad, this.nonce, this.subkey);
  }

  open(index: number, ciphertext: Uint8Array): OpenedChunk | null {
    return openWithNonce(this.s, this.subkey, this.nonce, index, this.ad, ciphertext);
  }

  wipe(): void {
    this.s.memzero(this.subkey);
  }
}
