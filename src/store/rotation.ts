/**
 * Moves every recording of a store from one auditor key to another: for each
 * recording the old key opens, the record key is re-sealed for the new key
 * and the manifest's recipients are replaced. Chunks are never read or written.
 */
import type { AuditorKeyPair } from '../seal/keys.js';
import { rotateRecipient } from '../seal/rotate.js';
import type { Sodium } from '../seal/sodium.js';
import type { RecordingStore } from './types.js';

export interface RotationResult {
  rotated: number;
  /** Recordings still being written, left alone (their writer owns the manifest). */
  live: string[];
}

export async function rotateRecordings(
  s: Sodium,
  store: RecordingStore,
  old: AuditorKeyPair,
  next: { publicKey: Uint8Array; name?: string },
): Promise<RotationResult> {
  const result: RotationResult = { rotated: 0, live: [] };
  const todo: string[] = [];
  for (const summary of await store.list()) {
    if (!summary.recipients.includes(old.kid)) continue;
    if (summary.status === 'recording') result.live.push(summary.id);
    else todo.push(summary.id);
  }
  // Manifest writes are durable one by one; running several at once lets the
  // file system commit them together instead of one journal flush each.
  const rotateOne = async (id: string): Promise<void> => {
    const recipients = rotateRecipient(s, await store.manifest(id), old, next);
    if (recipients === null) return;
    await store.updateRecipients(id, recipients);
    result.rotated++;
  };
  let cursor = 0;
  const worker = async (): Promise<void> => {
    while (cursor < todo.length) await rotateOne(todo[cursor++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, worker));
  return result;
}

const CONCURRENCY = 32;
