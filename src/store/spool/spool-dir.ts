/**
 * The spool on local disk: numbered segment files (`000000000001.spool`, ...)
 * of records in the format of ./format.ts, appended one at a time in the
 * order writes are acknowledged, each fsynced before it is acknowledged.
 * The files are the source of truth: a process that dies while spooling
 * leaves them for the next start to drain.
 *
 * A segment is sealed (writes move on to the next one) before it is drained,
 * so the drainer reads only files nobody appends to. How far a segment has
 * been replayed into the store is kept beside it (`N.drained`, a byte
 * offset, fsynced after each record), so a crash mid-drain replays at most
 * the one record in flight. A drained segment is removed.
 *
 * Bounded by `maxBytes` (bytes not yet drained): an append that would pass
 * it fails with SpoolFullError. A failed append (ENOSPC, EIO) is cut back
 * off the file, and the next append starts a new segment, so no torn record
 * ever sits between two good ones.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import { encodeRecord, readRecords, SpoolParser, type ParsedRecord, type SpoolContents, type SpoolRecord } from './format.js';

export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/** The spool holds `maxBytes` already: nothing more is accepted until the store takes some. */
export class SpoolFullError extends StoreError {}

export interface SpooledAt {
  segment: number;
  offset: number;
  end: number;
}

interface Segment {
  /** Bytes in the file. */
  size: number;
  /** Bytes already replayed into the store. */
  drained: number;
}

