/**
 * LocalStore: the embedded default store.
 *
 *   <dataDir>/                                mode 0700
 *   <dataDir>/index.db                        SQLite index of clear metadata and the gateway's log (0600)
 *   <dataDir>/recordings/<id>/manifest.json   Manifest (replaced atomically)
 *   <dataDir>/recordings/<id>/checkpoints.jsonl  signed checkpoints, append-only
 *   <dataDir>/recordings/<id>/<streamId>.chunks  sealed chunks, append-only (see chunk-file)
 *   <dataDir>/imports/<id>/                   a recording being imported (archive tier), renamed into recordings/ when whole
 *
 * Chunks are written as they come (the page cache keeps them through a
 * process kill); a checkpoint first syncs every stream file, then appends and
 * syncs the checkpoint, so a signed checkpoint never covers data that a
 * power loss could take away (file by file, or for a data directory on a
 * filesystem of its own one syncfs for all the checkpoints due together:
 * sync-group.ts). Stream files are advised out of the page cache
 * as they grow and after each checkpoint (page-cache.ts): a recording is
 * written once and read rarely.
 *
 * Deletion is crypto-shredding: the manifest loses its sealed record keys
 * (durably) before the chunk files and the index row go (see local-import.ts).
 * A recording whose writing process is gone is ended at the next start
 * (local-recovery.ts).
 */
import { EventEmitter, once } from 'node:events';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { NotFoundError, StoreError } from '../errors.js';
import type { Logger } from '../log.js';
import type { LogEntry } from '../seal/log.js';
import type { Checkpoint, Manifest, RecipientEntry, StreamInfo } from '../seal/manifest.js';
import { readRecords, recordHeader, RecordPositions, scanRecords } from './chunk-file.js';
import { checkRecordingId } from './ids.js';
import { fsyncDir, shredManifest, writeAtomic, writeImportFolder } from './local-import.js';
import { recoverRecordings } from './local-recovery.js';
import { DirectWrites, stallWarning } from './direct-write.js';
import { CACHE_DROP_STEP, CacheDropper, CHECKPOINT_DROP_MIN, type PageCache, pageCache } from './page-cache.js';
import { SqliteIndex } from './sqlite-index.js';
import { openFileSyncs, type FileSyncs, type SyncMode } from './sync-group.js';
import type { InterruptedRecording, ListFilter, RecordingCopy, RecordingEnd, RecordingStore, RecordingSummary, StoredChunk } from './types.js';

interface StreamWriter {
  fh: FileHandle;
  next: number;
  /** Appended to since the last checkpoint synced it. */
  unsynced: boolean;
  cache: CacheDropper;
}

interface Writer {
  streams: Map<number, StreamWriter>;
  checkpoints: FileHandle;
  bytes: number;
}

const TAIL_POLL_MS = 250;

export interface LocalStoreOptions {
  /** Where a failed page-cache advice is told (once per file). */
  log?: Logger;
  /** The page-cache advice; default the native one when built, `null` to keep written pages cached. */
  pageCache?: PageCache | null;
  /** Small appends written from the event loop while they are quick (direct-write.ts); default true. */
  directWrites?: boolean;
  /** How checkpoints make files durable (sync-group.ts); default `auto`. */
  sync?: SyncMode;
}

export class LocalStore implements RecordingStore {
  readonly kind = 'local';
  private readonly index: SqliteIndex;
  private readonly writers = new Map<string, Writer>();
  private readonly appended = new EventEmitter();
  private readonly positions = new RecordPositions();
  /** Identifies this process as the writer of the recordings it creates. */
  private readonly owner = `${process.pid}:${randomUUID()}`;
  /** Imports under way in this process (their staging folders are not stale). */
  private readonly importing = new Set<string>();

  private readonly pageCache: PageCache | undefined;
  private readonly log: Logger | undefined;
  private readonly writes: DirectWrites;
  private readonly syncs: FileSyncs;

