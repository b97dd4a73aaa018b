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
import type { AuditorKeyPair } from '../seal/keys.js';
import type { Manifest, RecipientEntry } from '../seal/manifest.js';
import { rotateRecipient } from '../seal/rotate.js';
import type { Sodium } from '../seal/sodium.js';
import { ResealPool, WORKERS_FROM } from './reseal-pool.js';
import type { RecipientUpdate, RecordingStore } from './types.js';

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

export async function rotateRecordings(s: Sodium, store: RecordingStore, old: AuditorKeyPair, next: NewKey): Promise<RotationResult> {
  const result: RotationResult = { rotated: 0, live: [] };
  const todo: string[] = [];
  for (const summary of await store.list()) {
    if (!summary.recipients.includes(old.kid)) continue;
    if (summary.status === 'recording') result.live.push(summary.id);
    else todo.push(summary.id);
  }
  const reseal = (manifest: Manifest): RecipientEntry[] | null => rotateRecipient(s, manifest, old, next);
  if (!store.recipientsMany || !store.updateRecipientsMany) {
    result.rotated = await rotateOneByOne(todo, store, reseal);
    return result;
  }
  const read = (ids: string[]): Promise<RecipientUpdate[]> => store.recipientsMany!(ids);
  const write = (updates: RecipientUpdate[]): Promise<void> => store.updateRecipientsMany!(updates);
  if (todo.length < WORKERS_FROM) {
    result.rotated = await rotateInBatches(todo, read, write, async (ms) => ms.map((m) => ({ id: m.id, recipients: reseal(asManifest(m)) })));
    return result;
  }
  const pool = new ResealPool(old, next);
  try {
    result.rotated = await rotateInBatches(todo, read, write, (ms) => pool.reseal(ms));
  } finally {
    await pool.close();
  }
  return result;
}

async function rotateInBatches(
  ids: string[],
  read: (ids: string[]) => Promise<RecipientUpdate[]>,
  write: (updates: RecipientUpdate[]) => Promise<void>,
  reseal: (manifests: RecipientUpdate[]) => Promise<{ id: string; recipients: RecipientEntry[] | null }[]>,
): Promise<number> {
  let rotated = 0;
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += ROTATION_BATCH) batches.push(ids.slice(i, i + ROTATION_BATCH));
  let reading = batches.length > 0 ? read(batches[0]!) : undefined;
  let writing: Promise<void> = Promise.resolve();
  for (let b = 0; b < batches.length; b++) {
    const manifests = await reading!;
    reading = b + 1 < batches.length ? read(batches[b + 1]!) : undefined;
    // Catch now so a failed read-ahead is not an unhandled rejection while this batch is re-sealed.
    reading?.catch(() => undefined);
    const updates: RecipientUpdate[] = [];
    for (const { id, recipients } of await reseal(manifests)) if (recipients !== null) updates.push({ id, recipients });
    await writing;
    writing = write(updates);
    writing.catch(() => undefined);
    rotated += updates.length;
  }
  await writing;
  return rotated;
}

/** rotateRecipient reads only a manifest's id and recipients, which is what a store's batch read returns. */
function asManifest(r: RecipientUpdate): Manifest {
  return r as unknown as Manifest;
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
