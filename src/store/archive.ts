/**
 * The archive tier: moving a finished recording from the hot store to a
 * second store, exactly as it is (manifest with its sealed record keys,
 * checkpoints, every chunk, status, end and size), so the archived copy
 * verifies and exports byte for byte like the original.
 *
 * A move copies, checks the copy against the original, has the move entered
 * in the gateway's log, and only then deletes the original (by
 * crypto-shredding). A crash at any point leaves the recording whole in at
 * least one store: an import cut short is never visible and is redone, and a
 * whole copy found by the next sweep is checked and the move finished.
 */
import { resolve } from 'node:path';
import { NotFoundError, StoreError } from '../errors.js';
import type { Logger } from '../log.js';
import { canonicalJson } from '../seal/manifest.js';
import type { StoreLocation } from '../config/types.js';
import { LocalStore } from './local.js';
import { PostgresStore } from './postgres/store.js';
import { describeUrl } from './postgres/pool.js';
import type { RecordingCopy, RecordingStore, RecordingSummary, StoredChunk } from './types.js';

/** What the move enters in the gateway's log before the original goes. */
export interface MoveJournal {
  archived(id: string, reason: string, archive: string): Promise<void>;
}

export interface MoveOptions {
  journal: MoveJournal;
  /** Why it moves (the log entry's reason). */
  reason: string;
  /** Where it goes, as the log and log lines name it (see describeLocation). */
  archive: string;
  log: Logger;
}

/** Where a store is, for logs and the log's entries: never a password. */
export function describeLocation(location: StoreLocation): string {
  return location.kind === 'local' ? `local ${location.dir}` : `postgres ${describeUrl(location.url)}`;
}

/** Whether `retention.archive` names the hot store itself (the same data directory or database), which cannot be its own archive. */
export function isHotStore(location: StoreLocation, hot: StoreLocation, dataDir: string): boolean {
  if (location.kind === 'local') return hot.kind === 'local' && resolve(location.dir) === resolve(dataDir);
  return hot.kind === 'postgres' && describeUrl(location.url) === describeUrl(hot.url);
}

/** Opens the archive store `retention.archive` names; `nodeId` is this gateway node (config gateway.nodeId). */
export function openArchiveStore(location: StoreLocation, log: Logger, nodeId: string): RecordingStore {
  log.debug({ archive: describeLocation(location) }, 'opening the archive store');
  switch (location.kind) {
    case 'local':
      return new LocalStore(location.dir);
    case 'postgres':
      return new PostgresStore(location.url, { nodeId, log: log.child({ tier: 'archive' }) });
  }
}

/** A store's recording as a RecordingCopy, read from the store as the import goes. */
export async function recordingCopy(store: RecordingStore, summary: RecordingSummary): Promise<RecordingCopy> {
  return {
    summary,
    manifest: await store.manifest(summary.id),
    checkpoints: await store.checkpoints(summary.id),
    chunks: (streamId) => store.chunks(summary.id, streamId),
  };
}

/** Moves recording `id` from `hot` to `archive`; throws (leaving it in `hot`) when any step fails. */
export async function moveRecording(hot: RecordingStore, archive: RecordingStore, id: string, options: MoveOptions): Promise<void> {
  const { log } = options;
  if (!archive.importRecording) throw new StoreError(`a ${archive.kind} store cannot be an archive (it cannot import recordings)`);
  const summary = await hot.get(id);
  if (!summary) throw new NotFoundError(`no recording ${id} in the hot store`);
  if (summary.status === 'recording') throw new StoreError(`recording ${id} is still being written`);
  if (await archive.get(id)) {
    const difference = await copyDifference(hot, archive, id);
    if (difference === null) {
      log.info({ recording: id }, 'archive: a whole copy from an earlier sweep is there; finishing its move');
    } else {
      log.warn({ recording: id, difference }, 'archive: the copy there differs from the original; copying it again');
      await archive.delete(id);
    }
  }
  if (!(await archive.get(id))) await archive.importRecording(await recordingCopy(hot, summary));
  const difference = await copyDifference(hot, archive, id);
  if (difference !== null) throw new StoreError(`recording ${id}: the archived copy differs from the original (${difference}); it stays in the hot store`);
  await options.journal.archived(id, options.reason, options.archive);
  await hot.delete(id);
}

const SUMMARY_FIELDS = ['id', 'user', 'target', 'protocol', 'clientAddress', 'startedAt', 'endedAt', 'status', 'endReason', 'bytes', 'recipients'] as const;

/** Null when `b` holds recording `id` exactly as `a` does, else the first difference found. */
export async function copyDifference(a: RecordingStore, b: RecordingStore, id: string): Promise<string | null> {
  const [sa, sb] = await Promise.all([a.get(id), b.get(id)]);
  if (!sa || !sb) return sa ? 'absent from the archive' : 'absent from the original store';
  for (const field of SUMMARY_FIELDS) {
    if (canonicalJson(sa[field]) !== canonicalJson(sb[field])) return `its ${field} differs`;
  }
  const [ma, mb] = await Promise.all([a.manifest(id), b.manifest(id)]);
  if (canonicalJson(ma) !== canonicalJson(mb)) return 'its manifest differs';
  const [ca, cb] = await Promise.all([a.checkpoints(id), b.checkpoints(id)]);
  if (canonicalJson(ca) !== canonicalJson(cb)) return 'its checkpoints differ';
  for (const stream of ma.streams) {
    const difference = await chunksDifference(a.chunks(id, stream.id), b.chunks(id, stream.id));
    if (difference !== null) return `stream ${stream.name}: ${difference}`;
  }
  return null;
}

async function chunksDifference(a: AsyncIterable<StoredChunk>, b: AsyncIterable<StoredChunk>): Promise<string | null> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  try {
    for (let n = 0; ; n++) {
      const [ra, rb] = await Promise.all([ia.next(), ib.next()]);
      if (ra.done || rb.done) return ra.done === rb.done ? null : `${ra.done ? 'more' : 'fewer'} chunks than the original (${n} in one of them)`;
      if (ra.value.index !== rb.value.index || Buffer.compare(ra.value.data, rb.value.data) !== 0) return `chunk ${n} differs`;
    }
  } finally {
    await Promise.all([ia.return?.(), ib.return?.()]);
  }
}
