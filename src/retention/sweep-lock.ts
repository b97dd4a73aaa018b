/**
 * One retention sweep at a time across the nodes that share a PostgreSQL
 * store: a sweep holds a session-level advisory lock on one pooled
 * connection, and a node that finds it taken skips its sweep (the other
 * node's sweep does the same work). Two sweeps at once would each copy the
 * same recordings and log the same moves and deletions twice.
 *
 * Other stores (the local one, private to its node) need no lock. A lock
 * lost with its connection only lets another node sweep at the same time,
 * which stays safe: a move checks the archive's copy before it deletes.
 */
import type { RecordingStore } from '../store/types.js';
import { PostgresStore } from '../store/postgres/store.js';

/** pg_advisory_lock key of the retention sweep ("rgrt"). */
export const RETENTION_LOCK = 0x7267_7274;

/** Runs `work` under the sweep lock of `store`; 'busy' when another node holds it. */
export async function withSweepLock<T>(store: RecordingStore, work: () => Promise<T>): Promise<T | 'busy'> {
  if (!(store instanceof PostgresStore)) return work();
  const client = await store.pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => void (broken = err);
  client.on('error', onError);
  try {
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_LOCK]);
    if (!r.rows[0]?.ok) return 'busy';
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]).catch((err: Error) => (broken = err));
    }
  } finally {
    client.off('error', onError);
    // A connection that failed may still hold the lock: the pool drops it, which releases it.
    client.release(broken);
  }
}
