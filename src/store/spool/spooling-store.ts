/**
 * SpoolingStore: a RecordingStore in front of a store that can be
 * unreachable (PostgreSQL). Nothing acknowledged is lost when it is down.
 *
 *   up ──(a write fails: store unreachable)──► spooling ──(spool replayed whole)──► up
 *
 * up: writes go straight through. spooling: that write and every later write
 * of every recording are appended in order to the spool on local disk
 * (./spool-dir.ts, fsynced) and acknowledged; a drainer retries the store
 * with backoff and replays the spool in the order it was acknowledged
 * (./replay.ts). A write the store refuses (not unreachable) stays an error.
 * A full spool (store.spool.maxBytes) or a failing disk fails the write: the
 * recorder's failure path decides (recording.required ends the session).
 *
 * The gateway log while spooling: an entry chains on the one before it,
 * which another node may write meanwhile, so it can only be made once the
 * store is back. The spool holds a marker in the entry's place; its maker is
 * kept in memory and called at replay. A process that stops before the drain
 * loses those entries (said in the log at the next drain); the recordings
 * themselves are replayed, and recovery logs the interrupted ones.
 *
 * Reads of recordings this node writes (chunks, tail, get, manifest,
 * checkpoints) see what the spool holds, so a live viewer on this node
 * follows a session through an outage; list, readLog and the rest ask the
 * store.
 */
