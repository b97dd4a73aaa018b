/**
 * Moves every recording of a store from one auditor key to another: for each
 * recording the old key opens, the record key is re-sealed for the new key
 * and the manifest's recipients are replaced. Chunks are never read or written.
 *
 * Stores with batch forms (PostgreSQL: `recipientsMany`, `updateRecipientsMany`)
 * are rotated a batch at a time, one transaction per batch, the next batch's
 * recipients read while this one is re-sealed (on worker threads when there
 * are thousands: X25519 is the bound) and the last one written; other stores
 * one recording at a time, several at once.
 */
import type { Manifest, RecipientEntry } from '../seal/manifest.js';
import { kidOf, type AuditorKeyPair } from '../seal/keys.js';
import { finishRotation, notOpening, opensWith, planRotation, resealKey, rotateRecipient, SEALED_KEY_BYTES } from '../seal/rotate.js';
import type { Sodium } from '../seal/sodium.js';
import { ResealFailure, ResealPool, WORKERS_FROM } from './reseal-pool.js';
import type { ListFilter, RecipientUpdate, RecordingStore } from './types.js';

export interface RotationResult {
  rotated: number;
  /** Recordings still being written, left alone (their writer owns the manifest). */
  live: string[];
}

interface NewKey {
  publicKey: Uint8Array;
  name?: string;
}

/** Recordings per transaction when the store rotates in batches. */
export const ROTATION_BATCH = 1000;

/** Sizes for tests and benchmarks: listing page and batch (defaults LIST_PAGE and ROTATION_BATCH). */
export interface RotationTuning {
  listPage?: number;
  batch?: number;
}

export async function rotateRecordings(s: Sodium, store: RecordingStore, old: AuditorKeyPair, next: NewKey, tuning: RotationTuning = {}): Promise<RotationResult> {
  const result: RotationResult = { rotated: 0, live: [] };
  const reseal = (manifest: Manifest): RecipientEntry[] | null => rotateRecipient(s, manifest, old, next);
  if (!store.recipientsMany || !store.updateRecipientsMany) {
    const todo: string[] = [];
    for (const summary of await store.list()) {
      if (!summary.recipients.includes(old.kid)) continue;
      if (summary.status === 'recording') result.live.push(summary.id);
      else todo.push(summary.id);
    }
    result.rotated = await rotateOneByOne(todo, store, reseal);
    return result;
  }
  const batches = candidateBatches(store, old.kid, result.live, tuning.listPage ?? LIST_PAGE, tuning.batch ?? ROTATION_BATCH);
  // The first batches are re-sealed here while the worker threads would still be starting;
  // from WORKERS_FROM recordings on, the workers take over.
  let seen = 0;
  let pool: ResealPool | undefined;
  const newKid = kidOf(s, next.publicKey);
  const resealKeys = async (ids: string[], keys: Uint8Array[]): Promise<Uint8Array[]> => {
    seen += keys.length;
    if (seen <= WORKERS_FROM) {
      return keys.map((sealed, i) => {
        const out = new Uint8Array(SEALED_KEY_BYTES);
        if (!resealKey(s, sealed, old, next.publicKey, out)) throw notOpening(ids[i]!, old.kid);
        return out;
      });
    }
    return (pool ??= new ResealPool(old, next.publicKey)).reseal(keys).catch((err: unknown) => {
      throw err instanceof ResealFailure ? notOpening(ids[err.at]!, old.kid) : err;
    });
  };
  const resealBatch = async (ms: RecipientUpdate[]): Promise<RecipientUpdate[]> => {
    const updates: RecipientUpdate[] = [];
    const resealing: { m: RecipientUpdate; at: number }[] = [];
    const keys: Uint8Array[] = [];
    for (const m of ms) {
      const plan = planRotation(m, old.kid, newKid);
      if (plan.kind === 'drop') {
        if (!opensWith(s, plan.sealed, old)) throw notOpening(m.id, old.kid);
        updates.push({ id: m.id, recipients: plan.recipients });
      } else if (plan.kind === 'reseal') {
        resealing.push({ m, at: plan.at });
        keys.push(plan.sealed);
      }
    }
    const resealed = await resealKeys(resealing.map((r) => r.m.id), keys);
    resealing.forEach(({ m, at }, i) => updates.push({ id: m.id, recipients: finishRotation(m, at, resealed[i]!, newKid, next.name) }));
    return updates;
  };
  try {
    result.rotated = await rotateInBatches(
      batches,
      (ids) => store.recipientsMany!(ids),
      (updates) => store.updateRecipientsMany!(updates),
      resealBatch,
    );
  } finally {
    await pool?.close();
  }
  return result;
}

