/**
 * The write side of the PostgreSQL store, statement by statement: streams
 * added, recordings locked for writing, checkpoints kept (one sent again must
 * be identical), chunks sent again compared with those held, and a large
 * append split into INSERTs the protocol accepts.
 */
import type pg from 'pg';
import { NotFoundError, StoreError } from '../../errors.js';
import type { Checkpoint, StreamInfo } from '../../seal/manifest.js';
export async function insertStream(c: pg.PoolClient, id: string, s: StreamInfo, position: number): Promise<void> {
  await c.query('INSERT INTO streams (recording, id, position, name, kind, channel, nonce_prefix) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    id,
    s.id,
    position,
    s.name,
    s.kind,
    s.channel,
    s.noncePrefix,
  ]);
}

/** Chunks per INSERT at most, and bytes: a statement stays far below the protocol's 65 535 parameters and 1 GiB message. */
const INSERT_MAX_CHUNKS = 1000;
const INSERT_MAX_BYTES = 16 << 20;

/** Splits a batch of chunks into the INSERTs of one append (a spool drained after an outage can be large). */
export function insertGroups(chunks: Uint8Array[]): { offset: number; chunks: Uint8Array[] }[] {
  const groups: { offset: number; chunks: Uint8Array[] }[] = [];
  let current: { offset: number; chunks: Uint8Array[] } | undefined;
  let bytes = 0;
  chunks.forEach((chunk, i) => {
    if (!current || current.chunks.length >= INSERT_MAX_CHUNKS || (bytes + chunk.length > INSERT_MAX_BYTES && current.chunks.length > 0)) {
      current = { offset: i, chunks: [] };
      groups.push(current);
      bytes = 0;
    }
    current.chunks.push(chunk);
    bytes += chunk.length;
  });
  return groups;
}

/** Locks a recording's row; it must exist and still be recording. */
export async function lockOpen(c: pg.PoolClient, id: string): Promise<void> {
  const r = await c.query<{ status: string }>('SELECT status FROM recordings WHERE id = $1 FOR UPDATE', [id]);
  const status = r.rows[0]?.status;
  if (status === undefined) throw new NotFoundError(`no recording ${id}`);
  if (status !== 'recording') throw new StoreError(`recording ${id} is ${status}, not open for writing`);
}

export async function insertCheckpoint(c: pg.PoolClient, id: string, checkpoint: Checkpoint): Promise<void> {
  if (checkpoint.recording !== id) throw new StoreError(`recording ${id}: a checkpoint of recording ${checkpoint.recording} does not belong here`);
  const r = await c.query('INSERT INTO checkpoints (recording, seq, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [id, checkpoint.seq, JSON.stringify(checkpoint)]);
  if (r.rowCount === 1) return;
  const held = await c.query<{ same: boolean }>('SELECT body::text = $3 AS same FROM checkpoints WHERE recording = $1 AND seq = $2', [id, checkpoint.seq, JSON.stringify(checkpoint)]);
  if (!held.rows[0]?.same) throw new StoreError(`recording ${id}: checkpoint ${checkpoint.seq} is already stored with different content`);
}

/** Chunks sent again (a replayed spool) must be byte-identical to those held. */
export async function checkSameAsHeld(c: pg.PoolClient, id: string, streamId: number, from: number, sent: Uint8Array[]): Promise<void> {
  const r = await c.query<{ idx: number; data: Buffer }>('SELECT idx, data FROM chunks WHERE recording = $1 AND stream = $2 AND idx >= $3 AND idx < $4 ORDER BY idx', [
    id,
    streamId,
    from,
    from + sent.length,
  ]);
  for (const [i, data] of sent.entries()) {
    const held = r.rows[i];
    if (!held || held.idx !== from + i || Buffer.compare(held.data, data) !== 0) {
      throw new StoreError(`recording ${id}: stream ${streamId} already holds a different chunk ${from + i} (a duplicate or forged write)`);
    }
  }
}

