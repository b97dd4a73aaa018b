/**
 * Running hash of one stream's ciphertext, signed in every checkpoint.
 *
 *   h_0      = BLAKE2b-256("recgate/v1 chain" ‖ 0x00 ‖ recording id ‖ 0x00 ‖ stream name)
 *   digest_i = BLAKE2b-256(chunk_i)                  (chunk = ciphertext ‖ tag)
 *   h_i      = BLAKE2b-256(h_{i-1} ‖ digest_i)       (i = 1, 2, ...)
 *
 * h_n commits to the first n chunks in order, so a checkpoint (n, h_n) fixes
 * the stream's content up to n without holding any key; the per-chunk digests
 * let a verifier name the first chunk that differs.
 */
import { toBase64, utf8 } from './encoding.js';
import { GENERICHASH_BYTES } from './sodium-params.js';
import type { Sodium } from './sodium.js';
import { assertAdName } from './stream.js';

export const CHAIN_DOMAIN = 'recgate/v1 chain';

export function chainSeed(s: Sodium, recordingId: string, streamName: string): Uint8Array {
  assertAdName('recording id', recordingId);
  assertAdName('stream name', streamName);
  return s.generichash(GENERICHASH_BYTES, utf8(`${CHAIN_DOMAIN}\0${recordingId}\0${streamName}`));
}

export function chunkDigest(s: Sodium, chunk: Uint8Array): string {
  return toBase64(s.generichash(GENERICHASH_BYTES, chunk));
}

export class ChunkChain {
  /** h_{i-1} ‖ digest_i, rewritten in place for each chunk. */
  private readonly link = new Uint8Array(2 * GENERICHASH_BYTES);
  private readonly head: Uint8Array;
  private readonly digest: Uint8Array;
  private readonly state: Uint8Array;
  private n = 0;

  constructor(
    private readonly s: Sodium,
    recordingId: string,
    streamName: string,
  ) {
    this.head = this.link.subarray(0, GENERICHASH_BYTES);
    this.digest = this.link.subarray(GENERICHASH_BYTES);
    this.state = chainSeed(s, recordingId, streamName);
  }

  /** Number of chunks pushed. */
  get count(): number {
    return this.n;
  }

  /** Adds the next chunk; returns its digest, base64. */
  push(chunk: Uint8Array): string {
    this.s.generichashInto(this.digest, chunk);
    this.head.set(this.state);
    this.s.generichashInto(this.state, this.link);
    this.n++;
    return toBase64(this.digest);
  }

  /** h_count, base64. */
  hash(): string {
    return toBase64(this.state);
  }
}
