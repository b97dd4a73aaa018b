/**
 * Recovery of recordings left `recording` by a writer that is gone: this
 * node after a restart (recoverInterrupted) or other nodes whose heartbeat
 * lapsed (recoverNodes). Each recording is claimed with a row lock
 * (FOR UPDATE SKIP LOCKED) held until it is marked, so two nodes recovering
 * the same dead node never both log and mark one recording.
 */
import type { ChunkCounts } from '../../seal/log.js';
import type { Checkpoint } from '../../seal/manifest.js';
import type { InterruptedRecording } from '../types.js';
import type { PgAccess } from './access.js';
import { noticePayload } from './listener.js';
import { CHUNKS_CHANNEL } from './schema.js';

interface Reader {
  checkpoints(id: string): Promise<Checkpoint[]>;
}

export async function recoverRecordings(
  db: PgAccess,
  reader: Reader,
  nodeIds: string[],
  liveHere: ReadonlySet<string>,
  beforeMark?: (found: InterruptedRecording) => Promise<void>,
): Promise<string[]> {
  const candidates = await db.run('finding interrupted recordings', () =>
    db.pool.query<{ id: string }>("SELECT id FROM recordings WHERE status = 'recording' AND node_id = ANY($1::text[]) ORDER BY started_at, id", [nodeIds]),
  );
  const recovered: string[] = [];
  for (const { id } of candidates.rows) {
    if (liveHere.has(id)) continue;
    const marked = await db.transaction(`recovering recording ${id}`, async (c) => {
      const claim = await c.query<{ started_at: Date }>(
        "SELECT started_at FROM recordings WHERE id = $1 AND status = 'recording' FOR UPDATE SKIP LOCKED",
        [id],
      );
      const row = claim.rows[0];
      if (!row) return false; // another node is on it, or it ended meanwhile
      const checkpoints = await reader.checkpoints(id).catch(() => [] as Checkpoint[]);
      const streams = await c.query<{ name: string; n: number; bytes: string }>(
        `SELECT s.name, count(k.idx)::int AS n, coalesce(sum(length(k.data)), 0)::bigint AS bytes
         FROM streams s LEFT JOIN chunks k ON k.recording = s.recording AND k.stream = s.id
         WHERE s.recording = $1 GROUP BY s.name, s.position ORDER BY s.position`,
        [id],
      );
      const chunks: ChunkCounts = {};
      let bytes = 0;
      for (const s of streams.rows) {
        chunks[s.name] = s.n;
        bytes += Number(s.bytes);
      }
      const final = checkpoints.at(-1)?.final;
      const endedAt = final?.endedAt ?? checkpoints.at(-1)?.at ?? row.started_at.toISOString();
      try {
        await beforeMark?.({ id, endedAt, checkpoints, chunks });
      } catch {
        return false;
      }
      await c.query('UPDATE recordings SET status = $2, ended_at = $3, end_reason = $4, bytes = $5 WHERE id = $1', [
        id,
        final ? 'complete' : 'interrupted',
        endedAt,
        final ? final.endReason : 'interrupted',
        bytes,
      ]);
      await c.query('SELECT pg_notify($1, $2)', [CHUNKS_CHANNEL, noticePayload({ recording: id, stream: 0, next: -1 })]);
      return true;
    });
    if (marked) recovered.push(id);
  }
  return recovered;
}
