/**
 * The libsodium subset recgate uses (and BLAKE3, which libsodium lacks), behind one
 * interface with two backends:
 *
 *   nativeSodium()  sodium-native (N-API addon), the gateway hot path
 *                   (src/seal/sodium-native.ts)
 *   wasmSodium()    libsodium-wrappers-sumo (WebAssembly), for the browser
 *                   (src/seal/sodium-wasm.ts)
 *
 * defaultSodium() (here) is the process-wide native instance for Node code.
 * It reaches the addon through sodium-native.ts, which requires it on first
 * call, not at import. Browser-side modules (keys, stream, chain, opener,
 * verify) import only `type Sodium` from this file (erased at build) and
 * their runtime values from sodium-params.ts, so a browser bundle never
 * reaches this file, node:module or the addon.
 *
 * Both backends have the same semantics:
 * - bytes in and out are plain Uint8Array (never Node Buffers);
 * - a failed authentication returns null (aeadDecrypt, boxSealOpen,
 *   secretboxOpenEasy) or false (signVerifyDetached, pwhashStrVerify);
 * - a wrong key, nonce or output length is a programming error and throws
 *   CryptoError before the library is called.
 */
import { nativeSodium } from './sodium-native.js';

export * from './sodium-params.js';

export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Incremental BLAKE2b. `digest()` finalizes and releases the state; call it exactly once. */
export interface Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

export interface Sodium {
  readonly backend: 'native' | 'wasm';

  randomBytes(length: number): Uint8Array;
  memzero(buf: Uint8Array): void;

  /** XChaCha20-Poly1305-IETF combined mode: ciphertext ‖ 16-byte tag. */
  aeadEncrypt(message: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  aeadDecrypt(ciphertext: Uint8Array, ad: Uint8Array | null, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;

  /** crypto_kdf_derive_from_key; `context` is exactly 8 ASCII characters. */
  kdfDeriveFromKey(length: number, subkeyId: number, context: string, key: Uint8Array): Uint8Array;

  boxKeypair(): KeyPair;
  boxSeal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
  boxSealOpen(ciphertext: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | null;
  /** X25519 public key of a secret scalar (crypto_scalarmult_base). */
  scalarmultBase(secretKey: Uint8Array): Uint8Array;

  signKeypair(): KeyPair;
  signSeedKeypair(seed: Uint8Array): KeyPair;
  signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  signVerifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;

  /** BLAKE2b, 16..64 bytes of output, optional 16..64-byte key. */
  generichash(length: number, message: Uint8Array, key?: Uint8Array | null): Uint8Array;
  /** BLAKE2b into `out` (its length is the digest length). */
  generichashInto(out: Uint8Array, message: Uint8Array): void;
  generichashHasher(length: number, key?: Uint8Array | null): Hasher;
  /**
   * BLAKE3 with its default 32-byte output into `out`: the chunk digest of recordings since
   * format /4 (seal/chain). Not part of libsodium; each backend brings its own (native: the
   * `blake3` crate through @napi-rs/blake-hash; wasm: hash-wasm).
   */
  blake3Into(out: Uint8Array, message: Uint8Array): void;

  /** Argon2id 1.3 (crypto_pwhash with ALG_ARGON2ID13). */
  pwhash(length: number, password: Uint8Array, salt: Uint8Array, opslimit: number, memlimit: number): Uint8Array;
  /** The same off the calling thread where the backend can (native: libuv's pool), so other work goes on meanwhile. */
  pwhashAsync(length: number, password: Uint8Array, salt: Uint8Array, opslimit: number, memlimit: number): Promise<Uint8Array>;
  pwhashStr(password: Uint8Array | string, opslimit: number, memlimit: number): string;
  pwhashStrVerify(hash: string, password: Uint8Array | string): boolean;
  /** The same off the calling thread where the backend can (native: libuv's pool), so logins never stall a gateway. */
  pwhashStrVerifyAsync(hash: string, password: Uint8Array | string): Promise<boolean>;

  /** XSalsa20-Poly1305 combined mode. */
  secretboxEasy(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  secretboxOpenEasy(ciphertext: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
}

let shared: Sodium | undefined;

/** The process-wide native Sodium, created (and the addon loaded) on first call. */
export function defaultSodium(): Sodium {
  shared ??= nativeSodium();
  return shared;
}
