/**
 * Rows of the PostgreSQL store and the queries built from a ListFilter: the
 * pure part of the store, shared by its reads and the batch operations.
 */
import type { Manifest, RecipientEntry, RecordingStatus, StreamInfo, StreamKind } from '../../seal/manifest.js';
import type { ListFilter, RecordingSummary } from '../types.js';

export interface RecordingRow {
  id: string;
  user: string;
  target: string;
  protocol: string;
  client_address: string;
  started_at: Date;
  ended_at: Date | null;
  bytes: string;
  status: string;
  end_reason: string | null;
  recipients: string[];
}

export const SUMMARY_COLUMNS = 'id, "user", target, protocol, client_address, started_at, ended_at, bytes, status, end_reason, recipients';

export function toSummary(row: RecordingRow): RecordingSummary {
  const startedAt = row.started_at.toISOString();
  const endedAt = row.ended_at?.toISOString() ?? null;
  return {
    id: row.id,
    user: row.user,
    target: row.target,
    protocol: row.protocol,
    clientAddress: row.client_address,
    startedAt,
    endedAt,
    durationMs: row.ended_at === null ? null : row.ended_at.getTime() - row.started_at.getTime(),
    bytes: Number(row.bytes),
    status: row.status as RecordingStatus,
    endReason: row.end_reason,
    recipients: row.recipients,
  };
}

/** The SELECT of `list`: clear metadata filters, keyset paging on (started_at, id). */
export function listQuery(filter: ListFilter = {}): { text: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  if (filter.user !== undefined) where.push(`"user" = ${param(filter.user)}`);
  if (filter.target !== undefined) where.push(`target = ${param(filter.target)}`);
  if (filter.protocol !== undefined) where.push(`protocol = ${param(filter.protocol)}`);
  if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`);
  if (filter.since !== undefined) where.push(`started_at >= ${param(filter.since)}::timestamptz`);
  if (filter.until !== undefined) where.push(`started_at < ${param(filter.until)}::timestamptz`);
  if (filter.users !== undefined) where.push(`"user" = ANY(${param([...filter.users])}::text[])`);
  if (filter.targets !== undefined) where.push(`target = ANY(${param([...filter.targets])}::text[])`);
  const dir = filter.descending ? 'DESC' : 'ASC';
  if (filter.after !== undefined) {
    where.push(`(started_at, id) ${filter.descending ? '<' : '>'} (${param(filter.after.startedAt)}::timestamptz, ${param(filter.after.id)}::text)`);
  }
  const text =
    `SELECT ${SUMMARY_COLUMNS} FROM recordings` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY started_at ${dir}, id ${dir}` +
    (filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '');
  return { text, values };
}

/** What the recordings row keeps of a manifest: everything but the recipients and the streams. */
export function storedManifest(m: Manifest): string {
  const { recipients: _recipients, streams: _streams, ...rest } = m;
  return JSON.stringify(rest);
}

export interface StreamRow {
  id: number;
  name: string;
  kind: string;
  channel: number;
  nonce_prefix: string;
}

export interface KeyRow {
  kid: string;
  name: string | null;
  sealed_key: string;
}

export function toStream(r: StreamRow): StreamInfo {
  return { id: r.id, name: r.name, kind: r.kind as StreamKind, channel: r.channel, noncePrefix: r.nonce_prefix };
}

export function toRecipient(r: KeyRow): RecipientEntry {
  return r.name === null ? { kid: r.kid, sealedKey: r.sealed_key } : { kid: r.kid, name: r.name, sealedKey: r.sealed_key };
}

/** The manifest put back together: the stored JSON, then its streams and recipients in order. */
export function joinManifest(stored: Omit<Manifest, 'streams' | 'recipients'>, streams: StreamRow[], keys: KeyRow[]): Manifest {
  return { ...stored, streams: streams.map(toStream), recipients: keys.map(toRecipient) };
}

/** Column arrays for one INSERT ... SELECT FROM unnest(...) of recipient rows. */
export function keyColumns(rows: { id: string; recipients: readonly RecipientEntry[] }[]): unknown[] {
  const recording: string[] = [];
  const position: number[] = [];
  const kid: string[] = [];
  const name: (string | null)[] = [];
  const sealed: string[] = [];
  for (const row of rows) {
    row.recipients.forEach((r, i) => {
      recording.push(row.id);
      position.push(i);
      kid.push(r.kid);
      name.push(r.name ?? null);
      sealed.push(r.sealedKey);
    });
  }
  return [recording, position, kid, name, sealed];
}

export const INSERT_KEYS = `INSERT INTO recording_keys (recording, position, kid, name, sealed_key)
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[])`;