import { EventEmitter } from 'node:events';
import { StoreError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { LogEntry } from '../../seal/log.js';
import type { Checkpoint, Manifest, RecipientEntry, StreamInfo } from '../../seal/manifest.js';
import type { InterruptedRecording, ListFilter, RecordingEnd, RecordingStore, RecordingSummary, StoredChunk, StoreHealth } from '../types.js';
import { chunkCount, type SpoolRecord } from './format.js';
import { replay, type LogMaker } from './replay.js';
import { SpoolDir } from './spool-dir.js';
import { SpoolIndex } from './spool-index.js';
import { Drainer } from './drainer.js';
import { isUnreachable } from './unreachable.js';

export interface SpoolingOptions {
  dir: string;
  maxBytes: number;
  log: Logger;
  /** Segment file size (default 8 MiB). */
  segmentBytes?: number;
  /**
   * Opens another handle on the same store, to replay what a previous
   * process left in the spool at start: a store may keep the recordings a
   * handle creates as its own, out of reach of recovery (PostgresStore).
   */
  startupStore?: () => RecordingStore;
  /** First and longest wait between tries of an unreachable store (ms; default 250 and 2000). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export class SpoolingStore implements RecordingStore {
  readonly kind: string;
  private state: 'up' | 'spooling' = 'up';
  private spoolFailure: string | undefined;
  private readonly index = new SpoolIndex();
  private readonly makers = new Map<string, LogMaker>();
  private nextToken = 0;
  private lastLog: LogEntry | null = null;
  private readonly changed = new EventEmitter();
  private readonly drainer: Drainer;
  private spooledChunks = 0;
  private closed = false;
  private readonly startupStore: (() => RecordingStore) | undefined;

  private constructor(
    private readonly backing: RecordingStore,
    private readonly spool: SpoolDir,
    private readonly log: Logger,
    options: SpoolingOptions,
  ) {
    this.kind = backing.kind;
    this.startupStore = options.startupStore;
    this.changed.setMaxListeners(0);
    this.drainer = new Drainer(backing, spool, this.index, this.makers, log, {
      retryMinMs: options.retryMinMs ?? 250,
      retryMaxMs: options.retryMaxMs ?? 2000,
      onDrained: (record) => this.notify(record),
      mayGoUp: () => this.spool.empty,
      wentUp: () => {
        this.state = 'up';
        this.spoolFailure = undefined;
      },
    });
  }

  /** Opens the spool folder; writes a previous process left there are replayed first (see recoverInterrupted). */
  static async open(backing: RecordingStore, options: SpoolingOptions): Promise<SpoolingStore> {
    const spool = await SpoolDir.open(options.dir, options.maxBytes, options.segmentBytes);
    const store = new SpoolingStore(backing, spool, options.log.child({ component: 'spool' }), options);
    await store.drainer.load();
    if (!spool.empty) {
      store.state = 'spooling';
      store.log.warn({ spoolDir: options.dir, bytes: spool.bytes }, 'the spool holds writes a previous run could not store: replaying them into the store');
    }
    return store;
  }

  /**
   * down when the spool refuses writes; spooling while writes wait in it, or
   * when the store says it is unreachable (the next write will be spooled);
   * up otherwise, with the store's own word as the detail.
   */
  health(): StoreHealth {
    const backing = this.backing.health?.();
    const state = this.spoolFailure ? 'down' : this.state === 'up' && backing?.state === 'down' ? 'spooling' : this.state;
    const detail =
      this.spoolFailure ??
      (state === 'spooling' ? `store unreachable: writes wait in the spool (${this.drainer.lastError ?? backing?.detail ?? 'replaying'})` : backing?.detail);
    return {
      state,
      spooledBytes: this.spool.bytes,
      spooledChunks: this.spooledChunks,
      drainedChunks: this.drainer.drainedChunks,
      ...(detail ? { detail } : {}),
    };
  }

  create(manifest: Manifest): Promise<void> {
    return this.write({ kind: 'create', manifest }, () => this.backing.create(manifest));
  }

  addStream(id: string, stream: StreamInfo): Promise<void> {
    return this.write({ kind: 'addStream', id, stream }, () => this.backing.addStream(id, stream));
  }

  appendChunks(id: string, streamId: number, from: number, chunks: Uint8Array[]): Promise<void> {
    return this.write({ kind: 'append', id, streamId, from, chunks }, () => this.backing.appendChunks(id, streamId, from, chunks));
  }

  checkpoint(id: string, checkpoint: Checkpoint): Promise<void> {
    return this.write({ kind: 'checkpoint', id, checkpoint }, () => this.backing.checkpoint(id, checkpoint));
  }

  finalize(id: string, checkpoint: Checkpoint, end: RecordingEnd): Promise<void> {
    return this.write({ kind: 'finalize', id, checkpoint, end }, () => this.backing.finalize(id, checkpoint, end));
  }

  /**
   * While the store is up the entry is made and stored at once. While it is
   * down a marker takes its place in the spool and the entry is made at
   * replay; what is returned then is provisional (chained on the last entry
   * this process saw), never stored.
   */
  async appendLog(make: (last: LogEntry | null) => LogEntry): Promise<LogEntry> {
    const token = `${process.pid}-${Date.now()}-${this.nextToken++}`;
    const remembered: LogMaker = (last) => {
      const entry = make(last);
      this.lastLog = entry;
      return entry;
    };
    let provisional: LogEntry | undefined;
    await this.write({ kind: 'log', token }, async () => {
      provisional = await this.backing.appendLog(remembered);
    }, () => this.makers.set(token, remembered));
    return provisional ?? make(this.lastLog);
  }

  async get(id: string): Promise<RecordingSummary | undefined> {
    const local = this.index.manifests.get(id);
    const stored = await this.backing.get(id).catch((err: unknown) => {
      if (local && isUnreachable(err)) return undefined;
      throw err;
    });
    if (stored || !local) return stored;
    const m = local.meta;
    return {
      id, user: m.user, target: m.target, protocol: m.protocol, clientAddress: m.clientAddress, startedAt: m.startedAt,
      endedAt: null, durationMs: null, bytes: 0, status: this.index.finished.has(id) ? 'complete' : 'recording', endReason: null,
      recipients: local.recipients.map((r) => r.kid),
    };
  }

  list(filter?: ListFilter): Promise<RecordingSummary[]> {
    return this.backing.list(filter);
  }

  async manifest(id: string): Promise<Manifest> {
    const local = this.index.manifests.get(id);
    return local ? structuredClone(local) : this.backing.manifest(id);
  }

  async checkpoints(id: string): Promise<Checkpoint[]> {
    const spooled = this.index.checkpoints(id);
    const stored = await this.backing.checkpoints(id).catch((err: unknown) => {
      if (this.index.manifests.has(id)) return [] as Checkpoint[];
      throw err;
    });
    // A checkpoint being replayed may be in both for a moment.
    const seen = new Set(stored.map((c) => `${c.signature}`));
    return [...stored, ...spooled.filter((c) => !seen.has(`${c.signature}`))];
  }

  /** The store's chunks, then the spool's, index by index: whichever holds a chunk gives it. */
  async *chunks(id: string, streamId: number, from = 0): AsyncIterable<StoredChunk> {
    let next = from;
    for (;;) {
      const spooled = this.index.find(id, streamId, next);
      if (spooled) {
        const record = await this.spool.readAt(spooled.at.segment, spooled.at.offset, spooled.at.end).catch(() => undefined);
        if (record?.kind === 'append') {
          for (let i = next - record.from; i < record.chunks.length; i++) yield { index: record.from + i, data: record.chunks[i]! };
          next = record.from + record.chunks.length;
          continue;
        }
        // Replayed and removed meanwhile: the store holds it now.
      }
      const before = next;
      try {
        for await (const c of this.backing.chunks(id, streamId, next)) {
          if (c.index !== next || this.index.find(id, streamId, next)) break;
          yield c;
          next++;
        }
      } catch (err) {
        if (!this.index.manifests.has(id)) throw err;
        // Not in the store yet, or the store is down: the spool has what it has.
      }
      if (next === before && !this.index.find(id, streamId, next)) return;
    }
  }

  /** A recording this node writes is followed here, through the spool; any other is the store's to follow. */
  async *tail(id: string, streamId: number, from = 0, signal?: AbortSignal): AsyncIterable<StoredChunk> {
    if (!this.index.manifests.has(id)) {
      yield* this.backing.tail(id, streamId, from, signal);
      return;
    }
    let next = from;
    while (!signal?.aborted) {
      const done = this.index.finished.has(id) || !this.index.manifests.has(id);
      const wake = this.nextChange(id, signal);
      for await (const c of this.chunks(id, streamId, next)) {
        yield c;
        next = c.index + 1;
      }
      if (done) return;
      await wake;
    }
  }

  async tornBytes(id: string, streamId: number): Promise<number> {
    if (this.index.hasWaiting(id)) return 0;
    return this.backing.tornBytes(id, streamId);
  }

  updateRecipients(id: string, recipients: RecipientEntry[]): Promise<void> {
    return this.backing.updateRecipients(id, recipients);
  }

  /** Replays whatever the spool holds first: recovery must see every write acknowledged before. */
  async recoverInterrupted(beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]> {
    if (!this.spool.empty && this.startupStore) {
      const previous = this.startupStore();
      try {
        await this.drainer.drainNow(previous);
      } finally {
        await previous.close();
      }
    }
    await this.drainer.drainNow();
    return this.backing.recoverInterrupted(beforeMark);
  }

  delete(id: string): Promise<void> {
    return this.backing.delete(id);
  }

  // What the store offers beyond the contract goes straight to it: other nodes'
  // recordings (the node registry), shredding (retention), batched rotation.
  recoverNodes(nodeIds: readonly string[], beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]> {
    return this.optional('recoverNodes').call(this.backing, nodeIds, beforeMark);
  }

  shredKeys(id: string): Promise<void> {
    return this.optional('shredKeys').call(this.backing, id);
  }

  private optional<K extends 'recoverNodes' | 'shredKeys'>(name: K): NonNullable<RecordingStore[K]> {
    const method = this.backing[name];
    if (typeof method !== 'function') throw new StoreError(`the ${this.backing.kind} store cannot ${name === 'recoverNodes' ? 'recover other nodes\' recordings' : 'shred keys apart from deleting'}`);
    return method as NonNullable<RecordingStore[K]>;
  }

  readLog(): AsyncIterable<LogEntry> {
    return this.backing.readLog();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drainer.stop();
    await this.spool.close();
    if (!this.spool.empty) {
      this.log.warn({ spoolDir: this.spool.dir, bytes: this.spool.bytes }, 'stopping with writes still in the spool: the next start replays them into the store');
    }
    await this.backing.close();
  }

  /**
   * One write: to the store while it is up; to the spool once it is not.
   * `spooling` runs once the write is in the spool (before it is acknowledged).
   */
  private async write(record: SpoolRecord, direct: () => Promise<void>, spooling?: () => void): Promise<void> {
    if (this.closed) throw new StoreError('the store is closed');
    if (this.state === 'up') {
      try {
        await direct();
        this.index.written(record);
        if (record.kind === 'finalize') this.index.forget(record.id);
        this.notify(record);
        return;
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        // It may have landed before the reply was lost: replay checks.
        record = { ...record, mayBeStored: true };
        this.startSpooling(err);
      }
    }
    spooling?.();
    try {
      const at = await this.spool.append(record);
      this.index.spooled(record, at);
      this.spooledChunks += chunkCount(record);
      if (this.spoolFailure) this.log.info('the spool takes writes again');
      this.spoolFailure = undefined;
    } catch (err) {
      if (record.kind === 'log') this.makers.delete(record.token);
      this.spoolFailed(err);
      throw err;
    }
    this.notify(record);
    this.drainer.kick();
  }

  private startSpooling(err: unknown): void {
    if (this.state === 'spooling') return;
    this.state = 'spooling';
    this.log.warn({ error: (err as Error).message, spoolDir: this.spool.dir }, 'store unreachable: writes go to the local spool until it is back');
    this.drainer.kick();
  }

  private spoolFailed(err: unknown): void {
    const message = (err as Error).message;
    const first = this.spoolFailure === undefined;
    this.spoolFailure = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? `the disk under the spool is full (${this.spool.dir})` : message;
    if (first) this.log.error({ error: message, spoolDir: this.spool.dir, bytes: this.spool.bytes }, 'cannot spool a write: it fails (what the spool holds is kept)');
  }

  private notify(record: SpoolRecord): void {
    if (record.kind !== 'log') this.changed.emit(record.kind === 'create' ? record.manifest.id : record.id);
  }

  /** Resolves at the next write of `id`, after a second at most, or on abort. */
  private nextChange(id: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.changed.off(id, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, 1000);
      this.changed.on(id, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

export { replay };
