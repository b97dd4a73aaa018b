/**
 * Replays the spool into the store once it answers again: segment after
 * segment, record after record, in the order they were acknowledged. How
 * far a segment has been replayed is noted on disk (SpoolDir.markDrained)
 * every NOTE_EVERY records or NOTE_BYTES bytes, so a restart does not go
 * over the whole segment again. After a start or a failure, records are checked against the store before
 * they are written (replay's `check`) until one turns out missing: what the
 * store holds of the spool is a prefix, so a retry after a failure mid-batch
 * writes nothing twice even when the progress note could not be written.
 *
 * The store unreachable: try again after a backoff (retryMinMs doubling up to
 * retryMaxMs), with a log line when it goes and when it is back. A record the
 * store refuses is kept in `rejected/` beside the spool and logged as an
 * error, and the replay goes on; a segment that does not parse is kept as
 * `N.corrupt` and logged (records before the damage are replayed).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { RecordingStore } from '../types.js';
import { chunkCount, encodeRecord, type ParsedRecord, type SpoolRecord } from './format.js';
import { replay, type LogMaker } from './replay.js';
import type { SpoolDir } from './spool-dir.js';
import type { SpoolIndex } from './spool-index.js';
import { isUnreachable } from './unreachable.js';

export interface DrainerOptions {
  retryMinMs: number;
  retryMaxMs: number;
  /** A record is in the store now. */
  onDrained(record: SpoolRecord): void;
  /** True when nothing waits in the spool and nothing is being appended. */
  mayGoUp(): boolean;
  /** Called at the moment the spool is found empty: later writes go to the store. */
  wentUp(): void;
}

/** Replay progress is noted on disk after this many records or bytes (a crash re-checks at most these). */
const NOTE_EVERY = 64;
const NOTE_BYTES = 4 * 1024 * 1024;

/** Log "still unreachable" at most this often while retrying. */
const STILL_DOWN_EVERY_MS = 15_000;

export class Drainer {
  drainedChunks = 0;
  /** Why the last try failed, while the store is unreachable (no secret: the driver's message). */
  lastError: string | undefined;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  /** Check each record against the store before writing it, until one turns out missing. */
  private verifyNext = true;
  private markFailed = false;
  private downSince: number | undefined;
  private lastDownLog = 0;
  private stopped = false;

  constructor(
    private store: RecordingStore,
    private readonly spool: SpoolDir,
    private readonly index: SpoolIndex,
    private readonly makers: Map<string, LogMaker>,
    private readonly log: Logger,
    private readonly options: DrainerOptions,
  ) {
    this.delay = options.retryMinMs;
  }

  /** Reads what a previous process left in the spool into the index. */
  async load(): Promise<void> {
    for (const segment of this.spool.segments()) {
      const { records, corruption } = await this.spool.read(segment);
      for (const r of records) this.index.spooled(r.record, { segment, offset: r.offset, end: r.end });
      if (corruption) this.log.error({ segment, offset: corruption.offset, error: corruption.message }, 'a spool segment is damaged: the records before the damage will be replayed');
    }
  }

  /** Starts a replay soon, unless one is under way or waiting for its retry. */
  kick(): void {
    if (this.stopped || this.running || this.timer) return;
    this.timer = setTimeout(() => this.pass(), 0);
    this.timer.unref();
  }