  constructor(
    readonly dataDir: string,
    options: LocalStoreOptions = {},
  ) {
    this.pageCache = options.pageCache === null ? undefined : (options.pageCache ?? pageCache);
    this.log = options.log;
    this.writes = new DirectWrites(stallWarning(options.log), options.directWrites ?? true);
    try {
      mkdirSync(join(dataDir, 'recordings'), { recursive: true, mode: 0o700 });
      narrowMode(dataDir, 0o700);
      this.syncs = openFileSyncs(options.sync ?? 'auto', dataDir, options.log);
      this.index = new SqliteIndex(join(dataDir, 'index.db'));
    } catch (cause) {
      throw new StoreError(`cannot open the data directory ${dataDir}: ${(cause as Error).message}`, { cause });
    }
    this.appended.setMaxListeners(0);
  }

  /** How checkpoints sync their files now (sync-group.ts). */
  get syncMode(): 'file' | 'filesystem' {
    return this.syncs.mode;
  }

  private dir(id: string): string {
    return join(this.dataDir, 'recordings', checkRecordingId(id));
  }

  async create(manifest: Manifest): Promise<void> {
    const dir = this.dir(manifest.id);
    await mkdir(dir, { recursive: false, mode: 0o700 });
    await writeAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const checkpoints = await open(join(dir, 'checkpoints.jsonl'), 'a', 0o600);
    this.writers.set(manifest.id, { streams: new Map(), checkpoints, bytes: 0 });
    const m = manifest.meta;
    this.index.insert({
      id: manifest.id,
      user: m.user,
      target: m.target,
      protocol: m.protocol,
      clientAddress: m.clientAddress,
      startedAt: m.startedAt,
      recipients: manifest.recipients.map((r) => r.kid),
      owner: this.owner,
    });
    for (const s of manifest.streams) await this.openStream(manifest.id, s.id);
  }

  async addStream(id: string, stream: StreamInfo): Promise<void> {
    const manifest = await this.manifest(id);
    if (manifest.streams.some((s) => s.id === stream.id)) throw new StoreError(`recording ${id}: stream ${stream.id} exists`);
    manifest.streams.push(stream);
    await writeAtomic(join(this.dir(id), 'manifest.json'), JSON.stringify(manifest, null, 2));
    await this.openStream(id, stream.id);
  }

  private async openStream(id: string, streamId: number): Promise<void> {
    const w = this.writer(id);
    const fh = await open(join(this.dir(id), `${streamId}.chunks`), 'a', 0o600);
    const cache = new CacheDropper(fh.fd, CACHE_DROP_STEP, this.pageCache, (err) =>
      this.log?.warn({ err, recording: id, stream: streamId }, 'page-cache advice failed; the stream file stays cached'),
    );
    w.streams.set(streamId, { fh, next: 0, unsynced: false, cache });
  }

  private writer(id: string): Writer {
    const w = this.writers.get(id);
    if (!w) throw new StoreError(`recording ${id} is not open for writing here`);
    return w;
  }

  async appendChunks(id: string, streamId: number, from: number, ciphertexts: Uint8Array[]): Promise<void> {
    const w = this.writer(id);
    const s = w.streams.get(streamId);
    if (!s) throw new StoreError(`recording ${id}: unknown stream ${streamId}`);
    if (from !== s.next) throw new StoreError(`recording ${id}: stream ${streamId} expects chunk ${s.next}, got ${from}`);
    const buffers = ciphertexts.flatMap((c) => [recordHeader(c.length), c]);
    const total = buffers.reduce((n, b) => n + b.length, 0);
    await this.writes.append(s.fh, buffers, total, `recording ${id} stream ${streamId}`);
    s.next += ciphertexts.length;
    s.unsynced = true;
    s.cache.note(total);
    w.bytes += total - 4 * ciphertexts.length;
    this.appended.emit(id);
  }

