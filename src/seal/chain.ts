/**
 * Running hash of one stream's ciphertext, signed in every checkpoint.
 *
 *   h_0      = BLAKE2b-256("recgate/vN chain" ‖ 0x00 ‖ recording id ‖ 0x00 ‖ stream name)
 *   digest_i = D(chunk_i)                            (chunk = ciphertext ‖ tag)
 *   h_i      = BLAKE2b-256(h_{i-1} ‖ digest_i)       (i = 1, 2, ...)
 *
 * where D is, by the recording's manifest format (N is the chain version):
 *   recgate-recording/1   BLAKE2b-256(chunk)                          N = 1
 *   recgate-recording/2   the first 32 bytes of BLAKE2b-512(chunk)     N = 2
 *   recgate-recording/3   as /2 (its chunks may hold table frames)     N = 2
 *   recgate-recording/4   BLAKE3(chunk), 32 bytes                      N = 3
 *
 * Each is a 256-bit digest of the whole ciphertext, and every recorded byte
 * passes through D once, so D's speed is a share of what recording costs:
 * /2 came because the gateway computes BLAKE2b-512 with OpenSSL at twice the
 * speed of the bundled libsodium's BLAKE2b-256, /4 because BLAKE3 hashes a
 * chunk four to five times faster again (SIMD across its 1 KiB blocks; see
 * seal/blake3-native). The links stay BLAKE2b-256 of 64 bytes. The version is
 * in h_0's domain, so a chain of one version never matches a checkpoint signed
 * for another.
 *
 * h_n commits to the first n chunks in order, so a checkpoint (n, h_n) fixes
 * the stream's content up to n without holding any key; the per-chunk digests
 * let a verifier name the first chunk that differs.
 */
import { toBase64, utf8 } from './encoding.js';
import { MANIFEST_FORMAT, type ManifestFormat } from './manifest.js';
import { GENERICHASH_BYTES, GENERICHASH_BYTES_MAX } from './sodium-params.js';
import type { Sodium } from './sodium.js';
import { assertAdName } from './stream.js';

export type ChainVersion = 1 | 2 | 3;

const CHAIN_VERSIONS: Record<ManifestFormat, ChainVersion> = {
  'recgate-recording/1': 1,
  'recgate-recording/2': 2,
  'recgate-recording/3': 2,
  'recgate-recording/4': 3,
};

/** The chain version of a format; a manifest's format is untrusted, and one no reader knows (already an error) is read as the newest. */
export const chainVersionOf = (format: ManifestFormat): ChainVersion => (Object.hasOwn(CHAIN_VERSIONS, format) ? CHAIN_VERSIONS[format] : CHAIN_VERSION);

/** The version new recordings are sealed with. */
export const CHAIN_VERSION = chainVersionOf(MANIFEST_FORMAT);

export function chainSeed(s: Sodium, recordingId: string, streamName: string, version: ChainVersion = CHAIN_VERSION): Uint8Array {
  assertAdName('recording id', recordingId);
  assertAdName('stream name', streamName);
  return s.generichash(GENERICHASH_BYTES, utf8(`recgate/v${version} chain\0${recordingId}\0${streamName}`));
}

/** D(chunk) of the given version into `out` (GENERICHASH_BYTES); `wide` is scratch for version 2. */
function digestInto(s: Sodium, version: ChainVersion, out: Uint8Array, wide: Uint8Array, chunk: Uint8Array): void {
  if (version === 3) return s.blake3Into(out, chunk);
  if (version === 1) return s.generichashInto(out, chunk);
  s.generichashInto(wide, chunk);
  out.set(wide.subarray(0, GENERICHASH_BYTES));
}

export function chunkDigest(s: Sodium, chunk: Uint8Array, version: ChainVersion = CHAIN_VERSION): string {
  const out = new Uint8Array(GENERICHASH_BYTES);
  digestInto(s, version, out, new Uint8Array(GENERICHASH_BYTES_MAX), chunk);
  return toBase64(out);
}

export class ChunkChain {
  /** h_{i-1} ‖ digest_i, rewritten in place for each chunk. */
  private readonly link = new Uint8Array(2 * GENERICHASH_BYTES);
  private readonly wide = new Uint8Array(GENERICHASH_BYTES_MAX);
  private readonly head: Uint8Array;
  private readonly digest: Uint8Array;
  private readonly state: Uint8Array;
  private n = 0;

  constructor(
    private readonly s: Sodium,
    recordingId: string,
    streamName: string,
    private readonly version: ChainVersion = CHAIN_VERSION,
  ) {
    this.head = this.link.subarray(0, GENERICHASH_BYTES);
    this.digest = this.link.subarray(GENERICHASH_BYTES);
    this.state = chainSeed(s, recordingId, streamName, version);
  }

  /** Number of chunks pushed. */
  get count(): number {
    return this.n;
  }

  /** Adds the next chunk; returns its digest, base64. */
  push(chunk: Uint8Array): string {
    digestInto(this.s, this.version, this.digest, this.wide, chunk);
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
