/**
 * What a statement the MySQL observer followed becomes: its result table,
 * its error as the client prints it, the LOCAL INFILE line, a bulk
 * execute's rows, and its `query` events. The observer decides when; this
 * writes the transcript text and events.
 */
import { INTERRUPTED, noteStatementText, Transcript, queryEvent, type QueryInput } from '../../src/transcript/index.js';
import type { ObserverOutput } from '../wire/relay.js';
import { decodeStmtBulkExecute } from './protocol/bulk.js';
import type { ErrPacket } from './protocol/packets.js';
import { attempt, bulkParam, MAX_BULK_ROWS, plural, type Run } from './observer-state.js';

export class RunWriter {
  constructor(
    private readonly out: ObserverOutput,
    readonly transcript: Transcript,
  ) {}

  /** Prints a result set collected so far and forgets it. */
  flush(run: Run): void {
    if (!run.result) return;
    if (!run.silent) this.out.table(run.result.payload());
    run.result.done();
    run.result = undefined;
  }

  failed(run: Run, e: ErrPacket): void {
    run.error = e;
    if (run.silent) return;
    const head = e.sqlState === '' ? `ERROR ${e.code}` : `ERROR ${e.code} (${e.sqlState})`;
    this.out.tty(this.transcript.commandTag(`${head}: ${e.message}`));
  }

  /** The LOCAL INFILE data that went by, counted, once the server answers it. */
  infileDone(run: Run): void {
    const infile = run.infile;
    if (!infile) return;
    run.infile = undefined;
    const file = infile.file.replaceAll("'", "''");
    this.out.tty(this.transcript.commandTag(`-- LOAD DATA LOCAL INFILE '${file}': ${plural(infile.bytes, 'byte', 'bytes')} from client (not recorded)`));
    this.out.event({ type: 'load-data-local', file: infile.file, bytes: infile.bytes });
  }

  /**
   * Reads a bulk execute's rows once its answer starts (the client has that answer first):
   * `-- bulk execute: N rows of parameters` in the transcript.
   */
  readBulk(bulk: NonNullable<Run['bulk']>): void {
    const payload = bulk.payload;
    if (!payload) return;
    bulk.payload = null;
    const statement = bulk.statement;
    bulk.cut = bulk.truncated;
    const b = statement ? attempt(() => decodeStmtBulkExecute(payload, statement.paramCount, statement.types, bulk.truncated)) : undefined;
    if (statement && b) {
      if (b.typesSent) statement.types = b.types;
      bulk.rows = b.rows.slice(0, MAX_BULK_ROWS).map((row) => row.map((v, i) => bulkParam(v, b.types[i]!)));
      bulk.cut ||= b.cut || b.rows.length > MAX_BULK_ROWS;
    }
    this.out.tty(this.transcript.commandTag(`-- bulk execute: ${b ? plural(bulk.rows.length, 'row', 'rows') : 'rows not read'} of parameters${bulk.cut ? ' (more not read)' : ''}`));
  }

  /**
   * A bulk execute's events: one query event per row with its parameters and `bulkRow` (1-based) of `bulkRows`; the
   * answer (rows affected, error, duration) is the whole command's, on the last.
   */
  emitBulk(run: Run, bulk: NonNullable<Run['bulk']>): void {
    this.readBulk(bulk);
    const durationMs = Math.max(0, this.out.now() - run.start);
    const { rows, cut } = bulk;
    const n = Math.max(rows.length, 1);
    for (let i = 0; i < n; i++) {
      const q: QueryInput = { text: run.text, durationMs };
      const row = rows[i];
      if (row) q.params = row;
      if (i === n - 1) {
        q.rows = run.rows;
        if (run.error) q.error = { code: run.error.sqlState === '' ? String(run.error.code) : `${run.error.code} (${run.error.sqlState})`, message: run.error.message };
        else if (run.interrupted) q.error = { message: INTERRUPTED };
      }
      if (run.cut || cut) q.truncated = true;
      if (run.database !== null) q.database = run.database;
      const e = queryEvent(q);
      e['bulkRow'] = i + 1;
      e['bulkRows'] = rows.length;
      this.out.event(e);
    }
  }

  emitQuery(run: Run): void {
    if (run.silent) return;
    if (run.bulk) return this.emitBulk(run, run.bulk);
    const e = run.error;
    // Field by field rather than spreads: one event per statement.
    const q: QueryInput = { text: run.text, durationMs: Math.max(0, this.out.now() - run.start), rows: run.rows };
    if (run.params) q.params = run.params;
    if (e) q.error = { code: e.sqlState === '' ? String(e.code) : `${e.code} (${e.sqlState})`, message: e.message };
    else if (run.interrupted) q.error = { message: INTERRUPTED };
    if (run.cut) q.truncated = true;
    if (run.database !== null) q.database = run.database;
    // Other sessions' statements may have been shown since this one's line.
    if (run.facts) noteStatementText(run.facts);
    const event = queryEvent(q);
    if (this.out.query) this.out.query(event);
    else this.out.event(event);
  }
}
