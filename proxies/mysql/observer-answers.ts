/**
 * The server half of the MySQL observer (observer.ts): one packet of the answer to the
 * command at the head of the queue, read as that command's phase says (see the answers in
 * observer.ts's header), into the transcript and the command's run. Each step says whether
 * the answer is over; the observer then records the run and moves the queue on.
 *
 * A packet is `bytes[start, end)`: the framer's chunk, where a packet that lies whole in it
 * is read in place, or a payload of its own. The packets every answer is made of (column
 * counts and definitions, rows, EOF and OK) are read where they lie; the rare ones are read
 * from a view of their own.
 */
import { ProtocolError } from '../../src/errors.js';
import { textFacts } from '../../src/transcript/index.js';
import { Command } from './protocol/commands.js';
import { decodeStmtPrepareOk } from './protocol/statement-commands.js';
import {
  Header,
  PROGRESS_REPORT_CODE,
  ServerStatus,
  SessionTrack,
  decodeEof,
  decodeErr,
  decodeLocalInfileRequest,
  decodeOk,
  decodeResultSetEnd,
  isResultSetEnd,
} from './protocol/packets.js';
import { decodeColumnCount, type ColumnDefinition } from './protocol/resultset.js';
import type { ObserverContext } from './observer-context.js';
import { cachedColumns, decoded, keep, MAX_KEPT_PARAM, Phase, plural, remember, unnamedColumn, warnings, type Pending, type Statement } from './observer-state.js';
import { addRow } from './rows.js';

/** One packet of the head's answer, `bytes[start, end)`; true when it ends the answer. */
export function step(c: ObserverContext, p: Pending, bytes: Buffer, start: number, end: number, truncated: boolean, total: number): boolean {
  const first = end > start ? bytes[start]! : -1;
  switch (p.phase) {
    case Phase.Single:
      if (first === Header.Ok) c.status(decoded(decodeOk, bytes, c.capabilities, start, end));
      else if (first === Header.Err) {
        const e = decodeErr(bytes, c.capabilities, start, end);
        if (e.code === PROGRESS_REPORT_CODE) return false;
        if (p.run) c.writer.failed(p.run, e);
        return true;
      } else if (first === Header.Eof && end - start < 9) c.status(decoded(decodeEof, bytes, c.capabilities, start, end));
      if (p.command === Command.COM_INIT_DB && first === Header.Ok) {
        c.database = p.schema ?? c.database;
        c.out.tty(c.transcript.commandTag('Database changed'));
      }
      return true;
    case Phase.Auth:
      if (first === Header.Ok) {
        c.status(decoded(decodeOk, bytes, c.capabilities, start, end));
        if (p.schema !== undefined) c.database = p.schema === '' ? null : p.schema;
        return true;
      }
      return first === Header.Err;
    case Phase.UntilEnd:
      if (first === Header.Err) return decodeErr(bytes, c.capabilities, start, end).code !== PROGRESS_REPORT_CODE;
      if (isResultSetEnd(first, total)) {
        c.status(decoded(decodeResultSetEnd, bytes, c.capabilities, start, end));
        return true;
      }
      return false;
    case Phase.Fetch:
      return fetched(c, p, bytes, start, end, first, truncated, total);
    case Phase.First:
    case Phase.Infile:
      return answerStart(c, p, bytes, start, end, first);
    case Phase.Columns: {
      const run = p.run!;
      run.columns.push(columnDefinition(c, bytes, start, end, run.columns.length));
      if (run.columns.length >= run.expected) {
        // What a client caches for the statement is the latest metadata the server sent.
        if (p.statement && (p.command === Command.COM_STMT_EXECUTE || p.command === Command.COM_STMT_BULK_EXECUTE)) p.statement.columns = run.columns;
        if (c.deprecateEof) startRows(c, p);
        else p.phase = Phase.ColumnsEof;
      }
      return false;
    }
    case Phase.ColumnsEof: {
      const eof = decoded(decodeEof, bytes, c.capabilities, start, end);
      c.status(eof);
      startRows(c, p);
      // An execute that opened a cursor: the rows come with COM_STMT_FETCH.
      if (eof && eof.statusFlags & ServerStatus.SERVER_STATUS_CURSOR_EXISTS) return openCursor(p);
      return false;
    }
    case Phase.Rows:
      return row(c, p, bytes, start, end, first, truncated, total);
    case Phase.PrepareDefs:
      return prepareDef(c, p, bytes, start, end);
    default:
      return true;
  }
}

