/**
 * PostgresStore: the shared store of several gateway nodes, one PostgreSQL
 * database (tables in schema.ts). Same contract as the LocalStore; what
 * differs is spelled out here:
 *
 * - A chunk row is whole or absent, so tornBytes is always 0.
 * - appendChunks locks the stream's row, refuses a gap, inserts the new
 *   chunks in one multi-row INSERT with binary parameters, and accepts a
 *   chunk sent again only when its bytes are identical (a spool replayed
 *   after a lost acknowledgement); a different chunk at a held index is an
 *   error. Each append NOTIFYs the chunks channel at commit, which is what
 *   live viewers on other nodes follow (the tail in reads.ts, through
 *   listener.ts).
 * - Every commit is durable (synchronous_commit as the server has it), so a
 *   checkpoint is one INSERT after the chunks it covers.
 * - Recordings carry the node_id that writes them: recoverInterrupted takes
 *   this node's only, recoverNodes those of nodes the registry found dead.
 * - delete() is shredKeys() (the sealed keys, one committed DELETE) then
 *   purge() (chunks, checkpoints, streams, the row); retention may call them
 *   apart.
 *
 * The schema is migrated lazily at first use (openStore is synchronous).
 */
import type pg from 'pg';
import { NotFoundError, StoreError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Secret } from '../../config/secret.js';
import type { LogEntry } from '../../seal/log.js';
import type { Checkpoint, Manifest, RecipientEntry, StreamInfo } from '../../seal/manifest.js';
import { checkRecordingId } from '../ids.js';
import type { InterruptedRecording, ListFilter, RecipientUpdate, RecordingCopy, RecordingEnd, RecordingStore, RecordingSummary, StoreHealth, StoredChunk } from '../types.js';
import { importInto } from './import.js';
import { ChunkListener, noticePayload } from './listener.js';
import { migrate } from './migrate.js';
import { describeUrl, openPool } from './pool.js';
import { PgReader } from './reads.js';
import { INSERT_KEYS, keyColumns, storedManifest } from './rows.js';
import { CHUNKS_CHANNEL, LOG_LOCK, STORE_STEPS } from './schema.js';
import { recoverRecordings } from './recovery.js';
import { PgAccess } from './access.js';
import { checkSameAsHeld, insertCheckpoint, insertGroups, insertStream, lockOpen } from './writes.js';

export interface PostgresStoreOptions {
  /** This gateway node (config gateway.nodeId): the writer of the recordings it creates. */
  nodeId: string;
  log: Logger;
  /** With a pool given: end it on close() (default true). */
  endPool?: boolean;
  /** How often a tail re-reads when no NOTIFY came (default 1 s; a safety net for notices missed across a reconnect). */
  tailPollMs?: number;
}

/** The tail's safety-net poll, for a NOTIFY missed across a reconnect. */
const TAIL_POLL_MS = 1_000;

export class PostgresStore implements RecordingStore {
  readonly kind = 'postgres';
  readonly pool: pg.Pool;
  readonly nodeId: string;
  private readonly db: PgAccess;
  private readonly listener: ChunkListener;
  private readonly endPool: boolean;
  private readonly reads: PgReader;
  /** Recordings this instance created and has not finalized: recovery never takes them. */
  private readonly writing = new Set<string>();
  private migrated: Promise<void> | undefined;

  constructor(target: pg.Pool | Secret, options: PostgresStoreOptions) {
    // The pool logs where it is itself; everything else logs through a child naming the store.
    if ('reveal' in target) {
      this.pool = openPool(target, options.log);
      this.endPool = true;
    } else {
      this.pool = target;
      this.endPool = options.endPool ?? true;
    }
    const o = this.pool.options;
    const where = o.connectionString ? describeUrl({ reveal: () => o.connectionString! } as Secret) : `${o.host ?? 'localhost'}:${o.port ?? 5432}/${o.database ?? ''}`;
    const log = options.log.child({ store: where });
    this.db = new PgAccess(this.pool, where, log);
    this.nodeId = options.nodeId;
    this.listener = new ChunkListener(this.pool.options, log);
    this.reads = new PgReader(this.query.bind(this), this.ready.bind(this), this.listener, options.tailPollMs ?? TAIL_POLL_MS);
  }

