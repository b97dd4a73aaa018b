/**
 * RecordSealer: the only holder of a recording's key K on the gateway.
 *
 *   K                      = 32 random bytes, one per recording
 *   recipients[i].sealedKey = crypto_box_seal(K, auditor_i public key)
 *   stream subkey          = crypto_kdf_derive_from_key(32, stream.id, "rgstream", K)
 *   chunk                  = STREAM chunk (see stream.ts), chained (see chain.ts)
 *   checkpoint             = Ed25519-signed chunk counts, chain hashes and new digests
 *
 * Invariants: K and the subkeys never leave this object and are wiped by
 * close(); chunk indexes of a stream are 0, 1, 2, ... with no gaps; nothing is
 * sealed on a stream after its last chunk, nor on any stream after the final
 * checkpoint.
 */
import { KeyError, RecordingError } from '../errors.js';
import { bytesEqual, toBase64 } from './encoding.js';
import { kidOf } from './keys.js';
import { ChunkChain } from './chain.js';
import {
  MANIFEST_FORMAT,
  type Checkpoint,
  type CheckpointStream,
  type Manifest,
  type RecipientEntry,
  type RecordingMeta,
  type StreamInfo,
  type StreamKind,
} from './manifest.js';
import { metaHash, signCheckpoint, type SigningKeyPair } from './signing.js';
import { BOX_PUBLICKEYBYTES, SIGN_PUBLICKEYBYTES, SIGN_SECRETKEYBYTES } from './sodium-params.js';
import type { Sodium } from './sodium.js';
import {
  NONCE_PREFIX_BYTES,
  RECORD_KEY_BYTES,
  StreamCipher,
  assertAdName,
  deriveStreamKey,
  streamAssociatedData,
} from './stream.js';

export interface SealerRecipient {
  name?: string;
  publicKey: Uint8Array;
}

export interface SealerOptions {
  meta: RecordingMeta;
  recipients: SealerRecipient[];
  signer: SigningKeyPair;
}

export interface FinalState {
  endedAt: string;
  status: 'complete';
  endReason: string;
}

interface SealedStream {
  info: StreamInfo;
  cipher: StreamCipher;
  chain: ChunkChain;
  ended: boolean;
  /** Digests of chunks sealed since the last checkpoint. */
  pending: string[];
}

export class RecordSealer {
  private readonly streams: SealedStream[] = [];
  private readonly metaHash: string;
  private seq = 0;
  private finished = false;
  private closed = false;

  private constructor(
    private readonly s: Sodium,
    private readonly recordKey: Uint8Array,
    private readonly data: Manifest,
    private readonly signer: SigningKeyPair,
  ) {
    this.metaHash = metaHash(s, data.meta);
  }

  static create(s: Sodium, options: SealerOptions): RecordSealer {
    const meta = structuredClone(options.meta);
    assertAdName('recording id', meta.id);
    checkSigner(options.signer);
    if (options.recipients.length === 0) {
      throw new RecordingError(`recording ${meta.id}: no recipients: refusing to record what no auditor could open`);
    }
    const recordKey = s.randomBytes(RECORD_KEY_BYTES);
    let recipients: RecipientEntry[];
    try {
      recipients = sealForRecipients(s, recordKey, options.recipients);
    } catch (err) {
      s.memzero(recordKey);
      throw err;
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id: meta.id,
      meta,
      signer: toBase64(options.signer.publicKey),
      streams: [],
      recipients,
    };
    return new RecordSealer(s, recordKey, manifest, options.signer);
  }

  /** A copy of the manifest as it stands (streams added so far). */
  get manifest(): Manifest {
    return structuredClone(this.data);
  }

  get recordingId(): string {
    return this.data.id;
  }