  /**
   * Replays everything now and waits; throws when the store cannot be
   * reached. `through`: another handle on the same store to write with
   * (the writes a previous process left are its writes, not this one's).
   */
  async drainNow(through?: RecordingStore): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    if (this.spool.empty) return this.options.wentUp();
    clearTimeout(this.timer);
    this.timer = undefined;
    const own = this.store;
    if (through) this.store = through;
    try {
      await this.run();
    } catch (err) {
      this.kick();
      if (!isUnreachable(err)) throw err;
      throw new StoreError(`the store is unreachable, and the spool holds ${this.spool.bytes} bytes of writes to replay into it first: ${(err as Error).message}`, { cause: err });
    } finally {
      this.store = own;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private pass(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.run().then(
      () => {
        this.delay = this.options.retryMinMs;
      },
      (err: unknown) => {
        if (this.stopped) return;
        if (!isUnreachable(err)) this.log.error({ err }, 'replaying the spool failed; trying again');
        this.timer = setTimeout(() => this.pass(), this.delay);
        this.timer.unref();
        this.delay = Math.min(this.delay * 2, this.options.retryMaxMs);
      },
    );
  }

  private run(): Promise<void> {
    const started = Date.now();
    const drainedBefore = this.drainedChunks;
    this.running = this.drainAll().then(
      () => {
        if (this.drainedChunks > drainedBefore || this.downSince !== undefined) {
          this.log.info({ chunks: this.drainedChunks - drainedBefore, ms: Date.now() - started }, 'spool replayed into the store: writes go straight to the store again');
        }
        this.downSince = undefined;
        this.lastError = undefined;
      },
      (err: unknown) => {
        if (isUnreachable(err)) this.stillDown(err as Error);
        throw err;
      },
    );
    return this.running.finally(() => {
      this.running = undefined;
    });
  }

  private stillDown(err: Error): void {
    const now = Date.now();
    this.lastError = err.message;
    if (this.downSince === undefined) this.downSince = now;
    if (now - this.lastDownLog >= STILL_DOWN_EVERY_MS) {
      this.lastDownLog = now;
      this.log.warn({ error: err.message, downForMs: now - this.downSince, bytes: this.spool.bytes }, 'store still unreachable: the spool keeps the writes, retrying');
    }
  }

  private async drainAll(): Promise<void> {
    for (;;) {
      if (this.options.mayGoUp()) return this.options.wentUp();
      const sealed = this.spool.segments().filter((n) => n < this.spool.currentSegment);
      if (sealed.length === 0) {
        await this.spool.seal();
        if (this.spool.segments().every((n) => n >= this.spool.currentSegment)) await new Promise((r) => setImmediate(r));
        continue;
      }
      for (const segment of sealed) await this.drainSegment(segment);
    }
  }

  private async drainSegment(segment: number): Promise<void> {
    const { records, corruption, tornBytes, drained } = await this.spool.read(segment);
    let backAnnounced = false;
    let noted = { records: 0, offset: drained };
    const done = async (r: ParsedRecord): Promise<void> => {
      if (!backAnnounced && this.downSince !== undefined) {
        backAnnounced = true;
        this.log.info({ downForMs: Date.now() - this.downSince, bytes: this.spool.bytes }, 'store reachable again: replaying the spool');
      }
      const durably = ++noted.records >= NOTE_EVERY || r.end - noted.offset >= NOTE_BYTES;
      if (durably) noted = { records: 0, offset: r.end };
      await this.spool.markDrained(segment, r.end, durably).catch((err: unknown) => {
        if (!this.markFailed) this.log.warn({ error: (err as Error).message, segment }, 'cannot note the replay progress on the spool disk; the replay goes on (a restart checks the store before writing again)');
        this.markFailed = true;
      });
      this.index.drained(r.record, { segment, offset: r.offset, end: r.end });
      this.drainedChunks += chunkCount(r.record);
      this.options.onDrained(r.record);
    };
    for (let i = 0; i < records.length; ) {
      // Appends that follow each other in one stream go out as one write, once nothing needs checking.
      const run = this.verifyNext ? [] : appendRun(records, i);
      if (run.length > 1 && (await this.replayRun(run))) {
        for (const r of run) await done(r);
        i += run.length;
        continue;
      }
      const r = records[i++]!;
      try {
        const result = await replay(this.store, r.record, this.verifyNext || r.record.mayBeStored === true, this.makers);
        if (result.lostLogEntry) this.log.warn({ segment, offset: r.offset }, 'a gateway log entry made while the store was down was lost with the process that spooled it; recovery logs its recording');
        // What the store holds of the spool is a prefix: once a write was missing, so are the ones after it.
        if (result.wrote) this.verifyNext = false;
      } catch (err) {
        this.verifyNext = true;
        if (isUnreachable(err)) throw err;
        await this.reject(r.record, { segment, offset: r.offset }, err);
      }
      await done(r);
    }
    if (corruption) {
      const kept = await this.spool.quarantine(segment);
      this.log.error({ file: kept, offset: corruption.offset, error: corruption.message }, 'a spool segment is damaged past this offset: kept for inspection, the rest of it cannot be replayed');
      return;
    }
    if (tornBytes > 0) this.log.warn({ segment, tornBytes, replayedFrom: drained }, 'a spool segment ends in a torn record (written when the process stopped, never acknowledged): left out');
    await this.spool.remove(segment);
  }

  /** Writes a run of appends as one; false (and each is then replayed alone, checked) when the store refuses it. */
  private async replayRun(run: ParsedRecord[]): Promise<boolean> {
    const first = run[0]!.record as Extract<SpoolRecord, { kind: 'append' }>;
    try {
      await this.store.appendChunks(first.id, first.streamId, first.from, run.flatMap((r) => (r.record as typeof first).chunks));
      return true;
    } catch (err) {
      this.verifyNext = true;
      if (isUnreachable(err)) throw err;
      return false;
    }
  }

  /** A record the store refuses: kept beside the spool, logged, and passed over. */
  private async reject(record: SpoolRecord, at: { segment: number; offset: number }, err: unknown): Promise<void> {
    const dir = join(this.spool.dir, 'rejected');
    const file = join(dir, `${String(at.segment).padStart(12, '0')}-${at.offset}.spool`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(file, encodeRecord(record), { mode: 0o600, flush: true });
    const recording = record.kind === 'log' ? undefined : record.kind === 'create' ? record.manifest.id : record.id;
    this.log.error({ err, recording, write: record.kind, file }, 'the store refused a spooled write: kept in the spool folder under rejected/');
  }
}

/** Records from `i` on that append to one stream, each right after the one before, none in doubt; up to NOTE_EVERY chunks or NOTE_BYTES. */
function appendRun(records: ParsedRecord[], i: number): ParsedRecord[] {
  const run: ParsedRecord[] = [];
  let chunks = 0;
  let bytes = 0;
  for (let j = i; j < records.length; j++) {
    const r = records[j]!.record;
    if (r.kind !== 'append' || r.mayBeStored) break;
    const prev = run.at(-1)?.record as Extract<SpoolRecord, { kind: 'append' }> | undefined;
    if (prev && (r.id !== prev.id || r.streamId !== prev.streamId || r.from !== prev.from + prev.chunks.length)) break;
    if (run.length > 0 && (chunks + r.chunks.length > NOTE_EVERY || bytes + records[j]!.end - records[j]!.offset > NOTE_BYTES)) break;
    run.push(records[j]!);
    chunks += r.chunks.length;
    bytes += records[j]!.end - records[j]!.offset;
  }
  return run;
}
