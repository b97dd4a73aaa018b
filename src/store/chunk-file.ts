/**
 * A stream's chunks on disk: one append-only file of length-prefixed records.
 *
 *   record := length:u32be | ciphertext[length]
 *
 * A writer killed mid-record leaves a torn record at the end; readers stop
 * before it and report its size, so everything before it stays readable.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';

const READ_BLOCK = 1 << 20;
const SCAN_BLOCK = 64 << 10;
import { MAX_RECORD } from './record-splitter.js';

export { MAX_RECORD };

export function recordHeader(length: number): Uint8Array {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, length);
  return header;
}

export interface ChunkFileScan {
  /** Byte offset of each complete record's header. */
  offsets: number[];
  /** Bytes after the last complete record. */
  tornBytes: number;
}

/** Where a record's header lies: record `index` starts at byte `position`. */
export interface RecordStart {
  index: number;
  position: number;
}

/**
 * Reads the records of a chunk file from record `from` on; `start`, a record
 * at or before `from` whose position is known, saves walking the headers
 * before it.
 */
export async function* readRecords(path: string, from = 0, start: RecordStart = { index: 0, position: 0 }): AsyncGenerator<{ index: number; data: Uint8Array }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    let { position, index } = start;
    const blocks = new BlockReader(fh, size);
    try {
      while (position + 4 <= size) {
        const length = await blocks.uint32(position);
        if (length > MAX_RECORD || position + 4 + length > size) return;
        if (index >= from) yield { index, data: await blocks.bytes(position + 4, length) };
        position += 4 + length;
        index++;
      }
    } finally {
      await blocks.settle();
    }
  } finally {
    await fh.close();
  }
}

/**
 * A file read front to back a block at a time: one read for many records
 * rather than two for each (a screen stream flushed every 100 ms has tens of
 * thousands of chunks an hour), with the next block read while the caller
 * works on this one (decrypting, hashing: an export's verification and first
 * pass spent half their time waiting for reads). Bytes are handed out as
 * subarrays of a fresh block, never of one that is read into again; bytes
 * that run past a block are copied together.
 */
class BlockReader {
  private block: Buffer = Buffer.alloc(0);
  private at = 0;
  private ahead: { at: number; length: number; read: Promise<Buffer> } | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}

  async uint32(position: number): Promise<number> {
    const offset = position - this.at;
    if (offset >= 0 && offset + 4 <= this.block.length) return this.block.readUInt32BE(offset);
    return (await this.bytes(position, 4)).readUInt32BE(0);
  }

  async bytes(position: number, length: number): Promise<Buffer> {
    if (position < this.at || position >= this.at + this.block.length) await this.moveTo(position);
    const offset = position - this.at;
    if (offset + length <= this.block.length) return this.block.subarray(offset, offset + length);
    const out = Buffer.allocUnsafe(length);
    let done = this.block.copy(out, 0, offset);
    while (done < length) {
      await this.moveTo(position + done);
      done += this.block.copy(out, done, 0, Math.min(this.block.length, length - done));
    }
    return out;
  }

  /** Waits for a read still under way: the file may be closed after. */
  async settle(): Promise<void> {
    await this.ahead?.read.catch(() => undefined);
    this.ahead = undefined;
  }

  /** Makes the block that starts at or holds `position` current (the one read ahead if it is that one), and reads the next one ahead. */
  private async moveTo(position: number): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead && position >= ahead.at && position < ahead.at + ahead.length) {
      this.block = await ahead.read;
      this.at = ahead.at;
    } else {
      await ahead?.read.catch(() => undefined);
      this.block = await this.read(position);
      this.at = position;
    }
    const next = this.at + this.block.length;
    if (next < this.size) {
      const read = this.read(next);
      // A failed read ahead is reported when its block is needed, not as an unhandled rejection.
      read.catch(() => undefined);
      this.ahead = { at: next, length: Math.min(READ_BLOCK, this.size - next), read };
    }
  }

  private async read(position: number): Promise<Buffer> {
    const block = Buffer.allocUnsafe(Math.min(READ_BLOCK, this.size - position));
    await readExactly(this.fh, block, position);
    return block;
  }
}

/** Walks the record headers from byte `start` (a record's header) without reading the payloads. */
export async function scanRecords(path: string, start = 0): Promise<ChunkFileScan> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { offsets: [], tornBytes: 0 };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const offsets: number[] = [];
    // Headers are read a block at a time while records are small (a quiet
    // stream's block holds hundreds), one header at a time after a big one.
    const block = Buffer.alloc(SCAN_BLOCK);
    let blockAt = 0;
    let blockLength = 0;
    let position = start;
    let length = 0;
    while (position + 4 <= size) {
      if (position < blockAt || position + 4 > blockAt + blockLength) {
        blockAt = position;
        const want = length > SCAN_BLOCK / 4 ? 4 : Math.min(SCAN_BLOCK, size - position);
        blockLength = (await fh.read(block, 0, want, position)).bytesRead;
        if (blockLength < 4) break;
      }
      length = block.readUInt32BE(position - blockAt);
      if (length > MAX_RECORD || position + 4 + length > size) break;
      offsets.push(position);
      position += 4 + length;
    }
    return { offsets, tornBytes: size - position };
  } finally {
    await fh.close();
  }
}

/**
 * Record positions of chunk files, learned once per file and extended as it
 * grows, so reading chunk N of a long stream does not walk N headers each
 * time (a player seeking in an hour of chunks). A file found shorter than
 * what was learned is learned again. Holds the last `files` files.
 */
export class RecordPositions {
  private readonly known = new Map<string, { offsets: number[]; end: number }>();

  constructor(private readonly files = 256) {}

  /** The known record nearest at or before `index` (the file's end when `index` lies past it). */
  async nearest(path: string, index: number): Promise<RecordStart> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      this.known.delete(path);
      return { index: 0, position: 0 };
    }
    let entry = this.known.get(path);
    if (!entry || size < entry.end) entry = { offsets: [], end: 0 };
    this.known.delete(path);
    this.known.set(path, entry);
    while (this.known.size > this.files) this.known.delete(this.known.keys().next().value!);
    if (index >= entry.offsets.length && size >= entry.end + 4) {
      const scan = await scanRecords(path, entry.end);
      for (const o of scan.offsets) entry.offsets.push(o);
      entry.end = size - scan.tornBytes;
    }
    if (index < entry.offsets.length) return { index, position: entry.offsets[index]! };
    return { index: entry.offsets.length, position: entry.end };
  }
}

async function readExactly(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, Math.min(buf.length - done, READ_BLOCK), position + done);
    if (bytesRead === 0) throw new Error('chunk file shrank while reading');
    done += bytesRead;
  }
}
