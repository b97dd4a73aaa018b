/**
 * The gateway's log in the embedded store: a table of the SQLite index, one
 * row per entry, the entry kept as the JSON the gateway signed.
 *
 *   log(seq INTEGER PRIMARY KEY, recording, kind, entry JSON)
 *
 * An append reads the last entry and inserts the next inside one
 * `BEGIN IMMEDIATE` transaction: SQLite's write lock orders appends from
 * every process that opens the store, so they form one chain. Appends are
 * committed with `synchronous = FULL` (a power loss does not take back an
 * entry); the rest of the index keeps `NORMAL`.
 */
import type Database from 'libsql';
import { StoreError } from '../errors.js';
import type { LogEntry } from '../seal/log.js';

const LOG_SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  seq INTEGER PRIMARY KEY,
  recording TEXT NOT NULL,
  kind TEXT NOT NULL,
  entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_recording ON log (recording, seq);
`;

const PAGE = 1000;

interface LogRow {
  seq: number;
  entry: string;
}

function parseRow(row: LogRow): LogEntry {
  try {
    return JSON.parse(row.entry) as LogEntry;
  } catch (cause) {
    throw new StoreError(`log entry seq ${row.seq} is not valid JSON`, { cause });
  }
}

export class SqliteLog {
  constructor(private readonly db: Database.Database) {
    db.exec(LOG_SCHEMA);
  }

  append(make: (last: LogEntry | null) => LogEntry): LogEntry {
    const db = this.db;
    db.exec('PRAGMA synchronous = FULL');
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        const row = db.prepare('SELECT seq, entry FROM log ORDER BY seq DESC LIMIT 1').get() as LogRow | undefined;
        const entry = make(row ? parseRow(row) : null);
        const next = row ? row.seq + 1 : 0;
        if (entry.seq !== next) throw new StoreError(`log entry seq ${entry.seq} does not follow the last one (expected seq ${next})`);
        db.prepare('INSERT INTO log (seq, recording, kind, entry) VALUES (?, ?, ?, ?)').run(entry.seq, entry.recording, entry.kind, JSON.stringify(entry));
        db.exec('COMMIT');
        return entry;
      } catch (err) {
        // SQLite has already rolled back after some errors (an I/O error, a full
        // disk); the error worth reporting is the one that ended the append.
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      db.exec('PRAGMA synchronous = NORMAL');
    }
  }

  /** Entries in seq order, read a page at a time. */
  *read(): Generator<LogEntry> {
    const page = this.db.prepare('SELECT seq, entry FROM log WHERE seq > ? ORDER BY seq LIMIT ?');
    let after = -1;
    for (;;) {
      const rows = page.all(after, PAGE) as LogRow[];
      for (const row of rows) yield parseRow(row);
      if (rows.length < PAGE) return;
      after = rows.at(-1)!.seq;
    }
  }
}