  addStream(name: string, kind: StreamKind, channel: number): StreamInfo {
    this.assertOpen();
    assertAdName('stream name', name);
    if (this.streams.some((st) => st.info.name === name)) {
      throw new RecordingError(`recording ${this.data.id}: stream ${name} already exists`);
    }
    const id = this.streams.length + 1;
    const prefix = this.s.randomBytes(NONCE_PREFIX_BYTES);
    const info: StreamInfo = { id, name, kind, channel, noncePrefix: toBase64(prefix) };
    const subkey = deriveStreamKey(this.s, this.recordKey, id);
    const ad = streamAssociatedData(this.data.id, name);
    this.streams.push({
      info,
      cipher: new StreamCipher(this.s, subkey, prefix, ad),
      chain: new ChunkChain(this.s, this.data.id, name),
      ended: false,
      pending: [],
    });
    this.data.streams.push({ ...info });
    return { ...info };
  }

  /** Seals the next chunk of a stream; `last` ends the stream. Returns chunk bytes to store. */
  sealChunk(streamId: number, plaintext: Uint8Array, last: boolean): Uint8Array {
    this.assertOpen();
    const st = this.streams[streamId - 1];
    if (!st) throw new RecordingError(`recording ${this.data.id}: no stream ${streamId}`);
    if (st.ended) throw new RecordingError(`recording ${this.data.id}: stream ${st.info.name} already ended`);
    const chunk = st.cipher.seal(st.chain.count, last, plaintext);
    st.pending.push(st.chain.push(chunk));
    if (last) st.ended = true;
    return chunk;
  }

  /** Chunks sealed since the last checkpoint, over all streams. */
  get uncheckpointed(): number {
    let n = 0;
    for (const st of this.streams) n += st.pending.length;
    return n;
  }

  /** Signs the state of every stream; with `final`, the recording ends here. */
  checkpoint(final?: FinalState): Checkpoint {
    this.assertOpen();
    const streams: CheckpointStream[] = this.streams.map((st) => ({
      id: st.info.id,
      name: st.info.name,
      noncePrefix: st.info.noncePrefix,
      chunks: st.chain.count,
      hash: st.chain.hash(),
      digests: st.pending.splice(0),
    }));
    const unsigned: Omit<Checkpoint, 'signature'> = {
      recording: this.data.id,
      seq: this.seq++,
      at: new Date().toISOString(),
      metaHash: this.metaHash,
      streams,
    };
    if (final) {
      unsigned.final = { endedAt: final.endedAt, status: 'complete', endReason: final.endReason };
      this.finished = true;
    }
    return signCheckpoint(this.s, this.signer.secretKey, unsigned);
  }

  /** Wipes K and every subkey. Idempotent; the sealer is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.s.memzero(this.recordKey);
    for (const st of this.streams) st.cipher.wipe();
  }

  private assertOpen(): void {
    if (this.closed) throw new RecordingError(`recording ${this.data.id}: sealer is closed`);
    if (this.finished) throw new RecordingError(`recording ${this.data.id}: already finalized`);
  }
}

function checkSigner(signer: SigningKeyPair): void {
  const { publicKey, secretKey } = signer;
  if (publicKey.length !== SIGN_PUBLICKEYBYTES || secretKey.length !== SIGN_SECRETKEYBYTES) {
    throw new KeyError('signing key must be an Ed25519 key pair (32-byte public, 64-byte secret key)');
  }
  if (!bytesEqual(secretKey.subarray(32), publicKey)) {
    throw new KeyError('signing key pair is inconsistent: the secret key belongs to another public key');
  }
}

function sealForRecipients(s: Sodium, recordKey: Uint8Array, recipients: SealerRecipient[]): RecipientEntry[] {
  const entries: RecipientEntry[] = [];
  for (const r of recipients) {
    if (r.publicKey.length !== BOX_PUBLICKEYBYTES) {
      throw new KeyError(`recipient ${r.name ?? '(unnamed)'}: public key must be ${BOX_PUBLICKEYBYTES} bytes`);
    }
    const kid = kidOf(s, r.publicKey);
    if (entries.some((e) => e.kid === kid)) continue;
    const entry: RecipientEntry = { kid, sealedKey: toBase64(s.boxSeal(recordKey, r.publicKey)) };
    if (r.name !== undefined) entry.name = r.name;
    entries.push(entry);
  }
  return entries;
}