  health(): StoreHealth {
    return this.db.health();
  }

  /** Migrates the schema once, at first use; a failure is retried by the next call. */
  private ready(): Promise<void> {
    this.migrated ??= this.db
      .run('preparing the schema', async () => void (await migrate(this.pool, 'store', STORE_STEPS)))
      .catch((err: unknown) => {
        this.migrated = undefined;
        throw err;
      });
    return this.migrated;
  }

  private async query<R extends pg.QueryResultRow>(what: string, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    await this.ready();
    return this.db.run(what, () => this.pool.query<R>(text, values));
  }

  private async transaction<T>(what: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready();
    return this.db.transaction(what, work);
  }

  async create(manifest: Manifest): Promise<void> {
    const id = checkRecordingId(manifest.id);
    const m = manifest.meta;
    await this.transaction(`creating recording ${id}`, async (c) => {
      await c.query(
        `INSERT INTO recordings (id, "user", target, protocol, client_address, started_at, status, node_id, manifest)
         VALUES ($1, $2, $3, $4, $5, $6, 'recording', $7, $8)`,
        [id, m.user, m.target, m.protocol, m.clientAddress, m.startedAt, this.nodeId, storedManifest(manifest)],
      );
      await c.query(INSERT_KEYS, keyColumns([{ id, recipients: manifest.recipients }]));
      for (const [i, s] of manifest.streams.entries()) await insertStream(c, id, s, i);
    });
    this.writing.add(id);
  }

  async addStream(id: string, stream: StreamInfo): Promise<void> {
    checkRecordingId(id);
    await this.transaction(`adding stream ${stream.id} to recording ${id}`, async (c) => {
      const r = await c.query<{ status: string; n: number }>(
        'SELECT status, (SELECT count(*)::int FROM streams WHERE recording = $1) AS n FROM recordings WHERE id = $1 FOR UPDATE',
        [id],
      );
      const row = r.rows[0];
      if (!row) throw new NotFoundError(`no recording ${id}`);
      if (row.status !== 'recording') throw new StoreError(`recording ${id} is ${row.status}, not open for writing`);
      const exists = await c.query('SELECT 1 FROM streams WHERE recording = $1 AND id = $2', [id, stream.id]);
      if (exists.rowCount) throw new StoreError(`recording ${id}: stream ${stream.id} exists`);
      await insertStream(c, id, stream, row.n);
    });
  }

