/**
 * RecordingReader: opens a stored recording with an auditor's key and yields
 * its decrypted frames, stream by stream. Used by export, play and search;
 * runs wherever the key is (the auditor's machine), never on the store's side.
 */
import { CryptoError } from '../errors.js';
import type { Manifest, StreamInfo } from '../seal/manifest.js';
import type { AuditorKeyPair } from '../seal/keys.js';
import { RecordOpener } from '../seal/opener.js';
import type { Sodium } from '../seal/sodium.js';
import type { RecordingStore, RecordingSummary } from '../store/types.js';
import { decodeFrames, FrameKind, type Frame } from './frames.js';

export interface TerminalDescriptor {
  channel: number;
  ttyStream: string;
  inputStream?: string;
  term?: string;
  cols: number;
  rows: number;
}

/** What a reader needs of a store: the console's page gives the same over HTTP. */
export type ChunkSource = Pick<RecordingStore, 'manifest' | 'chunks' | 'tail'>;

export class RecordingReader {
  private constructor(
    private readonly store: ChunkSource,
    private readonly opener: RecordOpener,
    readonly manifest: Manifest,
    readonly summary: RecordingSummary,
  ) {}

  static async open(store: ChunkSource, sodium: Sodium, summary: RecordingSummary, key: AuditorKeyPair): Promise<RecordingReader> {
    const manifest = await store.manifest(summary.id);
    if (manifest.id !== summary.id) {
      throw new CryptoError(`recording ${summary.id}: its manifest names recording ${manifest.id} (swapped or altered; see recordings verify)`);
    }
    const opener = RecordOpener.open(sodium, manifest, key);
    return new RecordingReader(store, opener, manifest, summary);
  }

  stream(name: string): StreamInfo | undefined {
    return this.manifest.streams.find((s) => s.name === name);
  }

  /** Decrypted frames of one stream in order; an absent stream yields nothing. */
  async *frames(name: string): AsyncGenerator<Frame> {
    const info = this.stream(name);
    if (!info) return;
    let sawLast = false;
    for await (const chunk of this.store.chunks(this.manifest.id, info.id)) {
      if (sawLast) throw new CryptoError(`recording ${this.manifest.id}: stream ${name} has chunks after its final chunk`);
      const { plaintext, last } = this.opener.openChunk(info.id, chunk.index, chunk.data);
      sawLast = last;
      yield* decodeFrames(plaintext);
    }
    if (!sawLast && this.summary.status === 'complete') {
      throw new CryptoError(`recording ${this.manifest.id}: stream ${name} is truncated (its final chunk is missing)`);
    }
  }

  /** Frames of one stream as they are written, until the recording stops or `signal` aborts. */
  async *follow(name: string, signal?: AbortSignal): AsyncGenerator<Frame> {
    const info = this.stream(name);
    if (!info) return;
    for await (const chunk of this.store.tail(this.manifest.id, info.id, 0, signal)) {
      yield* decodeFrames(this.opener.openChunk(info.id, chunk.index, chunk.data).plaintext);
    }
  }

  /** The terminal channels, with the size and type each started with. */
  async terminals(): Promise<TerminalDescriptor[]> {
    const out = new Map<number, TerminalDescriptor>();
    for (const s of this.manifest.streams) {
      if (s.kind !== 'tty') continue;
      out.set(s.channel, { channel: s.channel, ttyStream: s.name, cols: 80, rows: 24 });
    }
    for (const s of this.manifest.streams) {
      const t = out.get(s.channel);
      if (s.kind === 'input' && t) t.inputStream = s.name;
    }
    for await (const f of this.frames('events')) {
      if (f.kind !== FrameKind.Event || f.event.type !== 'terminal') continue;
      const t = out.get(Number(f.event.channel));
      if (!t) continue;
      if (typeof f.event.term === 'string') t.term = f.event.term;
      if (typeof f.event.cols === 'number') t.cols = f.event.cols;
      if (typeof f.event.rows === 'number') t.rows = f.event.rows;
    }
    return [...out.values()].sort((a, b) => a.channel - b.channel);
  }

  close(): void {
    this.opener.close();
  }
}
