/**
 * The client half of the MySQL observer (observer.ts): a command that reached the head of
 * the queue is decoded, shown at the prompt, and told how its answer will be read (its
 * phase). Commands the server does not answer (UNANSWERED) take effect here and are done.
 */
import { Command, decodeChangeUser, decodeFieldList, decodeInitDb } from './protocol/commands.js';
import { decodeQuery } from './protocol/query-command.js';
import {
  decodeStmtClose,
  decodeStmtExecute,
  decodeStmtPrepare,
  decodeStmtReset,
  decodeStmtSendLongData,
  type StmtExecuteContext,
} from './protocol/statement-commands.js';
import type { ObserverContext } from './observer-context.js';
import { decoded, keep, MAX_KEPT_PARAM, MAX_KEPT_TEXT, paramTypes, Phase, sameTypes, shownParams, type Pending } from './observer-state.js';

/**
 * Decodes a command, shows it, and sets how its answer is read. Queries and executes, the
 * commands of every statement, are read where they lie; the others from a view of their own.
 */
export function activate(c: ObserverContext, p: Pending): void {
  const bytes = p.payload!;
  const start = p.payloadAt;
  const end = p.payloadEnd;
  switch (p.command) {
    case Command.COM_QUERY: {
      p.phase = Phase.First;
      const text = decoded(decodeQuery, bytes, c.capabilities, start, end)?.query ?? bytes.toString('utf8', start + 1, end);
      p.run = c.begin(text, p.truncated, undefined, p.start, false);
      return;
    }
    case Command.COM_STMT_EXECUTE:
      p.phase = Phase.First;
      return execute(c, p, bytes, start, end);
    default:
      return activateOther(c, p, bytes.subarray(start, end));
  }
}

function activateOther(c: ObserverContext, p: Pending, payload: Buffer): void {
  switch (p.command) {
    case Command.COM_STMT_PREPARE: {
      const text = decoded(decodeStmtPrepare, payload, c.capabilities)?.query ?? payload.toString('utf8', 1);
      p.phase = Phase.First;
      p.prepare = { text: keep(text, MAX_KEPT_TEXT), cut: p.truncated || text.length > MAX_KEPT_TEXT };
      return;
    }
    case Command.COM_STMT_BULK_EXECUTE:
      p.phase = Phase.First;
      return bulkExecute(c, p, payload);
    case Command.COM_STMT_SEND_LONG_DATA: {
      const d = decodeStmtSendLongData(payload);
      const statement = c.statements.get(c.statementId(d.statementId));
      if (statement) {
        const had = statement.longData.get(d.paramId) ?? { head: Buffer.alloc(0), bytes: 0 };
        const room = Math.max(0, MAX_KEPT_PARAM - had.head.length);
        const head = room > 0 ? Buffer.concat([had.head, d.data.subarray(0, room)]) : had.head;
        // The framer may have cut a long packet: it counts in full (its length less the 7-byte header).
        statement.longData.set(d.paramId, { head, bytes: had.bytes + Math.max(d.data.length, p.total - 7) });
      }
      return;
    }
    case Command.COM_STMT_CLOSE: {
      const id = c.statementId(decodeStmtClose(payload).statementId);
      const statement = c.statements.get(id);
      if (statement) c.closeCursor(statement);
      c.statements.delete(id);
      return;
    }
    case Command.COM_QUIT:
      c.clientLeft = true;
      return;
    case Command.COM_STMT_RESET: {
      const statement = c.statements.get(c.statementId(decodeStmtReset(payload).statementId));
      if (statement) c.closeCursor(statement);
      statement?.longData.clear();
      return;
    }
    case Command.COM_INIT_DB: {
      const schema = decodeInitDb(payload).schema;
      p.schema = schema;
      p.run = c.begin(`USE \`${schema.replaceAll('`', '``')}\``, false, undefined, p.start, false);
      return;
    }
    case Command.COM_RESET_CONNECTION:
      c.closeCursors();
      c.statements.clear();
      return;
    case Command.COM_CHANGE_USER:
      p.phase = Phase.Auth;
      c.closeCursors();
      c.statements.clear();
      p.schema = decodeChangeUser(payload, c.capabilities).schema;
      return;
    case Command.COM_FIELD_LIST:
      decodeFieldList(payload);
      p.phase = Phase.UntilEnd;
      return;
    case Command.COM_STMT_FETCH: {
      p.phase = Phase.Fetch;
      const statement = c.statements.get(c.statementId(payload.readUInt32LE(1)));
      if (statement) p.statement = statement;
      return;
    }
    case Command.COM_STATISTICS:
    case Command.COM_SET_OPTION:
    case Command.COM_PING:
      return;
    default:
      // Others answer OK or ERR (or a result set, e.g. COM_PROCESS_INFO): followed, not shown.
      p.phase = Phase.First;
      p.run = c.newRun('', false, undefined, p.start, false, true);
      return;
  }
}

function execute(c: ObserverContext, p: Pending, bytes: Buffer, start: number, end: number): void {
  const id = c.statementId(end - start >= 5 ? bytes.readUInt32LE(start + 1) : -1);
  const statement = c.statements.get(id);
  let params: (string | null)[] | undefined;
  if (statement) {
    // A new execute closes the statement's cursor on the server.
    c.closeCursor(statement);
    p.statement = statement;
    const longData = statement.longData;
    // Built without spreads, and the long-data set only when there is long data: this runs per execute.
    const context: StmtExecuteContext = { paramCount: statement.paramCount, capabilities: c.capabilities };
    if (statement.types) context.previousTypes = statement.types;
    if (longData.size > 0) context.longData = new Set(longData.keys());
    const e = decodeExecute(bytes, start, end, context);
    if (e?.params) {
      // The same types as last time (the common case) keep the copy of last time.
      if (e.newParamsBound && !sameTypes(statement.types, e.params)) statement.types = paramTypes(e.params);
      params = shownParams(e.params, statement.paramCount, longData);
    }
    // The server forgets long data once a statement is executed (a Map's clear() allocates even when empty).
    if (longData.size > 0) longData.clear();
  }
  const text = statement?.text ?? `EXECUTE statement ${id < 0 ? '?' : id}`;
  p.run = c.begin(text, statement?.cut ?? false, params, p.start, true, statement?.facts);
}

/**
 * MariaDB's bulk execute: the statement once in the transcript; its rows are read when the
 * answer has come (RunWriter.emitBulk), so that the client has the answer first.
 */
function bulkExecute(c: ObserverContext, p: Pending, payload: Buffer): void {
  const id = c.statementId(payload.length >= 5 ? payload.readUInt32LE(1) : -1);
  const statement = c.statements.get(id);
  if (statement) {
    c.closeCursor(statement);
    p.statement = statement;
    statement.longData.clear();
  }
  const run = c.begin(statement?.text ?? `EXECUTE statement ${id < 0 ? '?' : id}`, statement?.cut ?? false, undefined, p.start, true);
  run.bulk = { payload, truncated: p.truncated, statement, rows: [], cut: false };
  p.run = run;
}

/** A COM_STMT_EXECUTE, or undefined when it cannot be read (its parameters are then left out). */
function decodeExecute(bytes: Buffer, start: number, end: number, context: StmtExecuteContext): ReturnType<typeof decodeStmtExecute> | undefined {
  try {
    return decodeStmtExecute(bytes, context, start, end);
  } catch {
    return undefined;
  }
}