  async appendChunks(id: string, streamId: number, from: number, ciphertexts: Uint8Array[]): Promise<void> {
    checkRecordingId(id);
    if (ciphertexts.length === 0) return;
    await this.transaction(`appending to recording ${id}`, async (c) => {
      const s = await c.query<{ next_index: number; status: string }>(
        `SELECT s.next_index, r.status FROM streams s JOIN recordings r ON r.id = s.recording
         WHERE s.recording = $1 AND s.id = $2 FOR UPDATE OF s`,
        [id, streamId],
      );
      const row = s.rows[0];
      if (!row) throw new StoreError(`recording ${id}: unknown stream ${streamId}`);
      if (row.status !== 'recording') throw new StoreError(`recording ${id} is ${row.status}, not open for writing`);
      const next = row.next_index;
      if (from > next) throw new StoreError(`recording ${id}: stream ${streamId} expects chunk ${next}, got ${from} (a gap)`);
      const held = Math.min(next - from, ciphertexts.length);
      if (held > 0) await checkSameAsHeld(c, id, streamId, from, ciphertexts.slice(0, held));
      const fresh = ciphertexts.slice(held);
      if (fresh.length === 0) return;
      for (const group of insertGroups(fresh)) {
        const values: unknown[] = [id, streamId];
        const tuples = group.chunks.map((data, i) => {
          values.push(next + group.offset + i, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
          return `($1, $2, $${values.length - 1}, $${values.length})`;
        });
        await c.query(`INSERT INTO chunks (recording, stream, idx, data) VALUES ${tuples.join(', ')}`, values);
      }
      const added = fresh.reduce((n, b) => n + b.length, 0);
      const after = next + fresh.length;
      // One round trip: the stream's count and the notice (delivered at commit).
      await c.query(
        `WITH s AS (UPDATE streams SET next_index = $3, bytes = bytes + $4 WHERE recording = $1 AND id = $2 RETURNING 1)
         SELECT pg_notify($5, $6) FROM s`,
        [id, streamId, after, added, CHUNKS_CHANNEL, noticePayload({ recording: id, stream: streamId, next: after })],
      );
    });
  }

  async checkpoint(id: string, checkpoint: Checkpoint): Promise<void> {
    checkRecordingId(id);
    await this.transaction(`checkpointing recording ${id}`, async (c) => {
      await lockOpen(c, id);
      await insertCheckpoint(c, id, checkpoint);
      await c.query('UPDATE recordings SET bytes = (SELECT coalesce(sum(bytes), 0) FROM streams WHERE recording = $1) WHERE id = $1', [id]);
    });
  }

  async finalize(id: string, checkpoint: Checkpoint, end: RecordingEnd): Promise<void> {
    checkRecordingId(id);
    await this.transaction(`finalizing recording ${id}`, async (c) => {
      await lockOpen(c, id);
      await insertCheckpoint(c, id, checkpoint);
      await c.query(
        `UPDATE recordings SET status = 'complete', ended_at = $2, end_reason = $3,
           bytes = (SELECT coalesce(sum(bytes), 0) FROM streams WHERE recording = $1) WHERE id = $1`,
        [id, end.endedAt, end.endReason],
      );
      await c.query('SELECT pg_notify($1, $2)', [CHUNKS_CHANNEL, noticePayload({ recording: id, stream: 0, next: -1 })]);
    });
    this.writing.delete(id);
  }

  get(id: string): Promise<RecordingSummary | undefined> {
    return this.reads.get(id);
  }

  list(filter?: ListFilter): Promise<RecordingSummary[]> {
    return this.reads.list(filter);
  }

  manifest(id: string): Promise<Manifest> {
    return this.reads.manifest(id);
  }

  /** The recipients of several recordings in one round trip, in the order asked (rotation's reads); see reads.ts. */
  recipientsMany(ids: readonly string[]): Promise<RecipientUpdate[]> {
    return this.reads.recipientsMany(ids);
  }

  /** The manifests of several recordings in one round trip (those that exist, in the order asked). */
  manifests(ids: readonly string[]): Promise<Manifest[]> {
    return this.reads.manifests(ids);
  }

  checkpoints(id: string): Promise<Checkpoint[]> {
    return this.reads.checkpoints(id);
  }

  chunks(id: string, streamId: number, from = 0): AsyncIterable<StoredChunk> {
    return this.reads.chunks(id, streamId, from);
  }

  tail(id: string, streamId: number, from = 0, signal?: AbortSignal): AsyncIterable<StoredChunk> {
    return this.reads.tail(id, streamId, from, signal);
  }

  async tornBytes(id: string): Promise<number> {
    checkRecordingId(id);
    return 0;
  }

  async updateRecipients(id: string, recipients: RecipientEntry[]): Promise<void> {
    await this.updateRecipientsMany([{ id: checkRecordingId(id), recipients }]);
  }

  /** Replaces the recipients of many recordings in one transaction (rotation's batches). */
  async updateRecipientsMany(updates: readonly RecipientUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const ids = updates.map((u) => checkRecordingId(u.id));
    await this.transaction(`updating the recipients of ${updates.length} recording(s)`, async (c) => {
      // Only recording_keys changes; its foreign key holds each recording's row against a delete meanwhile.
      const found = await c.query<{ id: string }>('SELECT id FROM recordings WHERE id = ANY($1::text[])', [ids]);
      if (found.rowCount !== new Set(ids).size) {
        const have = new Set(found.rows.map((r) => r.id));
        throw new NotFoundError(`no recording ${ids.find((i) => !have.has(i))}`);
      }
      // Rows are replaced in place (an upsert, a HOT update when the page has room), and positions past the new list removed.
      await c.query(`${INSERT_KEYS} ON CONFLICT (recording, position) DO UPDATE SET kid = EXCLUDED.kid, name = EXCLUDED.name, sealed_key = EXCLUDED.sealed_key`, keyColumns([...updates]));
      await c.query(
        `DELETE FROM recording_keys k USING unnest($1::text[], $2::int[]) AS n(recording, count)
         WHERE k.recording = n.recording AND k.position >= n.count`,
        [ids, updates.map((u) => u.recipients.length)],
      );
    });
  }

  recoverInterrupted(beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]> {
    return this.recover([this.nodeId], beforeMark);
  }

  /** Marks the recordings that dead nodes left `recording`, as recoverInterrupted does for this node's. */
  recoverNodes(nodeIds: readonly string[], beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]> {
    return this.recover(nodeIds, beforeMark);
  }

  private async recover(nodeIds: readonly string[], beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]> {
    await this.ready();
    return recoverRecordings(this.db, this, [...nodeIds], this.writing, beforeMark);
  }

  /**
   * Crypto-shredding, step one: destroys the recording's sealed record keys
   * in a committed transaction (its recipients list empties with them). The
   * chunks stay until purge(); nobody can open them any more.
   */
  async shredKeys(id: string): Promise<void> {
    checkRecordingId(id);
    if (this.writing.has(id)) throw new StoreError(`recording ${id} is still being written`);
    await this.transaction(`destroying the keys of recording ${id}`, async (c) => {
      await c.query('DELETE FROM recording_keys WHERE recording = $1', [id]);
    });
  }

  /** Step two: the chunks, checkpoints, streams and the recording's row. */
  async purge(id: string): Promise<void> {
    checkRecordingId(id);
    if (this.writing.has(id)) throw new StoreError(`recording ${id} is still being written`);
    await this.transaction(`deleting recording ${id}`, async (c) => {
      await c.query('DELETE FROM chunks WHERE recording = $1', [id]);
      await c.query('DELETE FROM checkpoints WHERE recording = $1', [id]);
      await c.query('DELETE FROM streams WHERE recording = $1', [id]);
      await c.query('DELETE FROM recording_keys WHERE recording = $1', [id]);
      await c.query('DELETE FROM recordings WHERE id = $1', [id]);
    });
  }

  async delete(id: string): Promise<void> {
    await this.shredKeys(id);
    await this.purge(id);
  }

  /** A finished recording copied from another store (the archive tier), in one transaction: see import.ts. */
  async importRecording(copy: RecordingCopy): Promise<void> {
    const id = checkRecordingId(copy.manifest.id);
    await this.transaction(`importing recording ${id}`, (c) => importInto(c, copy, this.nodeId));
  }

  async appendLog(make: (last: LogEntry | null) => LogEntry): Promise<LogEntry> {
    return this.transaction('appending to the gateway log', async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOG_LOCK]);
      const r = await c.query<{ seq: string; entry: LogEntry }>('SELECT seq, entry FROM gateway_log ORDER BY seq DESC LIMIT 1');
      const row = r.rows[0];
      const entry = make(row ? row.entry : null);
      const next = row ? Number(row.seq) + 1 : 0;
      if (entry.seq !== next) throw new StoreError(`log entry seq ${entry.seq} does not follow the last one (expected seq ${next})`);
      await c.query('INSERT INTO gateway_log (seq, recording, kind, entry) VALUES ($1, $2, $3, $4)', [entry.seq, entry.recording, entry.kind, JSON.stringify(entry)]);
      return entry;
    });
  }

  async *readLog(): AsyncIterable<LogEntry> {
    let after = -1;
    for (;;) {
      const r = await this.query<{ seq: string; entry: LogEntry }>('reading the gateway log', 'SELECT seq, entry FROM gateway_log WHERE seq > $1 ORDER BY seq LIMIT 1000', [after]);
      for (const row of r.rows) yield row.entry;
      if (r.rows.length < 1000) return;
      after = Number(r.rows.at(-1)!.seq);
    }
  }

  async close(): Promise<void> {
    await this.listener.close();
    if (this.endPool) await this.pool.end().catch(() => undefined);
  }
}