  async checkpoint(id: string, checkpoint: Checkpoint): Promise<void> {
    const w = this.writer(id);
    // A stream not appended to since the last checkpoint was synced then.
    const streams = [...w.streams.values()].filter((s) => s.unsynced);
    for (const s of streams) s.unsynced = false;
    try {
      await this.syncs.sync(streams.map((s) => s.fh));
    } catch (err) {
      for (const s of streams) s.unsynced = true;
      throw err;
    }
    // Written back now: the advice frees every page of them (finalize waits for it).
    for (const s of streams) void s.cache.flush(CHECKPOINT_DROP_MIN);
    const line = Buffer.from(JSON.stringify(checkpoint) + '\n');
    await this.writes.append(w.checkpoints, [line], line.length, `recording ${id} checkpoints.jsonl`);
    await this.syncs.sync([w.checkpoints]);
    if (streams.length > 0) this.index.setBytes(id, w.bytes);
  }

  async finalize(id: string, checkpoint: Checkpoint, end: RecordingEnd): Promise<void> {
    const w = this.writer(id);
    await this.checkpoint(id, checkpoint);
    // Every stream is synced now: what is left of each is advised away before it is closed.
    await Promise.all([...w.streams.values()].map(async (s) => {
      await s.cache.flush();
      await s.fh.close();
    }));
    await w.checkpoints.close();
    this.writers.delete(id);
    this.index.end(id, 'complete', end.endedAt, end.endReason, w.bytes);
    this.appended.emit(id);
  }

  async get(id: string): Promise<RecordingSummary | undefined> {
    return this.index.get(id);
  }

  async list(filter?: ListFilter): Promise<RecordingSummary[]> {
    return this.index.list(filter);
  }

  async manifest(id: string): Promise<Manifest> {
    const text = await this.readRecordingFile(id, 'manifest.json');
    try {
      return JSON.parse(text) as Manifest;
    } catch (cause) {
      throw new StoreError(`recording ${id}: manifest.json is not valid JSON`, { cause });
    }
  }

  async checkpoints(id: string): Promise<Checkpoint[]> {
    const text = await this.readRecordingFile(id, 'checkpoints.jsonl');
    const lines = text.split('\n');
    const out: Checkpoint[] = [];
    lines.forEach((line, i) => {
      if (line === '') return;
      try {
        out.push(JSON.parse(line) as Checkpoint);
      } catch (cause) {
        // The last line may be torn by a crash mid-append; anything earlier is damage.
        if (i < lines.length - 1) throw new StoreError(`recording ${id}: checkpoint line ${i + 1} is not valid JSON`, { cause });
      }
    });
    return out;
  }