/** The start of an answer to a query or execute (or what follows a result set or LOCAL INFILE). */
function answerStart(c: ObserverContext, p: Pending, bytes: Buffer, start: number, end: number, first: number): boolean {
  if (p.command === Command.COM_STMT_PREPARE) return prepareOk(c, p, bytes, start, end, first);
  const run = p.run;
  if (run?.bulk) c.writer.readBulk(run.bulk);
  if (first === Header.Err) {
    const e = decodeErr(bytes, c.capabilities, start, end);
    if (e.code === PROGRESS_REPORT_CODE) return false;
    if (run) {
      c.writer.infileDone(run);
      c.writer.failed(run, e);
    }
    return true;
  }
  if (first === Header.Ok) {
    const ok = decodeOk(bytes, c.capabilities, start, end);
    c.status(ok);
    if (run) {
      c.writer.infileDone(run);
      run.rows += Number(ok.affectedRows);
      if (ok.statusFlags & ServerStatus.SERVER_STATUS_DB_DROPPED) c.database = null;
      else if (!ok.sessionStateChanges?.some((change) => change.type === SessionTrack.Schema)) c.useStatement(run.text);
      if (!run.silent) {
        c.out.tty(c.transcript.commandTag(`Query OK, ${plural(Number(ok.affectedRows), 'row', 'rows')} affected${warnings(ok.warnings)}`));
        if (ok.info !== '') c.out.tty(c.transcript.commandTag(ok.info));
        c.out.tty(c.transcript.commandTag(''));
      }
    }
    return (ok.statusFlags & ServerStatus.SERVER_MORE_RESULTS_EXISTS) === 0;
  }
  if (first === Header.LocalInfile) {
    const file = decodeLocalInfileRequest(bytes.subarray(start, end)).filename;
    if (!c.localInfile) {
      c.violation = new ProtocolError(['mysql', 'server'], `the target asked for the client's file '${keep(file, 256)}' with LOAD DATA LOCAL INFILE, which this target is not allowed`);
      c.note(`recgate: the target asked for the client's file '${keep(file, 256)}'; refused`);
      return true;
    }
    if (run) run.infile = { file: keep(file, MAX_KEPT_PARAM), bytes: 0 };
    p.phase = Phase.Infile;
    return false;
  }
  // A result set answering a command not shown (COM_PROCESS_INFO …) is followed, not shown.
  p.run ??= c.newRun('', false, undefined, p.start, false, true);
  // With MARIADB_CLIENT_CACHE_METADATA in force MariaDB sends the metadata-follows byte in every
  // result set's column count, text protocol too (always 1 there: only executes leave metadata out).
  const count = decodeColumnCount(bytes, c.capabilities, c.mariadbCapabilities, start, end);
  p.run!.columns = [];
  p.run!.expected = count.count;
  if (!count.metadataFollows) {
    // Metadata caching: the server left out the definitions the client holds from before.
    // The statement's own array when it has them all (nobody changes a run's columns once collected).
    p.run!.columns = cachedColumns(p.statement?.columns ?? [], count.count);
    if (c.deprecateEof) startRows(c, p);
    else p.phase = Phase.ColumnsEof;
    return false;
  }
  p.phase = Phase.Columns;
  return false;
}

/** Column `index`'s definition in a result set; one that cannot be read is named by position. */
function columnDefinition(c: ObserverContext, bytes: Buffer, start: number, end: number, index: number): ColumnDefinition {
  try {
    return c.resultColumns.definition(bytes, index, start, end);
  } catch {
    return unnamedColumn(index);
  }
}

/** The column definitions are in: rows come next, into a collector laid out for them. */
function startRows(c: ObserverContext, p: Pending): void {
  const run = p.run!;
  run.result = c.resultColumns.collector(run.columns, c.maxRows);
  p.phase = Phase.Rows;
}

