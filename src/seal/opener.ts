/**
 * RecordOpener: an auditor's side of a recording. Opens K from the
 * recipient entry for the auditor's key, derives stream subkeys on demand
 * (reading the events stream never touches the tty or screen keys), and
 * opens chunks one at a time or as a stream.
 *
 * Runs in the browser with wasmSodium(): nothing here touches Node APIs.
 */
import { CryptoError, KeyError, NotFoundError } from '../errors.js';
import { fromBase64 } from './encoding.js';
import type { AuditorKeyPair } from './keys.js';
import type { Manifest, StreamInfo } from './manifest.js';
import { BOX_SEALBYTES } from './sodium-params.js';
import type { Sodium } from './sodium.js';
import {
  NONCE_PREFIX_BYTES,
  RECORD_KEY_BYTES,
  StreamCipher,
  deriveStreamKey,
  streamAssociatedData,
  type OpenedChunk,
} from './stream.js';

export interface StreamReadOptions {
  /** Index of the first chunk `chunks` yields (default 0). */
  from?: number;
  /** Fail if the chunks end before a chunk sealed as last (a complete recording). */
  requireEnd?: boolean;
}

/** Opens K from the manifest's entry for `pair`; the caller wipes it. */
export function openRecordKey(s: Sodium, manifest: Manifest, pair: AuditorKeyPair): Uint8Array {
  const entry = manifest.recipients.find((r) => r.kid === pair.kid);
  if (!entry) throw new KeyError(`key ${pair.kid} is not a recipient of recording ${manifest.id}`);
  const sealed = fromBase64(entry.sealedKey);
  const key =
    sealed && sealed.length === RECORD_KEY_BYTES + BOX_SEALBYTES ? s.boxSealOpen(sealed, pair.publicKey, pair.secretKey) : null;
  if (!key) {
    throw new CryptoError(`recording ${manifest.id}: the record key sealed for key ${pair.kid} does not open (corrupt entry or wrong secret key)`);
  }
  return key;
}

export class RecordOpener {
  private readonly ciphers = new Map<number, StreamCipher>();
  private closed = false;

  private constructor(
    private readonly s: Sodium,
    private readonly recordKey: Uint8Array,
    private readonly data: Manifest,
  ) {}

  static open(s: Sodium, manifest: Manifest, pair: AuditorKeyPair): RecordOpener {
    return new RecordOpener(s, openRecordKey(s, manifest, pair), structuredClone(manifest));
  }

  get recordingId(): string {
    return this.data.id;
  }

  get streams(): StreamInfo[] {
    return this.data.streams.map((st) => ({ ...st }));
  }

  stream(name: string): StreamInfo | undefined {
    const st = this.data.streams.find((x) => x.name === name);
    return st && { ...st };
  }

  /** Opens chunk `index` of a stream alone; throws CryptoError if it does not authenticate there. */
  openChunk(streamId: number, index: number, ciphertext: Uint8Array): OpenedChunk {
    const { cipher, name } = this.cipherFor(streamId);
    const opened = cipher.open(index, ciphertext);
    if (!opened) {
      throw new CryptoError(`recording ${this.data.id}: stream ${name} chunk ${index}: authentication failed`);
    }
    return opened;
  }

  /**
   * Opens consecutive chunks starting at `options.from`. Throws on a chunk
   * after the last one and, with `requireEnd`, when the chunks stop before it.
   */
  async *openStream(
    streamId: number,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options: StreamReadOptions = {},
  ): AsyncGenerator<OpenedChunk & { index: number }> {
    const name = this.cipherFor(streamId).name;
    let index = options.from ?? 0;
    let ended = false;
    for await (const chunk of chunks) {
      if (ended) {
        throw new CryptoError(`recording ${this.data.id}: stream ${name} chunk ${index}: data after the last chunk`);
      }
      const opened = this.openChunk(streamId, index, chunk);
      ended = opened.last;
      yield { ...opened, index };
      index++;
    }
    if (options.requireEnd && !ended) {
      throw new CryptoError(`recording ${this.data.id}: stream ${name} stops at chunk ${index} without its last chunk (truncated)`);
    }
  }

  /** Wipes K and the derived subkeys. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.s.memzero(this.recordKey);
    for (const cipher of this.ciphers.values()) cipher.wipe();
    this.ciphers.clear();
  }

  private cipherFor(streamId: number): { cipher: StreamCipher; name: string } {
    if (this.closed) throw new CryptoError(`recording ${this.data.id}: opener is closed`);
    const info = this.data.streams.find((st) => st.id === streamId);
    if (!info) throw new NotFoundError(`recording ${this.data.id} has no stream ${streamId}`);
    let cipher = this.ciphers.get(streamId);
    if (!cipher) {
      const prefix = fromBase64(info.noncePrefix);
      if (!prefix || prefix.length !== NONCE_PREFIX_BYTES) {
        throw new CryptoError(`recording ${this.data.id}: stream ${info.name}: nonce prefix is not base64 of ${NONCE_PREFIX_BYTES} bytes`);
      }
      const ad = streamAssociatedData(this.data.id, info.name);
      cipher = new StreamCipher(this.s, deriveStreamKey(this.s, this.recordKey, streamId), prefix, ad);
      this.ciphers.set(streamId, cipher);
    }
    return { cipher, name: info.name };
  }
}
