/**
 * The clear, storable description of one recording and its signed checkpoints.
 *
 * A manifest holds what is needed to find a recording (metadata), to open it
 * (the record key sealed once per recipient) and to read it (the stream table).
 * Nothing a session contained is in here: that is all in sealed chunks.
 *
 * Binary values are standard base64; times are ISO-8601 UTC strings.
 */

/**
 * The format new recordings are written in. /2 differs from /1 only in how
 * a chunk's digest is computed (see seal/chain); /3 from /2 only in that a
 * terminal stream may hold table frames (src/recording/frames.ts), so that a
 * reader that knows no table frames refuses the recording at its manifest
 * rather than at its first table; /4 from /3 only in the chunk digest again
 * (BLAKE3). Readers accept all four.
 */
export const MANIFEST_FORMAT = 'recgate-recording/4';
export const MANIFEST_FORMATS = ['recgate-recording/1', 'recgate-recording/2', 'recgate-recording/3', MANIFEST_FORMAT] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

export type StreamKind = 'tty' | 'input' | 'events' | 'screen';

export interface StreamInfo {
  /** Small integer, unique in the recording; also the KDF subkey id (ids start at 1). */
  id: number;
  /** `tty`, `input`, `events`, `screen`; extra terminal channels are `tty-1`, `input-1`, ... */
  name: string;
  kind: StreamKind;
  /** Terminal channel number (0 for the first) for tty/input; 0 otherwise. */
  channel: number;
  /** Random 16-byte STREAM nonce prefix, base64. */
  noncePrefix: string;
}

export interface RecipientEntry {
  /** Key id: hex of the first 8 bytes of BLAKE2b-256(public key). */
  kid: string;
  /** Name from config, informative only. */
  name?: string;
  /** `crypto_box_seal(recordKey, recipientPublicKey)`, base64. */
  sealedKey: string;
}

export interface RecordingMeta {
  id: string;
  user: string;
  target: string;
  protocol: string;
  clientAddress: string;
  /** ISO time at which the session started: frame times are ms from here. */
  startedAt: string;
  /** Initial terminal description of channel 0, when the session has one. */
  term?: string;
  cols?: number;
  rows?: number;
}

export interface Manifest {
  format: ManifestFormat;
  id: string;
  meta: RecordingMeta;
  /** The gateway's Ed25519 signing public key (base64) that signs the checkpoints. */
  signer: string;
  streams: StreamInfo[];
  recipients: RecipientEntry[];
}

export type RecordingStatus = 'recording' | 'complete' | 'interrupted';

export interface CheckpointStream {
  id: number;
  name: string;
  noncePrefix: string;
  /** Number of chunks of this stream covered by the checkpoint. */
  chunks: number;
  /** Running hash after `chunks` chunks, base64 (see seal/chain). */
  hash: string;
  /** Per-chunk digests (base64) of the chunks added since the previous checkpoint, in order. */
  digests: string[];
}

export interface Checkpoint {
  recording: string;
  /** 0, 1, 2, ... in the order written. */
  seq: number;
  at: string;
  /** BLAKE2b-256 of the canonical JSON of `meta`, base64: binds the clear metadata. */
  metaHash: string;
  streams: CheckpointStream[];
  /** Present on the last checkpoint of a recording that ended normally. */
  final?: { endedAt: string; status: 'complete'; endReason: string };
  /** Ed25519 signature (base64) over the canonical JSON of every other field. */
  signature: string;
}

/** JSON with keys sorted at every level: the byte form that hashes and signatures cover. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
