/**
 * A stream's chunks on disk: one append-only file of length-prefixed records.
 *
 *   record := length:u32be | ciphertext[length]
 *
 * A writer killed mid-record leaves a torn record at the end; readers stop
 * before it and report its size, so everything before it stays readable.
 */
import { open, type FileHandle } from 'node:fs/promises';

const READ_BLOCK = 1 << 20;
/** A record larger than this is corruption, not data: chunks are at most a few hundred KiB. */
export const MAX_RECORD = 64 << 20;

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

/** Reads the records of a chunk file from record `from` on. */
export async function* readRecords(path: string, from = 0): AsyncGenerator<{ index: number; data: Uint8Array }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    let position = 0;
    let index = 0;
    const header = Buffer.alloc(4);
    while (position + 4 <= size) {
      await readExactly(fh, header, position);
      const length = header.readUInt32BE(0);
      if (length > MAX_RECORD || position + 4 + length > size) return;
      if (index >= from) {
        const data = Buffer.allocUnsafe(length);
        await readExactly(fh, data, position + 4);
        yield { index, data };
      }
      position += 4 + length;
      index++;
    }
  } finally {
    await fh.close();
  }
}

/** Walks the record headers without reading the payloads. */
export async function scanRecords(path: string): Promise<ChunkFileScan> {
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
    const header = Buffer.alloc(4);
    let position = 0;
    while (position + 4 <= size) {
      await readExactly(fh, header, position);
      const length = header.readUInt32BE(0);
      if (length > MAX_RECORD || position + 4 + length > size) break;
      offsets.push(position);
      position += 4 + length;
    }
    return { offsets, tornBytes: size - position };
  } finally {
    await fh.close();
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
