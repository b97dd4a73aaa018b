/**
 * Keeping written recordings out of memory.
 *
 * A recording is written once and read rarely, yet every byte the store
 * appends lands in a page of the kernel's page cache and stays there until
 * memory runs short. Filling fresh pages is costly where memory is handed out
 * lazily (on virtual machines that return free memory to their host, writing
 * into a new page costs several times the copy: bench/page-cache.ts),
 * and a full cache pushes out what the rest of the machine reads. So a stream
 * file, once several MiB have been appended, is advised POSIX_FADV_DONTNEED
 * (the way PostgreSQL treats WAL segments): Linux starts writing the range
 * back and frees the pages already written, and the next appends reuse them.
 * The advice changes nothing about durability: checkpoints still fsync.
 *
 * The advice comes from native/page-cache.c (Node.js has no binding),
 * compiled by scripts/build.mjs; without it (no compiler at build time, not
 * Linux) `pageCache` is undefined and files are written as before. The same
 * addon gives `syncFileSystem` (syncfs(2), for sync-group.ts).
 */
import { createRequire } from 'node:module';

export interface PageCache {
  /** Advises that [offset, offset + length) of the file will not be needed soon (length 0: to the end). */
  drop(fd: number, offset: number, length: number): Promise<void>;
}

interface Addon {
  drop(fd: number, offset: number, length: number, callback: (err: Error | null) => void): void;
  syncfs(fd: number, callback: (err: Error | null) => void): void;
}

function load(): Addon | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // dist/src/store/page-cache.js → dist/native/page-cache.node
    return createRequire(import.meta.url)('../../native/page-cache.node') as Addon;
  } catch {
    return undefined;
  }
}

const addon = load();

/** Bytes appended to a stream file between two advices. */
export const CACHE_DROP_STEP = 8 * 1024 * 1024;

/**
 * Bytes not yet advised that a checkpoint advises away (a smaller rest waits for the next
 * checkpoint or the end): hundreds of quiet sessions would otherwise each queue an advice
 * on libuv's pool every checkpoint for a few KiB.
 */
export const CHECKPOINT_DROP_MIN = 1024 * 1024;

/** The page-cache advice, when the addon is built for this platform. */
export const pageCache: PageCache | undefined = addon && {
  drop: (fd, offset, length) => new Promise((resolve, reject) => addon.drop(fd, offset, length, (err) => (err ? reject(err) : resolve()))),
};

/** syncfs(2) of the filesystem holding `fd`, on libuv's pool, when the addon is built. */
export const syncFileSystem: ((fd: number) => Promise<void>) | undefined =
  addon && ((fd) => new Promise((resolve, reject) => addon.syncfs(fd, (err) => (err ? reject(err) : resolve()))));

/**
 * Advises a file's pages away in steps as it grows. The range advised each time lags one
 * step behind the end: what was written in the step before has had a step's time to be
 * written back, so its pages are clean and freed; the step just written is only started.
 * Advice runs one at a time, in order; `settle()` waits for all asked so far (before the
 * file is closed: a closed descriptor's number may already name another file). The advice
 * is a hint: a failure is reported once through `onError` and the file goes on as a plain
 * one.
 */
export class CacheDropper {
  private written = 0;
  /** Where the next advice starts: the end of the range advised the time before last. */
  private from = 0;
  /**
   * The end of the last range advised after an fsync: every page before it was clean then and
   * is freed. Pages after it may still be cached even where advised (a range still being
   * written back when it was advised twice, on a loaded machine), so a flush starts here.
   */
  private synced = 0;
  /** The end of the last range advised. */
  private advised = 0;
  private queued = 0;
  private tail: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(
    private readonly fd: number,
    private readonly step: number,
    /** Undefined: nothing is advised. */
    private readonly cache: PageCache | undefined,
    private readonly onError: (err: Error) => void,
  ) {}

  /** `bytes` more were appended to the file. */
  note(bytes: number): void {
    this.written += bytes;
    if (this.queued === 0 && this.written - this.advised >= this.step) this.advise(undefined);
  }

  /**
   * After an fsync: advises everything written since the last flush, when what was not advised
   * yet is at least `min` bytes (every page is clean, so all are freed and none needs advising
   * again). Resolves when the advice asked so far is done.
   */
  flush(min = 0): Promise<void> {
    if (this.written - this.from >= Math.max(1, min)) this.advise(this.written);
    return this.tail;
  }

  /** Waits for the advice asked so far. */
  settle(): Promise<void> {
    return this.tail;
  }

  /**
   * `syncedTo`: the file was fsynced up to there (its end when the advice was asked), so every
   * page up to it is freed now; undefined: advise up to the end, the newest step only started.
   */
  private advise(syncedTo: number | undefined): void {
    const cache = this.cache;
    if (!cache || this.failed) return;
    this.queued++;
    this.tail = this.tail.then(async () => {
      try {
        const from = syncedTo === undefined ? this.from : this.synced;
        const to = syncedTo ?? this.written;
        if (this.failed || to <= from) return;
        // Unsynced, the newest step's writeback was only started: it is advised again next time.
        this.from = syncedTo ?? this.advised;
        if (syncedTo !== undefined) this.synced = syncedTo;
        this.advised = to;
        await cache.drop(this.fd, from, to - from);
      } catch (err) {
        this.failed = true;
        this.onError(err as Error);
      } finally {
        this.queued--;
      }
    });
  }
}
