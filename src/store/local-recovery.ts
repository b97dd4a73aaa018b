/**
 * Recovery of the local store's recordings that a writer left `recording`:
 * a process killed mid-session, found at the next start (recoverInterrupted).
 *
 * The index row names its writer as `<pid>:<uuid>`. A recording is taken only
 * when that process is gone: a live one (another process on the same data
 * directory) is still writing it. What the files hold decides how it ends:
 * `complete` when its last checkpoint is final, `interrupted` otherwise, with
 * the bytes and chunks counted from its stream files.
 */
import type { ChunkCounts } from '../seal/log.js';
import type { Checkpoint, Manifest } from '../seal/manifest.js';
import type { SqliteIndex } from './sqlite-index.js';
import type { InterruptedRecording, StoredChunk } from './types.js';

interface Reader {
  checkpoints(id: string): Promise<Checkpoint[]>;
  manifest(id: string): Promise<Manifest>;
  chunks(id: string, streamId: number): AsyncIterable<StoredChunk>;
}

/** Marks the recordings whose writer is gone (not `liveOwner`, this process); returns their ids. */
export async function recoverRecordings(
  index: SqliteIndex,
  reader: Reader,
  liveOwner: string,
  beforeMark?: (found: InterruptedRecording) => Promise<void>,
): Promise<string[]> {
  const recovered: string[] = [];
  for (const { id, owner } of index.orphans(liveOwner)) {
    if (owner !== null && ownerIsAlive(owner)) continue;
    const checkpoints = await reader.checkpoints(id).catch(() => [] as Checkpoint[]);
    const summary = index.get(id);
    const final = checkpoints.at(-1)?.final;
    const endedAt = final?.endedAt ?? checkpoints.at(-1)?.at ?? summary?.startedAt ?? new Date().toISOString();
    const manifest = await reader.manifest(id).catch(() => undefined);
    let bytes = 0;
    const chunks: ChunkCounts = {};
    for (const s of manifest?.streams ?? []) {
      chunks[s.name] = 0;
      for await (const chunk of reader.chunks(id, s.id)) {
        bytes += chunk.data.length;
        chunks[s.name]!++;
      }
    }
    try {
      await beforeMark?.({ id, endedAt, checkpoints, chunks });
    } catch {
      continue;
    }
    if (final) index.end(id, 'complete', endedAt, final.endReason, bytes);
    else index.end(id, 'interrupted', endedAt, 'interrupted', bytes);
    recovered.push(id);
  }
  return recovered;
}

/**
 * True while the process that `owner` names runs (EPERM: it runs, as another
 * account). This process's pid under another uuid is an earlier store here,
 * or an earlier run whose pid this one reused (as in a container): gone.
 */
function ownerIsAlive(owner: string): boolean {
  const pid = Number(owner.split(':')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
