/**
 * How a checkpoint makes its files durable.
 *
 * - `file`: each file is fdatasynced, one call on libuv's pool each. Each call
 *   writes the file back, then its inode, then flushes the device's cache: a
 *   checkpoint of a database session syncs three files, and 500 sessions
 *   checkpointing every 10 s make 150 such calls a second.
 * - `filesystem`: one syncfs(2) of the filesystem holding the recordings for
 *   every file asked for in the same turn of the event loop, and one for all
 *   those asked while it runs (a group commit, as databases commit their log).
 *   Recordings checkpointing together (checkpoint-clock.ts) cost one write-back
 *   pass and one flush of the device, not three each. syncfs writes back what
 *   every program has cached for that filesystem, so it suits a data directory
 *   on a filesystem of its own: `auto` takes it only for a data directory where
 *   a whole filesystem is mounted, not a folder of one bound there (a container's
 *   volume); PostgreSQL likewise offers `recovery_init_sync_method=syncfs` and
 *   leaves the choice to the operator.
 *
 * Invariants:
 * - `sync(files)` resolves only once each file's data written before the call
 *   is on the device: each file's fdatasync, or a syncfs that began after the
 *   call, has returned without error;
 * - syncfs cannot say whose write-back failed (an error may even be another
 *   program's): when it fails, every file of its batch is fdatasynced on its
 *   own, which reports that file's error or proves it written, and the store
 *   syncs file by file from then on, so that a file whose error the failed
 *   syncfs reported is still told of it at its own next sync.
 */
import { closeSync, openSync, readFileSync, realpathSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { release } from 'node:os';
import type { SyncMode } from '../config/schema.js';
import type { Logger } from '../log.js';
import { syncFileSystem } from './page-cache.js';

export type { SyncMode } from '../config/schema.js';

export interface FileSyncs {
  /** How files are synced now (`filesystem` turns to `file` after a failed syncfs). */
  readonly mode: 'file' | 'filesystem';
  sync(files: readonly FileHandle[]): Promise<void>;
  close(): void;
}

interface Waiting {
  files: readonly FileHandle[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

function eachFile(files: readonly FileHandle[]): Promise<void> {
  return Promise.all(files.map((f) => f.datasync())).then(() => undefined);
}

class FileByFile implements FileSyncs {
  readonly mode = 'file';

  sync(files: readonly FileHandle[]): Promise<void> {
    return eachFile(files);
  }

  close(): void {}
}

/** Group commit through syncfs(2) of the filesystem holding `dir`, the files' directory (opened at the first sync). */
export class FileSystemSyncs implements FileSyncs {
  mode: 'file' | 'filesystem' = 'filesystem';
  private fd: number | undefined;
  /** Asked for, waiting for the next syncfs. */
  private waiting: Waiting[] = [];
  /** A syncfs is scheduled or under way. */
  private busy = false;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly syncfs: (fd: number) => Promise<void>,
    /** Told of the error that turned syncing to file by file. */
    private readonly onFailed: (err: Error) => void,
  ) {}

  sync(files: readonly FileHandle[]): Promise<void> {
    if (files.length === 0) return Promise.resolve();
    if (this.mode === 'file' || this.closed) return eachFile(files);
    return new Promise((resolve, reject) => {
      this.waiting.push({ files, resolve, reject });
      if (!this.busy) this.schedule();
    });
  }

  /** Syncs go file by file from now on; the directory is closed once no syncfs uses it. */
  close(): void {
    this.closed = true;
    if (!this.busy) this.release();
  }

  private release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The next syncfs, once this turn's callers have asked (checkpoints due together come in one turn). */
  private schedule(): void {
    this.busy = true;
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    if (this.closed) return this.byFile(batch);
    try {
      this.fd ??= openSync(this.dir, 'r');
      await this.syncfs(this.fd);
    } catch (err) {
      this.mode = 'file';
      this.onFailed(err as Error);
      return this.byFile(batch);
    }
    for (const w of batch) w.resolve();
    if (this.waiting.length > 0 && !this.closed) return this.schedule();
    this.byFile([]);
  }

  /** Each file of `batch`, and of every sync asked meanwhile, fdatasynced on its own; nothing is scheduled after. */
  private byFile(batch: Waiting[]): void {
    this.busy = false;
    if (this.closed) this.release();
    for (const w of [...batch, ...this.waiting.splice(0)]) eachFile(w.files).then(w.resolve, w.reject);
  }
}

/** Whether syncfs(2) reports write-back errors on this kernel (Linux 5.8 and later). */
export function syncfsReportsErrors(kernel = release()): boolean {
  const [major = 0, minor = 0] = kernel.split('.').map((n) => Number.parseInt(n, 10));
  return major > 5 || (major === 5 && minor >= 8);
}

/**
 * Whether a whole filesystem is mounted at `dir` (an absolute path without links), as
 * `mountinfo` (the text of /proc/self/mountinfo, proc(5)) tells: the last mount there, and its
 * root within its filesystem `/`. A folder of a filesystem bound there (a container's volume)
 * shares its syncfs with everything else on that filesystem.
 */
export function wholeFileSystemAt(mountinfo: string, dir: string): boolean {
  let whole = false;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 5 || unescapeMount(fields[4]!) !== dir) continue;
    whole = unescapeMount(fields[3]!) === '/';
  }
  return whole;
}

/** A mountinfo path: space, tab, newline and backslash are written as octal escapes. */
function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Whether the data directory `dir` is a filesystem of its own (false where that cannot be read). */
export function ownFileSystem(dir: string): boolean {
  try {
    return wholeFileSystemAt(readFileSync('/proc/self/mountinfo', 'utf8'), realpathSync(dir));
  } catch {
    return false;
  }
}

/**
 * The syncs for recording files under `dir`. `filesystem` where syncfs is not to be had (the addon
 * not built, or a kernel whose syncfs does not report errors) falls back to `file`, with a warning.
 */
export function openFileSyncs(mode: SyncMode, dir: string, log?: Logger): FileSyncs {
  if (mode === 'file') return new FileByFile();
  const missing = syncFileSystem === undefined ? 'native/page-cache.c is not built' : syncfsReportsErrors() ? undefined : `Linux ${release()} reports no write-back errors from syncfs (5.8 and later do)`;
  if (mode === 'auto' && (missing !== undefined || !ownFileSystem(dir))) return new FileByFile();
  if (missing !== undefined) {
    log?.warn({ reason: missing }, 'store.sync is filesystem, but syncfs cannot be used: checkpoints fdatasync file by file');
    return new FileByFile();
  }
  return new FileSystemSyncs(dir, syncFileSystem!, (err) =>
    log?.error({ err }, 'syncfs failed: every file of its checkpoints is synced on its own, and checkpoints sync file by file from now on'),
  );
}
