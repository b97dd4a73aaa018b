/**
 * The file side of the local store's deletions and imports, kept apart from
 * LocalStore so that each stays small.
 *
 * Shredding: the manifest is replaced by one without its sealed record keys
 * (temp file fsynced, renamed, folder fsynced) before any chunk goes, so a
 * crash between the two leaves chunks nobody can open, never keys without a
 * deletion under way. Import: a finished recording is written whole into a
 * staging folder, fsynced, and renamed into place in one step.
 */
import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import type { Manifest } from '../seal/manifest.js';
import { recordHeader } from './chunk-file.js';
import type { RecordingCopy } from './types.js';

/** Chunk records are written in batches of about this many bytes. */
const WRITE_BATCH = 1 << 20;

/** fsyncs a folder, so that a rename or unlink in it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `text` to `path` through a fsynced temp file and a rename; with `durable`, fsyncs the folder too. */
export async function writeAtomic(path: string, text: string, durable = false): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flush: true });
  await rename(tmp, path);
  if (durable) await fsyncDir(join(path, '..'));
}

/**
 * Destroys the sealed record keys of the recording in `dir` durably: the
 * manifest is replaced by one with no recipients. A manifest that cannot be
 * read as JSON is removed instead. Returns false when there was no manifest.
 */
export async function shredManifest(dir: string, manifest: Manifest | 'unreadable' | 'absent'): Promise<boolean> {
  const path = join(dir, 'manifest.json');
  if (manifest === 'absent') return false;
  if (manifest === 'unreadable') {
    await rm(path, { force: true });
    await fsyncDir(dir);
    return true;
  }
  if (manifest.recipients.length > 0) await writeAtomic(path, JSON.stringify({ ...manifest, recipients: [] }, null, 2), true);
  return true;
}

/**
 * Writes `copy` into `staging` (which must not exist) in the local store's
 * layout, every file fsynced, and checks that each stream's chunks come as
 * 0, 1, 2, ... Returns the ciphertext bytes written.
 */
export async function writeImportFolder(staging: string, copy: RecordingCopy): Promise<number> {
  const id = copy.manifest.id;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true, mode: 0o700 });
  await writeFile(join(staging, 'manifest.json'), JSON.stringify(copy.manifest, null, 2), { mode: 0o600, flush: true });
  await writeFile(join(staging, 'checkpoints.jsonl'), copy.checkpoints.map((c) => JSON.stringify(c) + '\n').join(''), { mode: 0o600, flush: true });
  let bytes = 0;
  for (const stream of copy.manifest.streams) {
    const fh = await open(join(staging, `${stream.id}.chunks`), 'w', 0o600);
    try {
      bytes += await writeStream(fh, id, stream.id, copy.chunks(stream.id));
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  await fsyncDir(staging);
  return bytes;
}

async function writeStream(fh: FileHandle, id: string, streamId: number, chunks: AsyncIterable<{ index: number; data: Uint8Array }>): Promise<number> {
  let next = 0;
  let bytes = 0;
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const { bytesWritten } = await fh.writev(batch);
    if (bytesWritten !== batchBytes) throw new StoreError(`recording ${id}: short write while importing stream ${streamId}`);
    batch = [];
    batchBytes = 0;
  };
  for await (const chunk of chunks) {
    if (chunk.index !== next) throw new StoreError(`recording ${id}: stream ${streamId} came with chunk ${chunk.index} where ${next} was expected`);
    batch.push(recordHeader(chunk.data.length), chunk.data);
    batchBytes += 4 + chunk.data.length;
    bytes += chunk.data.length;
    next++;
    if (batchBytes >= WRITE_BATCH) await flush();
  }
  await flush();
  return bytes;
}