export class SpoolDir {
  private readonly segs = new Map<number, Segment>();
  private current = 1;
  private fh: FileHandle | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private inFlight = 0;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly segmentBytes: number,
  ) {}

  /** Opens (creating) the spool folder and finds the segments a previous process left. */
  static async open(dir: string, maxBytes: number, segmentBytes = DEFAULT_SEGMENT_BYTES): Promise<SpoolDir> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const spool = new SpoolDir(dir, maxBytes, segmentBytes);
    for (const name of await readdir(dir)) {
      const m = /^(\d{12})\.spool$/.exec(name);
      if (!m) continue;
      const n = Number(m[1]);
      const size = (await stat(join(dir, name))).size;
      spool.segs.set(n, { size, drained: await spool.readDrained(n) });
      spool.current = Math.max(spool.current, n + 1);
    }
    return spool;
  }

  /** Bytes waiting to be replayed into the store. */
  get bytes(): number {
    let n = 0;
    for (const s of this.segs.values()) n += s.size - s.drained;
    return n;
  }

  /** True while nothing waits and no append is under way. */
  get empty(): boolean {
    return this.inFlight === 0 && this.bytes === 0;
  }

  /** Segment numbers present, oldest first. */
  segments(): number[] {
    return [...this.segs.keys()].sort((a, b) => a - b);
  }

  get currentSegment(): number {
    return this.current;
  }

  /**
   * Appends a record durably (written and fsynced) after every earlier
   * append; resolves once it is, with where it lies.
   */
  append(record: SpoolRecord): Promise<SpooledAt> {
    const bytes = encodeRecord(record);
    this.inFlight++;
    const done = this.chain.then(() => this.write(bytes));
    this.chain = done.catch(() => undefined);
    return done.finally(() => this.inFlight--);
  }

  /**
   * Starts a new segment for later appends, so the current one can be
   * drained. It takes its turn among the appends: those made before it are
   * in the sealed segment, those made after it (even while it closes the
   * file) go to the next one, so a sealed segment never grows again.
   */
  seal(): Promise<void> {
    const done = this.chain.then(async () => {
      if (!this.segs.has(this.current)) return;
      await this.closeCurrent();
      this.current++;
    });
    this.chain = done.catch(() => undefined);
    return done;
  }

  /** The records of a sealed segment not yet replayed, with any torn tail or corruption found. */
  async read(segment: number): Promise<SpoolContents & { drained: number }> {
    const s = this.segs.get(segment);
    const drained = s?.drained ?? 0;
    const bytes = await readFile(this.path(segment));
    const contents = readRecords(bytes);
    return { ...contents, records: contents.records.filter((r) => r.offset >= drained), drained };
  }

  /** Reads the one record at `offset` of `segment` (a live viewer reading a spooled chunk). */
  async readAt(segment: number, offset: number, end: number): Promise<SpoolRecord> {
    const fh = await open(this.path(segment), 'r');
    try {
      const buf = Buffer.alloc(end - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      const [parsed] = new SpoolParser().push(buf.subarray(0, bytesRead));
      if (!parsed) throw new StoreError(`spool segment ${segment}: no record at byte ${offset}`);
      return parsed.record;
    } finally {
      await fh.close();
    }
  }

  /**
   * Notes that `segment` has been replayed up to byte `end`; on disk too
   * when `durably` and the disk lets it (a full disk does not stop the replay: it throws only after
   * the note is taken in memory, and a replay after a crash checks what the
   * store holds before writing, see Drainer).
   */
  async markDrained(segment: number, end: number, durably = true): Promise<void> {
    const s = this.segs.get(segment);
    if (!s) return;
    s.drained = end;
    if (!durably) return;
    const tmp = join(this.dir, `${name(segment)}.drained.tmp`);
    await writeFile(tmp, String(end), { mode: 0o600, flush: true });
    await rename(tmp, join(this.dir, `${name(segment)}.drained`));
  }

  /** Removes a segment replayed whole (or set aside as corrupt, see quarantine). */
  async remove(segment: number): Promise<void> {
    if (segment === this.current) await this.closeCurrent();
    await rm(this.path(segment), { force: true });
    await rm(join(this.dir, `${name(segment)}.drained`), { force: true });
    this.segs.delete(segment);
    this.syncDir();
  }

  /** Keeps a segment that does not parse under another name for an operator to look at; it no longer counts. */
  async quarantine(segment: number): Promise<string> {
    const to = join(this.dir, `${name(segment)}.corrupt`);
    await rename(this.path(segment), to);
    await rm(join(this.dir, `${name(segment)}.drained`), { force: true });
    this.segs.delete(segment);
    return to;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.closeCurrent();
  }

  private async write(bytes: Buffer): Promise<SpooledAt> {
    if (this.bytes + bytes.length > this.maxBytes) {
      throw new SpoolFullError(`the spool is full (${this.bytes} bytes waiting, store.spool.maxBytes ${this.maxBytes})`);
    }
    const segment = this.current;
    let s = this.segs.get(segment);
    if (!this.fh || !s) {
      await this.closeCurrent();
      this.fh = await open(this.path(segment), 'a', 0o600);
      s = { size: (await this.fh.stat()).size, drained: 0 };
      this.segs.set(segment, s);
      this.syncDir();
    }
    const offset = s.size;
    try {
      // A short write (a disk filling up) goes on until the rest is written or the disk says why not (ENOSPC).
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done);
        if (bytesWritten === 0) throw new StoreError(`the spool's disk takes no more bytes (${done} of ${bytes.length} written)`);
        done += bytesWritten;
      }
      await this.fh.datasync();
    } catch (err) {
      // Nothing of a failed record stays: cut it off, and go on in a new segment.
      await this.fh.truncate(offset).catch(() => undefined);
      await this.closeCurrent();
      if (s.size === 0) await this.remove(segment).catch(() => undefined);
      this.current++;
      throw err;
    }
    s.size = offset + bytes.length;
    if (s.size >= this.segmentBytes) {
      await this.closeCurrent();
      this.current++;
    }
    return { segment, offset, end: s.size };
  }

  private async closeCurrent(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  private async readDrained(segment: number): Promise<number> {
    try {
      const n = Number((await readFile(join(this.dir, `${name(segment)}.drained`), 'utf8')).trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  /** A new or removed segment's name is durable too. */
  private syncDir(): void {
    try {
      const fd = openSync(this.dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      // Some file systems refuse fsync on a folder; the data itself is fsynced.
    }
  }

  private path(segment: number): string {
    return join(this.dir, `${name(segment)}.spool`);
  }
}

function name(segment: number): string {
  return String(segment).padStart(12, '0');
}

export type { ParsedRecord };
