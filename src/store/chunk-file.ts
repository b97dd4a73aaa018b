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
    // Read a block at a time: one read for many records rather than two for each (a screen
    // stream flushed every 100 ms has tens of thousands of chunks an hour). Records are handed out
    // as subarrays of a fresh block, never of one that is read into again.
    let block = Buffer.alloc(0);
    let blockAt = position;
    while (position + 4 <= size) {
      if (position + 4 > blockAt + block.length) {
        block = Buffer.allocUnsafe(Math.min(READ_BLOCK, size - position));
        blockAt = position;
        await readExactly(fh, block, position);
      }
      const at = position - blockAt;
      const length = block.readUInt32BE(at);
      if (length > MAX_RECORD || position + 4 + length > size) return;
      if (index >= from) {
        const end = at + 4 + length;
        let data: Buffer;
        if (end <= block.length) data = block.subarray(at + 4, end);
        else {
          // A record running past the block: what the block holds of it, then the rest read into place.
          data = Buffer.allocUnsafe(length);
          const held = block.copy(data, 0, at + 4);
          await readExactly(fh, data.subarray(held), position + 4 + held);
        }
        yield { index, data };
      }
      position += 4 + length;
      index++;
    }
  } finally {
    await fh.close();
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
