/**
 * PostgresStore.importRecording's work (the archive tier): a finished
 * recording copied from another store, in one transaction, so a copy cut
 * short by a crash or a lost connection is rolled back and never seen.
 *
 * The row keeps the source's status, end, end reason and bytes; node_id is
 * the importing node (recovery only takes rows still `recording`, which an
 * import never is). Chunks go in multi-row INSERTs of about IMPORT_BATCH bytes
 * with binary parameters, then each stream's next_index and bytes are set.
 */
import type pg from 'pg';
import { StoreError } from '../../errors.js';
import type { RecordingCopy } from '../types.js';
import { INSERT_KEYS, keyColumns, storedManifest } from './rows.js';
import { insertStream } from './writes.js';

const IMPORT_BATCH = 4 << 20;
/** PostgreSQL takes at most 65535 parameters per statement; two per chunk plus two. */
const MAX_BATCH_CHUNKS = 1000;

export async function importInto(c: pg.PoolClient, copy: RecordingCopy, nodeId: string): Promise<void> {
  const { manifest, summary } = copy;
  const id = manifest.id;
  if (summary.id !== id) throw new StoreError(`import of ${id}: its summary is of ${summary.id}`);
  if (summary.status === 'recording') throw new StoreError(`recording ${id} is still being written; only finished recordings are imported`);
  const held = await c.query('SELECT 1 FROM recordings WHERE id = $1 FOR UPDATE', [id]);
  if (held.rowCount) throw new StoreError(`recording ${id} is already held here`);
  await c.query(
    `INSERT INTO recordings (id, "user", target, protocol, client_address, started_at, ended_at, bytes, status, end_reason, node_id, manifest)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      id,
      summary.user,
      summary.target,
      summary.protocol,
      summary.clientAddress,
      summary.startedAt,
      summary.endedAt,
      summary.bytes,
      summary.status,
      summary.endReason,
      nodeId,
      storedManifest(manifest),
    ],
  );
  await c.query(INSERT_KEYS, keyColumns([{ id, recipients: manifest.recipients }]));
  for (const [position, s] of manifest.streams.entries()) {
    await insertStream(c, id, s, position);
    const { count, bytes } = await insertChunks(c, id, s.id, copy.chunks(s.id));
    await c.query('UPDATE streams SET next_index = $3, bytes = $4 WHERE recording = $1 AND id = $2', [id, s.id, count, bytes]);
  }
  for (const checkpoint of copy.checkpoints) {
    if (checkpoint.recording !== id) throw new StoreError(`import of ${id}: a checkpoint of recording ${checkpoint.recording} does not belong here`);
    await c.query('INSERT INTO checkpoints (recording, seq, body) VALUES ($1, $2, $3)', [id, checkpoint.seq, JSON.stringify(checkpoint)]);
  }
}

async function insertChunks(c: pg.PoolClient, id: string, streamId: number, chunks: AsyncIterable<{ index: number; data: Uint8Array }>): Promise<{ count: number; bytes: number }> {
  let next = 0;
  let bytes = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const from = next - batch.length;
    const values: unknown[] = [id, streamId];
    const tuples = batch.map((data, i) => {
      values.push(from + i, data);
      return `($1, $2, $${values.length - 1}, $${values.length})`;
    });
    await c.query(`INSERT INTO chunks (recording, stream, idx, data) VALUES ${tuples.join(', ')}`, values);
    batch = [];
    batchBytes = 0;
  };
  for await (const chunk of chunks) {
    if (chunk.index !== next) throw new StoreError(`recording ${id}: stream ${streamId} came with chunk ${chunk.index} where ${next} was expected`);
    batch.push(Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength));
    batchBytes += chunk.data.length;
    bytes += chunk.data.length;
    next++;
    if (batchBytes >= IMPORT_BATCH || batch.length >= MAX_BATCH_CHUNKS) await flush();
  }
  await flush();
  return { count: next, bytes };
}
