/**
 * The SQLite index of the embedded store: one row per recording with the
 * clear metadata, so listing and filtering never opens recording folders.
 * The folders stay the source of truth; the index can be rebuilt from them.
 *
 * libsql is used rather than better-sqlite3: it ships prebuilt binaries for
 * Node 20 (better-sqlite3 13 crashes there and 12.x compiles from source) and
 * keeps the same synchronous API.
 */
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'libsql';
import type { RecordingStatus } from '../seal/manifest.js';
import { SqliteLog } from './sqlite-log.js';
import type { ListFilter, RecordingSummary } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS recordings (
  id TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  target TEXT NOT NULL,
  protocol TEXT NOT NULL,
  client_address TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  bytes INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  end_reason TEXT,
  recipients TEXT NOT NULL,
  owner TEXT
);
CREATE INDEX IF NOT EXISTS recordings_started ON recordings (started_at);
CREATE INDEX IF NOT EXISTS recordings_started_id ON recordings (started_at, id);
CREATE INDEX IF NOT EXISTS recordings_user ON recordings (user, started_at);
CREATE INDEX IF NOT EXISTS recordings_target ON recordings (target, started_at);
CREATE INDEX IF NOT EXISTS recordings_status ON recordings (status);
`;

/** How long a statement waits for another process's lock (the busy timeout), and opening for the switch to WAL. */
const BUSY_MS = 5000;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Switches the database to WAL (the file keeps it once switched). SQLite answers the switch with
 * SQLITE_BUSY at once, without running the busy handler, while another connection holds the
 * write lock: a second process creating the schema of the same new data directory. So the switch
 * is retried here, pausing between tries, for as long as the busy timeout would wait.
 */
function useWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_MS;
  for (let pause = 2; ; pause = Math.min(2 * pause, 100)) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      Atomics.wait(PAUSE, 0, 0, pause);
    }
  }
}

interface Row {
  id: string;
  user: string;
  target: string;
  protocol: string;
  client_address: string;
  started_at: string;
  ended_at: string | null;
  bytes: number;
  status: string;
  end_reason: string | null;
  recipients: string;
  owner: string | null;
}

export interface IndexEntry {
  id: string;
  user: string;
  target: string;
  protocol: string;
  clientAddress: string;
  startedAt: string;
  recipients: string[];
  owner: string;
}

export class SqliteIndex {
  private readonly db: Database.Database;
  /** The gateway's log, a table of the same database. */
  readonly log: SqliteLog;

  constructor(path: string) {
    createPrivate(path);
    this.db = new Database(path);
    this.db.exec(`PRAGMA busy_timeout = ${BUSY_MS}`);
    useWal(this.db);
    this.db.exec('PRAGMA synchronous = NORMAL;');
    this.db.exec(SCHEMA);
    this.log = new SqliteLog(this.db);
  }

  insert(e: IndexEntry): void {
    this.db
      .prepare(
        `INSERT INTO recordings (id, user, target, protocol, client_address, started_at, status, recipients, owner)
         VALUES (?, ?, ?, ?, ?, ?, 'recording', ?, ?)`,
      )
      .run(e.id, e.user, e.target, e.protocol, e.clientAddress, e.startedAt, JSON.stringify(e.recipients), e.owner);
  }

  /** A finished recording in one row (an import): its status, end and size as given. */
  insertFinished(e: Omit<IndexEntry, 'owner'>, end: { status: RecordingStatus; endedAt: string; endReason: string; bytes: number }): void {
    this.db
      .prepare(
        `INSERT INTO recordings (id, user, target, protocol, client_address, started_at, ended_at, bytes, status, end_reason, recipients, owner)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(e.id, e.user, e.target, e.protocol, e.clientAddress, e.startedAt, end.endedAt, end.bytes, end.status, end.endReason, JSON.stringify(e.recipients));
  }

  setBytes(id: string, bytes: number): void {
    this.db.prepare('UPDATE recordings SET bytes = ? WHERE id = ?').run(bytes, id);
  }

  end(id: string, status: RecordingStatus, endedAt: string, endReason: string, bytes: number): void {
    this.db
      .prepare('UPDATE recordings SET status = ?, ended_at = ?, end_reason = ?, bytes = ?, owner = NULL WHERE id = ?')
      .run(status, endedAt, endReason, bytes, id);
  }

  setRecipients(id: string, kids: string[]): void {
    this.db.prepare('UPDATE recordings SET recipients = ? WHERE id = ?').run(JSON.stringify(kids), id);
  }

  get(id: string): RecordingSummary | undefined {
    const row = this.db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as Row | undefined;
    return row && toSummary(row);
  }

  list(filter: ListFilter = {}): RecordingSummary[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      params.push(value);
    };
    if (filter.user !== undefined) add('user = ?', filter.user);
    if (filter.target !== undefined) add('target = ?', filter.target);
    if (filter.protocol !== undefined) add('protocol = ?', filter.protocol);
    if (filter.status !== undefined) add('status = ?', filter.status);
    if (filter.since !== undefined) add('started_at >= ?', filter.since);
    if (filter.until !== undefined) add('started_at < ?', filter.until);
    for (const [column, values] of [['user', filter.users], ['target', filter.targets]] as const) {
      if (values === undefined) continue;
      where.push(values.length === 0 ? '0' : `${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    }
    const dir = filter.descending ? 'DESC' : 'ASC';
    if (filter.after !== undefined) {
      where.push(`(started_at, id) ${filter.descending ? '<' : '>'} (?, ?)`);
      params.push(filter.after.startedAt, filter.after.id);
    }
    const sql =
      'SELECT * FROM recordings' +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY started_at ${dir}, id ${dir}` +
      (filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '');
    return (this.db.prepare(sql).all(...params) as Row[]).map(toSummary);
  }

  /** Recordings still marked `recording` whose owner is not `liveOwner`. */
  orphans(liveOwner: string): { id: string; owner: string | null }[] {
    return this.db
      .prepare("SELECT id, owner FROM recordings WHERE status = 'recording' AND (owner IS NULL OR owner <> ?)")
      .all(liveOwner) as { id: string; owner: string | null }[];
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM recordings WHERE id = ?').run(id);
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Creates the database file readable by its owner only before SQLite opens
 * it (its -wal and -shm files take the same mode); an older, wider file is
 * narrowed when this process may.
 *
 * An existing file is never opened here: closing any descriptor of a file
 * drops every POSIX lock this process holds on it, including those of a
 * connection still open on the same database (libsql keeps a closed
 * connection alive until its statements are collected). Without its locks,
 * another process takes itself for the last reader, checkpoints and removes
 * the WAL under this one: committed log entries went missing and reads
 * failed with SQLITE_IOERR_SHORT_READ. (sqlite.org, "How To Corrupt An
 * SQLite Database File", 2.2.)
 */
function createPrivate(path: string): void {
  try {
    // O_CREAT | O_EXCL: fails on an existing file without opening it.
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // absent, or not ours to change (an auditor reading another account's store)
    }
  }
}

function toSummary(row: Row): RecordingSummary {
  const ended = row.ended_at;
  return {
    id: row.id,
    user: row.user,
    target: row.target,
    protocol: row.protocol,
    clientAddress: row.client_address,
    startedAt: row.started_at,
    endedAt: ended,
    durationMs: ended === null ? null : Date.parse(ended) - Date.parse(row.started_at),
    bytes: row.bytes,
    status: row.status as RecordingStatus,
    endReason: row.end_reason,
    recipients: JSON.parse(row.recipients) as string[],
  };
}