  private async readRecordingFile(id: string, name: string): Promise<string> {
    const path = join(this.dir(id), name);
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`no recording ${id}`);
      throw new StoreError(`recording ${id}: cannot read ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  chunks(id: string, streamId: number, from = 0): AsyncIterable<StoredChunk> {
    const path = join(this.dir(id), `${streamId}.chunks`);
    if (from === 0) return readRecords(path);
    return (async function* (positions: RecordPositions) {
      yield* readRecords(path, from, await positions.nearest(path, from));
    })(this.positions);
  }

  async *tail(id: string, streamId: number, from = 0, signal?: AbortSignal): AsyncIterable<StoredChunk> {
    let next = from;
    while (!signal?.aborted) {
      for await (const chunk of this.chunks(id, streamId, next)) {
        yield chunk;
        next = chunk.index + 1;
      }
      const summary = this.index.get(id);
      if (!summary || summary.status !== 'recording') {
        // One last read: chunks may have landed between the read above and the status check.
        for await (const chunk of this.chunks(id, streamId, next)) yield chunk;
        return;
      }
      await this.waitForAppend(id, signal);
    }
  }

  private async waitForAppend(id: string, signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(TAIL_POLL_MS);
    const any = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      await once(this.appended, id, { signal: any });
    } catch {
      // a timeout or abort: the caller's loop re-reads or stops
    }
  }

  async tornBytes(id: string, streamId: number): Promise<number> {
    return (await scanRecords(join(this.dir(id), `${streamId}.chunks`))).tornBytes;
  }

  async updateRecipients(id: string, recipients: RecipientEntry[]): Promise<void> {
    const manifest = await this.manifest(id);
    manifest.recipients = recipients;
    await writeAtomic(join(this.dir(id), 'manifest.json'), JSON.stringify(manifest, null, 2));
    this.index.setRecipients(id, recipients.map((r) => r.kid));
  }

  recoverInterrupted(beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]> {
    return recoverRecordings(this.index, this, this.owner, beforeMark);
  }

  async delete(id: string): Promise<void> {
    if (this.writers.has(id)) throw new StoreError(`recording ${id} is still being written`);
    const dir = this.dir(id);
    const manifest = await this.manifest(id).then(
      (m) => m,
      (err: unknown) => (err instanceof NotFoundError ? ('absent' as const) : ('unreadable' as const)),
    );
    try {
      if (await shredManifest(dir, manifest)) this.index.setRecipients(id, []);
      await rm(dir, { recursive: true, force: true });
      await fsyncDir(join(this.dataDir, 'recordings'));
    } catch (cause) {
      throw new StoreError(`recording ${id}: cannot delete: ${(cause as Error).message}`, { cause });
    }
    this.index.delete(id);
  }

  async importRecording(copy: RecordingCopy): Promise<void> {
    const id = copy.manifest.id;
    const dir = this.dir(id);
    if (copy.summary.id !== id) throw new StoreError(`import of ${id}: its summary is of ${copy.summary.id}`);
    if (copy.summary.status === 'recording') throw new StoreError(`recording ${id} is still being written; only finished recordings are imported`);
    if (this.writers.has(id) || this.index.get(id)) throw new StoreError(`recording ${id} is already held here`);
    const staging = join(this.dataDir, 'imports', id);
    this.importing.add(id);
    try {
      await this.removeStaleImports();
      // A folder without an index row is an import cut short after its rename: redone.
      await rm(dir, { recursive: true, force: true });
      await writeImportFolder(staging, copy);
      await rename(staging, dir);
      await fsyncDir(join(this.dataDir, 'recordings'));
      const { summary } = copy;
      this.index.insertFinished(
        { ...summary, recipients: copy.manifest.recipients.map((r) => r.kid) },
        { status: summary.status, endedAt: summary.endedAt ?? summary.startedAt, endReason: summary.endReason ?? summary.status, bytes: summary.bytes },
      );
    } catch (cause) {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
      if (cause instanceof StoreError) throw cause;
      throw new StoreError(`recording ${id}: cannot import: ${(cause as Error).message}`, { cause });
    } finally {
      this.importing.delete(id);
    }
  }

  /** Staging folders that a process killed mid-import left (they hold sealed keys, so they do not linger). */
  private async removeStaleImports(): Promise<void> {
    const names = await readdir(join(this.dataDir, 'imports')).catch(() => [] as string[]);
    for (const name of names) {
      if (!this.importing.has(name)) await rm(join(this.dataDir, 'imports', name), { recursive: true, force: true });
    }
  }

  async appendLog(make: (last: LogEntry | null) => LogEntry): Promise<LogEntry> {
    return this.index.log.append(make);
  }

  async *readLog(): AsyncIterable<LogEntry> {
    yield* this.index.log.read();
  }

  async close(): Promise<void> {
    for (const w of this.writers.values()) {
      await Promise.all([...w.streams.values()].map((s) => s.cache.settle().then(() => s.fh.close()).catch(() => undefined)));
      await w.checkpoints.close().catch(() => undefined);
    }
    this.writers.clear();
    this.syncs.close();
    this.index.close();
  }
}

/** Narrows a folder created earlier with a wider mode, when this process may. */
function narrowMode(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o777 & ~mode) !== 0) chmodSync(path, mode);
  } catch {
    // not ours to change (an auditor reading another account's store)
  }
}