/** Rows per listing page while looking for the recordings to rotate. */
const LIST_PAGE = 10_000;

/**
 * The ids of the finished recordings `kid` opens, a batch at a time, read a
 * page of the listing at a time so the first batches rotate while the rest is
 * still being listed; recordings still being written go to `live`.
 */
async function* candidateBatches(store: RecordingStore, kid: string, live: string[], listPage: number, batchSize: number): AsyncGenerator<string[]> {
  let after: ListFilter['after'];
  let batch: string[] = [];
  for (;;) {
    const page = await store.list({ limit: listPage, ...(after ? { after } : {}) });
    for (const summary of page) {
      if (!summary.recipients.includes(kid)) continue;
      if (summary.status === 'recording') {
        live.push(summary.id);
        continue;
      }
      batch.push(summary.id);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    const last = page.at(-1);
    if (page.length < listPage || !last) break;
    after = { startedAt: last.startedAt, id: last.id };
  }
  if (batch.length > 0) yield batch;
}

/**
 * Batch b's recipients are read while batch b-1 is re-sealed, and batch b-2
 * is written meanwhile: the store, the listing and the re-sealing overlap.
 */
async function rotateInBatches(
  batches: AsyncIterator<string[]> | AsyncIterable<string[]>,
  read: (ids: string[]) => Promise<RecipientUpdate[]>,
  write: (updates: RecipientUpdate[]) => Promise<void>,
  reseal: (manifests: RecipientUpdate[]) => Promise<RecipientUpdate[]>,
): Promise<number> {
  const source = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : batches;
  const readNext = async (): Promise<RecipientUpdate[] | undefined> => {
    const step = await source.next();
    return step.done ? undefined : read(step.value);
  };
  let rotated = 0;
  let reading = readNext();
  let writing: Promise<void> = Promise.resolve();
  try {
    for (let manifests = await reading; manifests; manifests = await reading) {
      reading = readNext();
      // Caught now so a failed read-ahead is not an unhandled rejection while this batch is re-sealed; awaited above next time.
      reading.catch(() => undefined);
      const updates = await reseal(manifests);
      await writing;
      writing = write(updates);
      writing.catch(() => undefined);
      rotated += updates.length;
    }
    await writing;
  } finally {
    // After a failure: the write under way ends before the store may be closed.
    await writing.catch(() => undefined);
    await source.return?.();
  }
  return rotated;
}

async function rotateOneByOne(todo: string[], store: RecordingStore, reseal: (manifest: Manifest) => RecipientEntry[] | null): Promise<number> {
  let rotated = 0;
  // Manifest writes are durable one by one; running several at once lets the
  // file system commit them together instead of one journal flush each.
  const rotateOne = async (id: string): Promise<void> => {
    const recipients = reseal(await store.manifest(id));
    if (recipients === null) return;
    await store.updateRecipients(id, recipients);
    rotated++;
  };
  let cursor = 0;
  const worker = async (): Promise<void> => {
    while (cursor < todo.length) await rotateOne(todo[cursor++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, worker));
  return rotated;
}

const CONCURRENCY = 32;
