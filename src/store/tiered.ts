/**
 * The hot store with the archive behind it, as one RecordingStore: how the
 * CLI (`recordings list | export | play | search | verify`, `keys rotate`)
 * finds recordings that retention moved to the archive tier.
 *
 * Writes of new recordings, recovery and the gateway's log go to the hot
 * store. Reads of a recording go to the store that holds it, the hot one
 * first (during a move both hold the same bytes); listings merge both in the
 * listing's order; recipient updates and deletions reach every store that
 * holds the recording.
 */
import type { LogEntry } from '../seal/log.js';
import type { Checkpoint, Manifest, RecipientEntry, StreamInfo } from '../seal/manifest.js';
import type { InterruptedRecording, ListFilter, RecordingEnd, RecordingStore, RecordingSummary, StoredChunk, StoreHealth } from './types.js';

export class TieredStore implements RecordingStore {
  readonly kind: string;
  readonly health?: () => StoreHealth;

  constructor(
    readonly hot: RecordingStore,
    readonly archive: RecordingStore,
  ) {
    this.kind = hot.kind;
    if (hot.health) this.health = () => hot.health!();
  }

  /** The store that holds `id`: the hot one when neither does (its errors say "no recording"). */
  private async holder(id: string): Promise<RecordingStore> {
    if (await this.hot.get(id)) return this.hot;
    return (await this.archive.get(id)) ? this.archive : this.hot;
  }

  private async holders(id: string): Promise<RecordingStore[]> {
    const held = await Promise.all([this.hot, this.archive].map(async (s) => ((await s.get(id)) ? s : null)));
    return held.filter((s): s is RecordingStore => s !== null);
  }

  create(manifest: Manifest): Promise<void> {
    return this.hot.create(manifest);
  }

  addStream(id: string, stream: StreamInfo): Promise<void> {
    return this.hot.addStream(id, stream);
  }

  appendChunks(id: string, streamId: number, from: number, ciphertexts: Uint8Array[]): Promise<void> {
    return this.hot.appendChunks(id, streamId, from, ciphertexts);
  }

  checkpoint(id: string, checkpoint: Checkpoint): Promise<void> {
    return this.hot.checkpoint(id, checkpoint);
  }

  finalize(id: string, checkpoint: Checkpoint, end: RecordingEnd): Promise<void> {
    return this.hot.finalize(id, checkpoint, end);
  }

  async get(id: string): Promise<RecordingSummary | undefined> {
    return (await this.hot.get(id)) ?? (await this.archive.get(id));
  }

  async list(filter: ListFilter = {}): Promise<RecordingSummary[]> {
    const [hot, archived] = await Promise.all([this.hot.list(filter), this.archive.list(filter)]);
    return mergeListings(hot, archived, filter);
  }

  async manifest(id: string): Promise<Manifest> {
    return (await this.holder(id)).manifest(id);
  }

  async checkpoints(id: string): Promise<Checkpoint[]> {
    return (await this.holder(id)).checkpoints(id);
  }

  async *chunks(id: string, streamId: number, from?: number): AsyncIterable<StoredChunk> {
    yield* (await this.holder(id)).chunks(id, streamId, from);
  }

  async *tail(id: string, streamId: number, from?: number, signal?: AbortSignal): AsyncIterable<StoredChunk> {
    yield* (await this.holder(id)).tail(id, streamId, from, signal);
  }

  async tornBytes(id: string, streamId: number): Promise<number> {
    return (await this.holder(id)).tornBytes(id, streamId);
  }

  async updateRecipients(id: string, recipients: RecipientEntry[]): Promise<void> {
    const held = await this.holders(id);
    for (const s of held.length > 0 ? held : [this.hot]) await s.updateRecipients(id, recipients);
  }

  recoverInterrupted(beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]> {
    return this.hot.recoverInterrupted(beforeMark);
  }

  async delete(id: string): Promise<void> {
    for (const s of await this.holders(id)) await s.delete(id);
  }

  appendLog(make: (last: LogEntry | null) => LogEntry): Promise<LogEntry> {
    return this.hot.appendLog(make);
  }

  readLog(): AsyncIterable<LogEntry> {
    return this.hot.readLog();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.hot.close(), this.archive.close()]);
  }
}

/** The stores a store is made of (the hot one and the archive for a TieredStore), for work done store by store, such as key rotation in each store's own batches. */
export function storeTiers(store: RecordingStore): RecordingStore[] {
  return store instanceof TieredStore ? [store.hot, store.archive] : [store];
}

/** Two listings of one filter merged in its order, a recording both hold once (the first's row), cut to its limit. */
export function mergeListings(first: RecordingSummary[], second: RecordingSummary[], filter: ListFilter = {}): RecordingSummary[] {
  const seen = new Set(first.map((r) => r.id));
  const all = [...first, ...second.filter((r) => !seen.has(r.id))];
  const sign = filter.descending ? -1 : 1;
  all.sort((a, b) => sign * (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return filter.limit === undefined ? all : all.slice(0, Math.max(0, Math.floor(filter.limit)));
}
