/**
 * The read side of the PostgreSQL store: summaries and listings, manifests
 * and recipients joined from their rows, checkpoints, chunks a page at a
 * time, and the tail that follows a recording being written: it re-reads
 * when a NOTIFY for the recording comes (listener.ts), and polls slowly for
 * one missed across a reconnect. Every statement runs through the store's
 * query: the schema migrated first, a failure one StoreError (access.ts).
 */
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { NotFoundError } from '../../errors.js';
import type { Checkpoint, Manifest } from '../../seal/manifest.js';
import { checkRecordingId, isRecordingId } from '../ids.js';
import type { ListFilter, RecipientUpdate, RecordingSummary, StoredChunk } from '../types.js';
import { waitFor, type ChunkListener } from './listener.js';
import { joinManifest, listQuery, SUMMARY_COLUMNS, toRecipient, toSummary, type KeyRow, type RecordingRow, type StreamRow } from './rows.js';

/** One statement, run once the schema is ready; a failure is a StoreError saying `what` (PostgresStore.query). */
export type Query = <R extends pg.QueryResultRow>(what: string, text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** Chunks read per query by `chunks` and `tail` (64 KiB-ish each). */
const READ_PAGE = 32;

export class PgReader {
  constructor(
    private readonly query: Query,
    /** Resolves once the schema is migrated (PostgresStore.ready). */
    private readonly ready: () => Promise<void>,
    private readonly listener: ChunkListener,
    /** How often a tail re-reads when no NOTIFY came. */
    private readonly tailPollMs: number,
  ) {}

  async get(id: string): Promise<RecordingSummary | undefined> {
    if (!isRecordingId(id)) return undefined;
    const r = await this.query<RecordingRow>(`reading recording ${id}`, `SELECT ${SUMMARY_COLUMNS} FROM recordings r WHERE r.id = $1`, [id]);
    return r.rows[0] && toSummary(r.rows[0]);
  }

  async list(filter?: ListFilter): Promise<RecordingSummary[]> {
    const { text, values } = listQuery(filter);
    return (await this.query<RecordingRow>('listing recordings', text, values)).rows.map(toSummary);
  }

  async manifest(id: string): Promise<Manifest> {
    const [m] = await this.manifests([checkRecordingId(id)]);
    if (!m) throw new NotFoundError(`no recording ${id}`);
    return m;
  }

  /**
   * The recipients of several recordings in one round trip, in the order
   * asked: what rotation reads. Recordings without any (absent, or their
   * keys destroyed) are left out.
   */
  async recipientsMany(ids: readonly string[]): Promise<RecipientUpdate[]> {
    const r = await this.query<KeyRow & { recording: string }>(
      'reading recipients',
      'SELECT recording, kid, name, sealed_key FROM recording_keys WHERE recording = ANY($1::text[]) ORDER BY recording, position',
      [[...ids]],
    );
    const byId = new Map<string, RecipientUpdate>();
    for (const row of r.rows) {
      let entry = byId.get(row.recording);
      if (!entry) byId.set(row.recording, (entry = { id: row.recording, recipients: [] }));
      entry.recipients.push(toRecipient(row));
    }
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** The manifests of several recordings in one round trip (those that exist, in the order asked). */
  async manifests(ids: readonly string[]): Promise<Manifest[]> {
    const r = await this.query<{ id: string; manifest: Manifest; streams: StreamRow[] | null; keys: KeyRow[] | null }>(
      'reading manifests',
      `SELECT r.id, r.manifest,
         (SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'kind', s.kind, 'channel', s.channel, 'nonce_prefix', s.nonce_prefix) ORDER BY s.position)
            FROM streams s WHERE s.recording = r.id) AS streams,
         (SELECT json_agg(json_build_object('kid', k.kid, 'name', k.name, 'sealed_key', k.sealed_key) ORDER BY k.position)
            FROM recording_keys k WHERE k.recording = r.id) AS keys
       FROM unnest($1::text[]) WITH ORDINALITY AS want(id, n) JOIN recordings r ON r.id = want.id ORDER BY want.n`,
      [[...ids]],
    );
    return r.rows.map((row) => joinManifest(row.manifest, row.streams ?? [], row.keys ?? []));
  }

  async checkpoints(id: string): Promise<Checkpoint[]> {
    checkRecordingId(id);
    const r = await this.query<{ body: Checkpoint | null }>(
      `reading the checkpoints of recording ${id}`,
      'SELECT c.body FROM recordings r LEFT JOIN checkpoints c ON c.recording = r.id WHERE r.id = $1 ORDER BY c.seq',
      [id],
    );
    if (r.rows.length === 0) throw new NotFoundError(`no recording ${id}`);
    return r.rows.flatMap((row) => (row.body === null ? [] : [row.body]));
  }

  chunks(id: string, streamId: number, from = 0): AsyncIterable<StoredChunk> {
    checkRecordingId(id);
    return this.readChunks(id, streamId, from);
  }

  private async *readChunks(id: string, streamId: number, from: number): AsyncGenerator<StoredChunk> {
    let next = from;
    for (;;) {
      const r = await this.query<{ idx: number; data: Buffer }>(
        `reading chunks of recording ${id}`,
        'SELECT idx, data FROM chunks WHERE recording = $1 AND stream = $2 AND idx >= $3 ORDER BY idx LIMIT $4',
        [id, streamId, next, READ_PAGE],
      );
      for (const row of r.rows) {
        if (row.idx !== next) return; // never happens: appends refuse gaps
        yield { index: row.idx, data: row.data };
        next++;
      }
      if (r.rows.length < READ_PAGE) return;
    }
  }

  async *tail(id: string, streamId: number, from = 0, signal?: AbortSignal): AsyncIterable<StoredChunk> {
    checkRecordingId(id);
    await this.ready();
    const wakeups = new EventEmitter();
    let woken = false;
    const unsubscribe = await this.listener.subscribe(id, () => {
      woken = true;
      wakeups.emit('wake');
    });
    try {
      let next = from;
      while (!signal?.aborted) {
        woken = false;
        for await (const chunk of this.readChunks(id, streamId, next)) {
          yield chunk;
          next = chunk.index + 1;
        }
        const summary = await this.get(id);
        if (!summary || summary.status !== 'recording') {
          // One last read: chunks may have landed between the read above and the status check.
          for await (const chunk of this.readChunks(id, streamId, next)) yield chunk;
          return;
        }
        if (!woken) await waitFor(wakeups, this.tailPollMs, signal);
      }
    } finally {
      unsubscribe();
    }
  }
}
