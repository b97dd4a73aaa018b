/**
 * BLAKE3 for the native backend: the reference `blake3` crate through @napi-rs/blake-hash
 * (prebuilt N-API binaries for every platform Node runs on; the crate picks AVX-512, AVX2,
 * SSE4.1 or NEON at run time). On an AVX-512 EPYC it hashed 64 KiB at 0.16–0.2 ns a byte,
 * single-threaded, against 0.85–1.2 for OpenSSL's BLAKE2b-512, the fastest BLAKE2b here.
 * The browser's hash-wasm (seal/sodium-wasm) computes the same function, as the BLAKE3
 * specification defines it.
 *
 * A call costs about 2 µs whatever the size (the binding's argument handling), which is
 * nothing beside a chunk: the recorder seals a stream's chunk when its 64 KiB buffer is full
 * or once a second.
 *
 * Required on first use, not at import, like sodium-native.
 */
import { createRequire } from 'node:module';

import { CryptoError } from '../errors.js';
import { BLAKE3_BYTES, expectLength } from './sodium-params.js';

type Blake3 = (input: Uint8Array) => Uint8Array;

let blake3: Blake3 | undefined;

function load(): Blake3 {
  try {
    const mod = createRequire(import.meta.url)('@napi-rs/blake-hash') as { blake3: Blake3 };
    return mod.blake3;
  } catch (err) {
    throw new CryptoError('native BLAKE3 (@napi-rs/blake-hash) could not be loaded', { cause: err });
  }
}

export function blake3Into(out: Uint8Array, message: Uint8Array): void {
  expectLength('BLAKE3 output', out, BLAKE3_BYTES);
  out.set((blake3 ??= load())(message));
}