/** A row of the result set, or its end (or an ERR cutting it short). */
function row(c: ObserverContext, p: Pending, bytes: Buffer, start: number, end: number, first: number, truncated: boolean, total: number): boolean {
  const run = p.run!;
  if (first === Header.Err) {
    const e = decodeErr(bytes, c.capabilities, start, end);
    if (e.code === PROGRESS_REPORT_CODE) return false;
    c.writer.flush(run);
    c.writer.failed(run, e);
    return true;
  }
  if (isResultSetEnd(first, total)) {
    const last = decoded(decodeResultSetEnd, bytes, c.capabilities, start, end);
    c.status(last);
    // Under CLIENT_DEPRECATE_EOF an execute that opened a cursor ends its metadata with this packet.
    if (last && last.statusFlags & ServerStatus.SERVER_STATUS_CURSOR_EXISTS && run.rows === 0 && p.command === Command.COM_STMT_EXECUTE) return openCursor(p);
    c.writer.flush(run);
    const more = last !== undefined && (last.statusFlags & ServerStatus.SERVER_MORE_RESULTS_EXISTS) !== 0;
    p.phase = Phase.First;
    return !more;
  }
  addRow(run, bytes, truncated, start, end);
  return false;
}

/**
 * An execute opened a cursor: its statement is shown, its result waits for the rows
 * COM_STMT_FETCH brings, and its event goes out when the cursor is done.
 */
function openCursor(p: Pending): boolean {
  const run = p.run;
  if (run && p.statement) {
    p.statement.cursor = run;
    p.run = undefined;
  }
  return true;
}

/** One packet answering COM_STMT_FETCH: a row, or the end (the cursor is done after its last row). */
function fetched(c: ObserverContext, p: Pending, bytes: Buffer, start: number, end: number, first: number, truncated: boolean, total: number): boolean {
  const statement = p.statement;
  const run = statement?.cursor;
  if (first === Header.Err) {
    const e = decodeErr(bytes, c.capabilities, start, end);
    if (e.code === PROGRESS_REPORT_CODE) return false;
    if (run) {
      c.writer.flush(run);
      c.writer.failed(run, e);
      c.closeCursor(statement!);
    }
    return true;
  }
  if (isResultSetEnd(first, total)) {
    const last = decoded(decodeResultSetEnd, bytes, c.capabilities, start, end);
    c.status(last);
    if (statement && last && last.statusFlags & ServerStatus.SERVER_STATUS_LAST_ROW_SENT) c.closeCursor(statement);
    return true;
  }
  if (run?.result) addRow(run, bytes, truncated, start, end);
  return false;
}

/** PREPARE_OK (the statement is remembered, its definitions follow) or the ERR a failed prepare shows. */
function prepareOk(c: ObserverContext, p: Pending, bytes: Buffer, start: number, end: number, first: number): boolean {
  const prepare = p.prepare!;
  if (first === Header.Err) {
    const e = decodeErr(bytes, c.capabilities, start, end);
    if (e.code === PROGRESS_REPORT_CODE) return false;
    // Nothing showed this statement yet: it goes in with its error.
    p.run = c.begin(prepare.text, prepare.cut, undefined, p.start, false);
    c.writer.failed(p.run, e);
    return true;
  }
  const ok = decodeStmtPrepareOk(bytes.subarray(start, end), c.capabilities);
  const statement: Statement = { text: prepare.text, facts: textFacts(prepare.text), cut: prepare.cut, paramCount: ok.paramCount, columns: [], types: undefined, longData: new Map() };
  remember(c.statements, ok.statementId, statement);
  c.lastPrepared = ok.statementId;
  const eof = c.deprecateEof ? 0 : 1;
  const paramDefs = ok.metadataFollows && ok.paramCount > 0 ? ok.paramCount + eof : 0;
  const columnDefs = ok.metadataFollows && ok.columnCount > 0 ? ok.columnCount + eof : 0;
  prepare.ok = { statement, paramDefs, columnCount: ok.metadataFollows ? ok.columnCount : 0, columnDefs, seen: 0 };
  p.phase = Phase.PrepareDefs;
  return paramDefs + columnDefs === 0;
}

/** One definition (or EOF) after PREPARE_OK; true after the last. */
function prepareDef(c: ObserverContext, p: Pending, bytes: Buffer, start: number, end: number): boolean {
  // Parameter definitions (their types say nothing useful: servers send VAR_STRING), [EOF],
  // column definitions, [EOF].
  const ok = p.prepare!.ok!;
  const column = ok.seen++ - ok.paramDefs;
  if (column >= 0 && column < ok.columnCount) {
    // Through the cache: statements answered alike share definitions, and so their layouts.
    ok.statement.columns.push(columnDefinition(c, bytes, start, end, column));
  } else if (!c.deprecateEof && (column === ok.columnCount || column === -1)) {
    c.status(decoded(decodeEof, bytes, c.capabilities, start, end));
  }
  return ok.seen >= ok.paramDefs + ok.columnDefs;
}
