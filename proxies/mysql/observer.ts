/**
 * Watches a logged-in MySQL/MariaDB connection from the side and turns it
 * into what an auditor reads: a transcript like the mariadb command-line
 * client's (prompt, statement, bound parameters, the result table capped at
 * maxRows, `Query OK, …` or the error) and one `query` event per statement.
 * It sees the bytes the relay forwards, through one PacketFramer per
 * direction (its `client` and `server` sinks), and never changes them.
 *
 * How responses are matched to commands (MySQL Source Code Documentation,
 * "Client/Server Protocol", "Command Phase"): a client message with sequence
 * id 0 starts a command; the server answers commands in order, so commands
 * are queued and server packets answer the head of the queue. A command
 * becomes "active" (is decoded and shown) when it reaches the head, so that
 * with pipelining (MariaDB connectors send COM_STMT_PREPARE and
 * COM_STMT_EXECUTE with statement id 0xFFFFFFFF back to back) an execute
 * finds the statement its PREPARE_OK defined, and the transcript keeps the
 * order a client would have shown. Commands the server does not answer
 * (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA, COM_QUIT) are queued too, and
 * take effect when they reach the head. Client packets with another
 * sequence id are LOCAL INFILE data (counted, never decoded) or
 * authentication data of COM_CHANGE_USER (ignored).
 *
 *   COM_QUERY, COM_STMT_EXECUTE → (OK | ERR | LOCAL INFILE request … OK|ERR
 *                                  | column count, column definitions, [EOF], rows, EOF|OK|ERR)
 *                                 repeated while SERVER_MORE_RESULTS_EXISTS
 *   COM_STMT_PREPARE            → ERR | PREPARE_OK, param definitions [EOF], column definitions [EOF]
 *   COM_FIELD_LIST              → ERR | column definitions, EOF (OK under CLIENT_DEPRECATE_EOF)
 *   COM_STMT_FETCH              → ERR | rows, EOF
 *   COM_CHANGE_USER             → authentication exchange, then OK | ERR
 *   COM_STATISTICS, COM_SET_OPTION, COM_INIT_DB, COM_PING, … → one packet
 *
 * The transcript, in the shared form of src/transcript:
 * - prompt: the client's default `MariaDB [db]> ` (`MySQL [db]> ` when the
 *   greeting said MySQL; `(none)` without a
 *   database), with `*` before the `>` while the server reports
 *   SERVER_STATUS_IN_TRANS (the mysql client's `\T` prompt escape):
 *   `MariaDB [app]*> `; continuation lines get the client's `    -> `;
 * - a statement as the client sent it (the client strips the `;`);
 * - prepared statements: the statement at each COM_STMT_EXECUTE, then its
 *   parameters as Transcript.parameters shows them (`-- $1 = '42', $2 = NULL`;
 *   a value sent with COM_STMT_SEND_LONG_DATA shows its first
 *   MAX_KEPT_PARAM bytes); a successful COM_STMT_PREPARE shows nothing, a
 *   failed one its statement and the error;
 * - result sets: the shared table (numeric columns right-aligned, as
 *   RIGHT_ALIGNED_TYPES says) with the shared `(N rows)` footer, which also
 *   says when rows were left out; statements without rows: the mariadb
 *   client's `Query OK, N rows affected[, W warnings]`, then the server's
 *   info line (`Records: 3  Duplicates: 0  Warnings: 0`) if any, then a blank
 *   line; the client's timing `(0.001 sec)` is left out (the event has it);
 * - MariaDB's COM_STMT_BULK_EXECUTE: the statement once and `-- bulk
 *   execute: N rows of parameters`, then its answer; with
 *   MARIADB_CLIENT_CACHE_METADATA an execute answered without column
 *   definitions is read with those the client holds (the last the server
 *   sent for the statement, by PREPARE_OK or an execute);
 * - COM_INIT_DB: ``USE `db` `` and `Database changed`;
 * - errors as the client prints them: `ERROR 1146 (42S02): Table 'app.nope'
 *   doesn't exist` (`ERROR 2013: …` without SQLSTATE);
 * - LOAD DATA LOCAL INFILE: `-- LOAD DATA LOCAL INFILE 'f': N bytes from
 *   client (not recorded)`, and a `load-data-local` event { file, bytes }.
 *
 * Events: one `query` event per COM_QUERY (as the PostgreSQL observer does
 * for a simple Query holding several statements: rows summed over its
 * result sets and OK packets, the first error ends it), per
 * COM_STMT_EXECUTE, per row of a COM_STMT_BULK_EXECUTE (its parameters,
 * `bulkRow` of `bulkRows`, the answer on the last), per failed
 * COM_STMT_PREPARE and per COM_INIT_DB. MySQL
 * has no command tags, so `tag` is left out. An error's code is
 * `'<errno> (<SQLSTATE>)'`, e.g. `'1146 (42S02)'`, or `'<errno>'` when the
 * server sent no SQLSTATE. COM_PING, COM_STATISTICS, COM_SET_OPTION,
 * COM_RESET_CONNECTION, COM_STMT_RESET/CLOSE, COM_FIELD_LIST and
 * COM_STMT_FETCH are followed but not shown: a client runs them on its
 * own, not as statements typed.
 *
 * Invariants:
 * - pure: bytes in, text and events out, no I/O, no timers;
 * - bounded: a result keeps at most maxRows rows; rows past the cap and LOCAL
 *   INFILE data are counted, never decoded or held; prepared statements
 *   tracked are capped (MAX_TRACKED), the oldest forgotten first; texts are
 *   kept to MAX_KEPT_TEXT, parameters to MAX_KEPT_PARAM; a command waiting
 *   behind another keeps at most MAX_KEPT_TEXT bytes of its packet (past
 *   MAX_TRACKED waiting, only its command byte and statement id; a bulk
 *   execute, while fewer than MAX_WAITING_BULK wait, what the framer kept:
 *   rows past the framer's 1 MiB of one bulk command are not read, and its
 *   events say `truncated`);
 * - it never throws into the framer: a packet a decoder cannot read costs
 *   only its own detail, and the response state still moves on.
 */
import type { ObserverOutput } from '../wire/relay.js';
import { ProtocolError } from '../../src/errors.js';
import { INTERRUPTED, Transcript } from '../../src/transcript/index.js';
import {
  Command,
  decodeFieldList,
  decodeInitDb,
  decodeQuery,
  decodeStmtClose,
  decodeStmtExecute,
  decodeStmtPrepare,
  decodeStmtPrepareOk,
  decodeStmtReset,
  decodeStmtSendLongData,
  decodeChangeUser,
  type StmtExecuteContext,
} from './protocol/commands.js';
import { packetCount, type PacketSink } from './protocol/framer.js';
import { Capability, MariaDbCapability } from './protocol/handshake.js';
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
  type OkPacket,
} from './protocol/packets.js';
import { decodeColumnCount, type ColumnDefinition } from './protocol/resultset.js';
import {
  attempt,
  CONTINUATION_PROMPT,
  keep,
  MAX_KEPT_PARAM,
  MAX_KEPT_TEXT,
  MAX_TRACKED,
  MAX_WAITING_BULK,
  Phase,
  plural,
  paramTypes,
  remember,
  sameTypes,
  shownParams,
  UNANSWERED,
  cachedColumns,
  unnamedColumn,
  warnings,
  type Pending,
  type Run,
  type Statement,
} from './observer-state.js';
import { ResultColumns } from './result-columns.js';
import { addRow } from './rows.js';
import { RunWriter } from './run-writer.js';

export type { ObserverOutput } from '../wire/relay.js';
export { CONTINUATION_PROMPT, MAX_BULK_ROWS, MAX_KEPT_PARAM, MAX_KEPT_TEXT, MAX_TRACKED } from './observer-state.js';

export interface MysqlObserverOptions {
  /** The schema the login selected; null for none. */
  database: string | null;
  maxRows: number;
  /** Negotiated capability flags (the same on both legs of the relay). */
  capabilities: number;
  /** Negotiated MariaDB extended capabilities; 0 by default. */
  mariadbCapabilities?: number;
  /** The server family the client was told of (the greeting): its client's prompt. MariaDB by default. */
  family?: 'MariaDB' | 'MySQL';
  /**
   * The gateway let the target ask for LOCAL INFILE data (CLIENT_LOCAL_FILES on the target
   * leg). A request for a file without it breaks the protocol and ends the session.
   */
  localInfile?: boolean;
}

export class MysqlObserver {
  private readonly transcript = new Transcript();
  private readonly writer: RunWriter;
  private readonly resultColumns: ResultColumns;
  private readonly statements = new Map<number, Statement>();
  private readonly queue: Pending[] = [];
  private database: string | null;
  private inTransaction = false;
  /** The prompt last built, and the database and transaction state it was built for. */
  private shownPrompt: { text: string; database: string | null; inTransaction: boolean } | undefined;
  private lastPrepared = -1;
  private readonly maxRows: number;
  private readonly capabilities: number;
  private readonly mariadbCapabilities: number;
  private readonly deprecateEof: boolean;
  private readonly localInfile: boolean;
  private readonly family: 'MariaDB' | 'MySQL';
  /** What to do with the server message whose `wants` was just asked. */
  private disposition: 'process' | 'row' | 'ignore' = 'ignore';
  /** The client message whose `wants` was just asked is data, not a command. */
  private clientSendsData = false;
  /** Set when the target broke the protocol in a way that must end the session. */
  private violation: ProtocolError | undefined;

  /** The client said goodbye (COM_QUIT): the target closing next is the person's doing. */
  clientLeft = false;
  readonly client: PacketSink;
  readonly server: PacketSink;

  constructor(
    private readonly out: ObserverOutput,
    options: MysqlObserverOptions,
  ) {
    this.writer = new RunWriter(out, this.transcript);
    this.database = options.database;
    this.maxRows = options.maxRows;
    this.capabilities = options.capabilities >>> 0;
    this.mariadbCapabilities = (options.mariadbCapabilities ?? 0) >>> 0;
    this.resultColumns = new ResultColumns(this.mariadbCapabilities);
    this.deprecateEof = (this.capabilities & Capability.CLIENT_DEPRECATE_EOF) !== 0;
    this.localInfile = options.localInfile ?? false;
    this.family = options.family ?? 'MariaDB';
    this.client = {
      // Commands (sequence id 0) are read; LOCAL INFILE data and authentication packets are not,
      // whatever their sequence id (a long file's wrap through 0).
      wants: (_first, _length, seq) => {
        this.clientSendsData = seq !== 0 || this.receivingData;
        return !this.clientSendsData;
      },
      message: (payload, truncated, _seq, total) => {
        try {
          this.command(payload, truncated, total);
        } catch {
          // A command the observer cannot follow costs only its own detail.
        }
      },
      skipped: (_first, total, seq) => this.clientData(total, seq),
    };
    this.server = {
      wants: (first, length, seq) => {
        try {
          return this.serverWants(first, length, seq);
        } catch {
          this.disposition = 'ignore';
          return false;
        }
      },
      message: (payload, truncated, seq, total) => {
        try {
          if (this.disposition === 'process') this.answer(payload, truncated, seq, total);
        } catch {
          // As above: a server packet the observer cannot follow costs only its detail.
        }
        const violation = this.violation;
        this.violation = undefined;
        if (violation) throw violation;
      },
      skipped: (_first, total, seq) => {
        try {
          if (this.disposition === 'row') this.skippedRow(seq, total);
        } catch {
          // Counting only; never reached in practice.
        }
      },
      // Past the cap, every row of the result set is refused: the framer counts a run of them in one call.
      skipsRun: () => this.disposition === 'row',
      skippedRun: (count, lastSeq) => this.skippedRows(count, lastSeq),
    };
  }

  /** The client's default prompt, `MariaDB [app]> ` (`MySQL [app]> ` for a MySQL server), with `*` in a transaction. */
  get prompt(): string {
    // Built again only when the database or the transaction state changed: it is shown per statement.
    const last = this.shownPrompt;
    if (last !== undefined && last.database === this.database && last.inTransaction === this.inTransaction) return last.text;
    const text = `${this.family} [${this.database ?? '(none)'}]${this.inTransaction ? '*' : ''}> `;
    this.shownPrompt = { text, database: this.database, inTransaction: this.inTransaction };
    return text;
  }

  /** A line the gateway adds to the transcript (e.g. why the session ended). */
  note(text: string): void {
    this.out.tty(this.transcript.note(text));
  }

  /** The client is sending LOCAL INFILE data or authentication packets, not commands. */
  get receivingData(): boolean {
    const head = this.queue[0];
    return head !== undefined && head.active && (head.phase === Phase.Infile || head.phase === Phase.Auth);
  }

  /** No command waits for its answer. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  /**
   * The connection is over: a statement still waiting for (the rest of) its answer and the
   * cursors still open go into the recording with the rows that came.
   */
  end(): void {
    const head = this.queue[0];
    this.queue.length = 0;
    if (head?.active && head.run) {
      head.run.interrupted = true;
      this.record(head);
    }
    this.closeCursors();
  }

  private closeCursors(): void {
    for (const statement of this.statements.values()) this.closeCursor(statement);
  }

  // -------------------------------------------------------------------------
  // Client side.

  private command(payload: Buffer, truncated: boolean, total: number): void {
    const command = payload[0];
    if (command === undefined) return;
    const waiting = this.queue.length > 0;
    // A command waiting behind another keeps a bounded copy: the framer's payload may pin its chunk.
    // A bulk execute pipelined behind its prepare is kept whole (as far as the framer kept it): its rows are its events.
    const bulk = command === Command.COM_STMT_BULK_EXECUTE && this.queue.length < MAX_WAITING_BULK;
    const keep = !waiting ? payload : Buffer.from(payload.subarray(0, bulk ? payload.length : this.queue.length < MAX_TRACKED ? MAX_KEPT_TEXT : 5));
    const pending: Pending = {
      command,
      payload: keep,
      truncated: truncated || keep.length < payload.length,
      total,
      nextSeq: packetCount(total) & 0xff,
      received: 0,
      start: this.out.now(),
      active: false,
      phase: Phase.Single,
      run: undefined,
    };
    this.queue.push(pending);
    if (!waiting) this.advance();
  }

  /** Activates commands at the head of the queue, dropping those the server does not answer. */
  private advance(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.active) return;
      head.active = true;
      try {
        this.activate(head);
      } catch {
        // Not readable: its answer is still awaited (as one packet unless activate got further).
      }
      head.payload = null;
      if (!UNANSWERED.has(head.command)) return;
      this.queue.shift();
    }
  }

  /** Decodes a command, shows it, and sets how its answer is read. */
  private activate(p: Pending): void {
    const payload = p.payload!;
    switch (p.command) {
      case Command.COM_QUERY: {
        p.phase = Phase.First;
        const text = attempt(() => decodeQuery(payload, this.capabilities).query) ?? payload.toString('utf8', 1);
        p.run = this.begin(text, p.truncated, undefined, p.start, false);
        return;
      }
      case Command.COM_STMT_PREPARE: {
        const text = attempt(() => decodeStmtPrepare(payload).query) ?? payload.toString('utf8', 1);
        p.phase = Phase.First;
        p.prepare = { text: keep(text, MAX_KEPT_TEXT), cut: p.truncated || text.length > MAX_KEPT_TEXT };
        return;
      }
      case Command.COM_STMT_EXECUTE: {
        p.phase = Phase.First;
        this.execute(p, payload);
        return;
      }
      case Command.COM_STMT_BULK_EXECUTE: {
        p.phase = Phase.First;
        this.bulkExecute(p, payload);
        return;
      }
      case Command.COM_STMT_SEND_LONG_DATA: {
        const d = decodeStmtSendLongData(payload);
        const statement = this.statements.get(this.statementId(d.statementId));
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
        const id = this.statementId(decodeStmtClose(payload).statementId);
        const statement = this.statements.get(id);
        if (statement) this.closeCursor(statement);
        this.statements.delete(id);
        return;
      }
      case Command.COM_QUIT:
        this.clientLeft = true;
        return;
      case Command.COM_STMT_RESET: {
        const statement = this.statements.get(this.statementId(decodeStmtReset(payload).statementId));
        if (statement) this.closeCursor(statement);
        statement?.longData.clear();
        return;
      }
      case Command.COM_INIT_DB: {
        const schema = decodeInitDb(payload).schema;
        p.schema = schema;
        p.run = this.begin(`USE \`${schema.replaceAll('`', '``')}\``, false, undefined, p.start, false);
        return;
      }
      case Command.COM_RESET_CONNECTION:
        this.closeCursors();
        this.statements.clear();
        return;
      case Command.COM_CHANGE_USER:
        p.phase = Phase.Auth;
        this.closeCursors();
        this.statements.clear();
        p.schema = decodeChangeUser(payload, this.capabilities).schema;
        return;
      case Command.COM_FIELD_LIST:
        decodeFieldList(payload);
        p.phase = Phase.UntilEnd;
        return;
      case Command.COM_STMT_FETCH: {
        p.phase = Phase.Fetch;
        const statement = this.statements.get(this.statementId(payload.readUInt32LE(1)));
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
        p.run = this.newRun('', false, undefined, p.start, false, true);
        return;
    }
  }

  /** MariaDB's statement id 0xFFFFFFFF: the statement prepared last. */
  private statementId(id: number): number {
    return id === 0xffff_ffff ? this.lastPrepared : id;
  }

  private execute(p: Pending, payload: Buffer): void {
    const id = this.statementId(payload.length >= 5 ? payload.readUInt32LE(1) : -1);
    const statement = this.statements.get(id);
    let params: (string | null)[] | undefined;
    if (statement) {
      // A new execute closes the statement's cursor on the server.
      this.closeCursor(statement);
      p.statement = statement;
      const longData = statement.longData;
      // Built without spreads, and the long-data set only when there is long data: this runs per execute.
      const context: StmtExecuteContext = { paramCount: statement.paramCount, capabilities: this.capabilities };
      if (statement.types) context.previousTypes = statement.types;
      if (longData.size > 0) context.longData = new Set(longData.keys());
      const e = decodeExecute(payload, context);
      if (e?.params) {
        // The same types as last time (the common case) keep the copy of last time.
        if (e.newParamsBound && !sameTypes(statement.types, e.params)) statement.types = paramTypes(e.params);
        params = shownParams(e.params, statement.paramCount, longData);
      }
      // The server forgets long data once a statement is executed (a Map's clear() allocates even when empty).
      if (longData.size > 0) longData.clear();
    }
    const text = statement?.text ?? `EXECUTE statement ${id < 0 ? '?' : id}`;
    p.run = this.begin(text, statement?.cut ?? false, params, p.start, true);
  }

  /**
   * MariaDB's bulk execute: the statement once in the transcript; its rows are read when the
   * answer has come (emitBulk), so that the client has the answer first.
   */
  private bulkExecute(p: Pending, payload: Buffer): void {
    const id = this.statementId(payload.length >= 5 ? payload.readUInt32LE(1) : -1);
    const statement = this.statements.get(id);
    if (statement) {
      this.closeCursor(statement);
      p.statement = statement;
      statement.longData.clear();
    }
    const run = this.begin(statement?.text ?? `EXECUTE statement ${id < 0 ? '?' : id}`, statement?.cut ?? false, undefined, p.start, true);
    run.bulk = { payload, truncated: p.truncated, statement, rows: [], cut: false };
    p.run = run;
  }

  /**
   * A client packet that is not a command: LOCAL INFILE data, or authentication data of
   * COM_CHANGE_USER. The server's next packet follows its sequence id.
   */
  private clientData(length: number, seq: number): void {
    const head = this.queue[0];
    if (!head?.active) return;
    head.nextSeq = (seq + packetCount(length)) & 0xff;
    const run = head.run;
    if (head.phase !== Phase.Infile || !run?.infile) return;
    if (length === 0) head.phase = Phase.First;
    else run.infile.bytes += length;
  }

  /** A statement goes into the transcript as the person typed it, at the prompt. */
  private begin(text: string, cut: boolean, params: (string | null)[] | undefined, start: number, binary: boolean): Run {
    this.out.tty(this.transcript.statement(this.prompt, text, CONTINUATION_PROMPT));
    if (params && params.length > 0) this.out.tty(this.transcript.parameters(params.map((value) => ({ value }))));
    return this.newRun(text, cut, params, start, binary, false);
  }

  private newRun(text: string, cut: boolean, params: (string | null)[] | undefined, start: number, binary: boolean, silent: boolean): Run {
    return {
      text: keep(text, MAX_KEPT_TEXT * 4),
      cut: cut || text.length > MAX_KEPT_TEXT * 4,
      params,
      database: this.database,
      start,
      rows: 0,
      error: undefined,
      binary,
      columns: [],
      expected: 0,
      result: undefined,
      infile: undefined,
      silent,
    };
  }

  // -------------------------------------------------------------------------
  // Server side.

  /**
   * Decides what becomes of a server message, from its first byte and sequence id. A packet
   * out of sequence for the head's answer is either left over from an answer the observer
   * ended too early (ignored), or the start of the answer to the command queued next, when
   * the head's answer ended in a way the observer could not follow (the head is finished).
   */
  private serverWants(first: number, length: number, seq: number): boolean {
    this.disposition = 'ignore';
    let head = this.queue[0];
    if (!head) return false;
    if (seq !== head.nextSeq) {
      const next = this.queue[1];
      if (head.received > 0 && next && seq === next.nextSeq) {
        this.finish(head);
        head = this.queue[0];
        if (!head || seq !== head.nextSeq) return false;
      } else if (head.received === 0) {
        return false;
      }
    }
    this.disposition = 'process';
    if ((head.phase !== Phase.Rows && head.phase !== Phase.Fetch) || first === Header.Err || isResultSetEnd(first, length)) return true;
    const result = head.phase === Phase.Fetch ? head.statement?.cursor?.result : head.run?.result;
    if (result === undefined || result.wantsRow()) return true;
    this.disposition = 'row';
    return false;
  }

  /** A row past the cap (or fetched from a cursor the observer does not know): counted, not decoded. */
  private skippedRow(seq: number, total: number): void {
    const head = this.queue[0];
    if (!head) return;
    head.received++;
    head.nextSeq = (seq + packetCount(total)) & 0xff;
    const run = head.phase === Phase.Rows ? head.run : head.phase === Phase.Fetch ? head.statement?.cursor : undefined;
    if (!run) return;
    run.result?.skip();
    run.rows++;
  }

  /** `count` one-packet rows past the cap went by back to back, the last with sequence id `lastSeq`. */
  private skippedRows(count: number, lastSeq: number): void {
    const head = this.queue[0];
    if (!head) return;
    head.received += count;
    head.nextSeq = (lastSeq + 1) & 0xff;
    const run = head.phase === Phase.Rows ? head.run : head.phase === Phase.Fetch ? head.statement?.cursor : undefined;
    if (!run) return;
    run.result?.skip(count);
    run.rows += count;
  }

  private answer(payload: Buffer, truncated: boolean, seq: number, total: number): void {
    const p = this.queue[0];
    if (!p) return;
    p.received++;
    p.nextSeq = (seq + packetCount(total)) & 0xff;
    const first = payload.length > 0 ? payload[0]! : -1;
    let done = false;
    try {
      done = this.step(p, payload, first, truncated, total);
    } catch {
      // A packet that cannot be read: the answer goes on, or ends if it was one that ends it
      // (an ERR; an OK where one ends the answer unless more results follow, which is assumed).
      done =
        p.phase === Phase.Single ||
        (first === Header.Err && p.phase !== Phase.Columns && p.phase !== Phase.PrepareDefs) ||
        (first === Header.Ok && (p.phase === Phase.First || p.phase === Phase.Auth));
    }
    if (done) this.finish(p);
  }

  /** One packet of the head's answer; true when it ends the answer. */
  private step(p: Pending, payload: Buffer, first: number, truncated: boolean, total: number): boolean {
    switch (p.phase) {
      case Phase.Single:
        if (first === Header.Ok) this.status(attempt(() => decodeOk(payload, this.capabilities)));
        else if (first === Header.Err) {
          const e = decodeErr(payload, this.capabilities);
          if (e.code === PROGRESS_REPORT_CODE) return false;
          if (p.run) this.writer.failed(p.run, e);
          return true;
        } else if (first === Header.Eof && payload.length < 9) this.status(attempt(() => decodeEof(payload, this.capabilities)));
        if (p.command === Command.COM_INIT_DB && first === Header.Ok) {
          this.database = p.schema ?? this.database;
          this.out.tty(this.transcript.commandTag('Database changed'));
        }
        return true;
      case Phase.Auth:
        if (first === Header.Ok) {
          this.status(attempt(() => decodeOk(payload, this.capabilities)));
          if (p.schema !== undefined) this.database = p.schema === '' ? null : p.schema;
          return true;
        }
        return first === Header.Err;
      case Phase.UntilEnd:
        if (first === Header.Err) return decodeErr(payload, this.capabilities).code !== PROGRESS_REPORT_CODE;
        if (isResultSetEnd(first, total)) {
          this.status(attempt(() => decodeResultSetEnd(payload, this.capabilities)));
          return true;
        }
        return false;
      case Phase.Fetch:
        return this.fetched(p, payload, first, truncated, total);
      case Phase.First:
      case Phase.Infile:
        return this.first(p, payload, first);
      case Phase.Columns: {
        const run = p.run!;
        run.columns.push(this.columnDefinition(payload, run.columns.length));
        if (run.columns.length >= run.expected) {
          // What a client caches for the statement is the latest metadata the server sent.
          if (p.statement && (p.command === Command.COM_STMT_EXECUTE || p.command === Command.COM_STMT_BULK_EXECUTE)) p.statement.columns = run.columns;
          if (this.deprecateEof) this.startRows(p);
          else p.phase = Phase.ColumnsEof;
        }
        return false;
      }
      case Phase.ColumnsEof: {
        const eof = attempt(() => decodeEof(payload, this.capabilities));
        this.status(eof);
        this.startRows(p);
        // An execute that opened a cursor: the rows come with COM_STMT_FETCH.
        if (eof && eof.statusFlags & ServerStatus.SERVER_STATUS_CURSOR_EXISTS) return this.openCursor(p);
        return false;
      }
      case Phase.Rows:
        return this.row(p, payload, first, truncated, total);
      case Phase.PrepareDefs:
        return this.prepareDef(p, payload);
      default:
        return true;
    }
  }

  /** The start of an answer to a query or execute (or what follows a result set or LOCAL INFILE). */
  private first(p: Pending, payload: Buffer, first: number): boolean {
    if (p.command === Command.COM_STMT_PREPARE) return this.prepareOk(p, payload, first);
    const run = p.run;
    if (run?.bulk) this.writer.readBulk(run.bulk);
    if (first === Header.Err) {
      const e = decodeErr(payload, this.capabilities);
      if (e.code === PROGRESS_REPORT_CODE) return false;
      if (run) {
        this.writer.infileDone(run);
        this.writer.failed(run, e);
      }
      return true;
    }
    if (first === Header.Ok) {
      const ok = decodeOk(payload, this.capabilities);
      this.status(ok);
      if (run) {
        this.writer.infileDone(run);
        run.rows += Number(ok.affectedRows);
        if (ok.statusFlags & ServerStatus.SERVER_STATUS_DB_DROPPED) this.database = null;
        else if (!ok.sessionStateChanges?.some((c) => c.type === SessionTrack.Schema)) this.useStatement(run.text);
        if (!run.silent) {
          this.out.tty(this.transcript.commandTag(`Query OK, ${plural(Number(ok.affectedRows), 'row', 'rows')} affected${warnings(ok.warnings)}`));
          if (ok.info !== '') this.out.tty(this.transcript.commandTag(ok.info));
          this.out.tty(this.transcript.commandTag(''));
        }
      }
      return (ok.statusFlags & ServerStatus.SERVER_MORE_RESULTS_EXISTS) === 0;
    }
    if (first === Header.LocalInfile) {
      const file = decodeLocalInfileRequest(payload).filename;
      if (!this.localInfile) {
        this.violation = new ProtocolError(['mysql', 'server'], `the target asked for the client's file '${keep(file, 256)}' with LOAD DATA LOCAL INFILE, which this target is not allowed`);
        this.note(`recgate: the target asked for the client's file '${keep(file, 256)}'; refused`);
        return true;
      }
      if (run) run.infile = { file: keep(file, MAX_KEPT_PARAM), bytes: 0 };
      p.phase = Phase.Infile;
      return false;
    }
    // A result set answering a command not shown (COM_PROCESS_INFO …) is followed, not shown.
    p.run ??= this.newRun('', false, undefined, p.start, false, true);
    // Only binary-protocol answers (execute, bulk execute) carry MariaDB's metadata-follows byte.
    const binary = p.command === Command.COM_STMT_EXECUTE || p.command === Command.COM_STMT_BULK_EXECUTE;
    const count = decodeColumnCount(payload, this.capabilities, binary ? this.mariadbCapabilities : this.mariadbCapabilities & ~MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA);
    p.run!.columns = [];
    p.run!.expected = count.count;
    if (!count.metadataFollows) {
      // Metadata caching: the server left out the definitions the client holds from before.
      // The statement's own array when it has them all (nobody changes a run's columns once collected).
      p.run!.columns = cachedColumns(p.statement?.columns ?? [], count.count);
      if (this.deprecateEof) this.startRows(p);
      else p.phase = Phase.ColumnsEof;
      return false;
    }
    p.phase = Phase.Columns;
    return false;
  }

  /** Column `index`'s definition in a result set; one that cannot be read is named by position. */
  private columnDefinition(payload: Buffer, index: number): ColumnDefinition {
    try {
      return this.resultColumns.definition(payload, index);
    } catch {
      return unnamedColumn(index);
    }
  }

  private startRows(p: Pending): void {
    const run = p.run!;
    run.result = this.resultColumns.collector(run.columns, this.maxRows);
    p.phase = Phase.Rows;
  }

  private row(p: Pending, payload: Buffer, first: number, truncated: boolean, total: number): boolean {
    const run = p.run!;
    if (first === Header.Err) {
      const e = decodeErr(payload, this.capabilities);
      if (e.code === PROGRESS_REPORT_CODE) return false;
      this.writer.flush(run);
      this.writer.failed(run, e);
      return true;
    }
    if (isResultSetEnd(first, total)) {
      const end = attempt(() => decodeResultSetEnd(payload, this.capabilities));
      this.status(end);
      // Under CLIENT_DEPRECATE_EOF an execute that opened a cursor ends its metadata with this packet.
      if (end && end.statusFlags & ServerStatus.SERVER_STATUS_CURSOR_EXISTS && run.rows === 0 && p.command === Command.COM_STMT_EXECUTE) return this.openCursor(p);
      this.writer.flush(run);
      const more = end !== undefined && (end.statusFlags & ServerStatus.SERVER_MORE_RESULTS_EXISTS) !== 0;
      p.phase = Phase.First;
      return !more;
    }
    addRow(run, payload, truncated);
    return false;
  }

  /**
   * An execute opened a cursor: its statement is shown, its result waits for the rows
   * COM_STMT_FETCH brings, and its event goes out when the cursor is done.
   */
  private openCursor(p: Pending): boolean {
    const run = p.run;
    if (run && p.statement) {
      p.statement.cursor = run;
      p.run = undefined;
    }
    return true;
  }

  /** One packet answering COM_STMT_FETCH: a row, or the end (the cursor is done after its last row). */
  private fetched(p: Pending, payload: Buffer, first: number, truncated: boolean, total: number): boolean {
    const statement = p.statement;
    const run = statement?.cursor;
    if (first === Header.Err) {
      const e = decodeErr(payload, this.capabilities);
      if (e.code === PROGRESS_REPORT_CODE) return false;
      if (run) {
        this.writer.flush(run);
        this.writer.failed(run, e);
        this.closeCursor(statement!);
      }
      return true;
    }
    if (isResultSetEnd(first, total)) {
      const end = attempt(() => decodeResultSetEnd(payload, this.capabilities));
      this.status(end);
      if (statement && end && end.statusFlags & ServerStatus.SERVER_STATUS_LAST_ROW_SENT) this.closeCursor(statement);
      return true;
    }
    if (run?.result) addRow(run, payload, truncated);
    return false;
  }

  /** A cursor is done (all rows sent, closed, reset or re-executed): its table and its event. */
  private closeCursor(statement: Statement): void {
    const run = statement.cursor;
    if (!run) return;
    statement.cursor = undefined;
    this.writer.flush(run);
    this.writer.emitQuery(run);
  }

  private prepareOk(p: Pending, payload: Buffer, first: number): boolean {
    const prepare = p.prepare!;
    if (first === Header.Err) {
      const e = decodeErr(payload, this.capabilities);
      if (e.code === PROGRESS_REPORT_CODE) return false;
      // Nothing showed this statement yet: it goes in with its error.
      p.run = this.begin(prepare.text, prepare.cut, undefined, p.start, false);
      this.writer.failed(p.run, e);
      return true;
    }
    const ok = decodeStmtPrepareOk(payload, this.capabilities);
    const statement: Statement = { text: prepare.text, cut: prepare.cut, paramCount: ok.paramCount, columns: [], types: undefined, longData: new Map() };
    remember(this.statements, ok.statementId, statement);
    this.lastPrepared = ok.statementId;
    const eof = this.deprecateEof ? 0 : 1;
    const paramDefs = ok.metadataFollows && ok.paramCount > 0 ? ok.paramCount + eof : 0;
    const columnDefs = ok.metadataFollows && ok.columnCount > 0 ? ok.columnCount + eof : 0;
    prepare.ok = { statement, paramDefs, columnCount: ok.metadataFollows ? ok.columnCount : 0, columnDefs, seen: 0 };
    p.phase = Phase.PrepareDefs;
    return paramDefs + columnDefs === 0;
  }

  private prepareDef(p: Pending, payload: Buffer): boolean {
    // Parameter definitions (their types say nothing useful: servers send VAR_STRING), [EOF],
    // column definitions, [EOF].
    const ok = p.prepare!.ok!;
    const column = ok.seen++ - ok.paramDefs;
    if (column >= 0 && column < ok.columnCount) {
      // Through the cache: statements answered alike share definitions, and so their layouts.
      ok.statement.columns.push(this.columnDefinition(payload, column));
    } else if (!this.deprecateEof && (column === ok.columnCount || column === -1)) {
      this.status(attempt(() => decodeEof(payload, this.capabilities)));
    }
    return ok.seen >= ok.paramDefs + ok.columnDefs;
  }

  /** Status flags and session state from an OK or EOF packet. */
  private status(packet: Pick<OkPacket, 'statusFlags'> & Partial<Pick<OkPacket, 'sessionStateChanges'>> | undefined): void {
    if (!packet) return;
    this.inTransaction = (packet.statusFlags & ServerStatus.SERVER_STATUS_IN_TRANS) !== 0;
    for (const change of packet.sessionStateChanges ?? []) {
      if (change.type === SessionTrack.Schema && 'schema' in change) this.database = change.schema === '' ? null : change.schema;
    }
  }

  /** Without session tracking, a `USE db` that succeeded is the only sign of a schema change. */
  private useStatement(text: string): void {
    const m = /^\s*use\s+(?:`((?:[^`]|``)+)`|([^\s`;]+))\s*;?\s*$/i.exec(text);
    if (m) this.database = m[1] !== undefined ? m[1].replaceAll('``', '`') : m[2]!;
  }

  private finish(p: Pending): void {
    if (this.queue[0] === p) this.queue.shift();
    this.record(p);
    this.advance();
  }

  /** A command's run, answered or cut short, into the transcript and events. */
  private record(p: Pending): void {
    const run = p.run;
    if (!run) return;
    this.writer.flush(run);
    this.writer.infileDone(run);
    if (run.interrupted && !run.silent) this.out.tty(this.transcript.commandTag(`-- ${INTERRUPTED}`));
    const shown = p.command === Command.COM_QUERY || p.command === Command.COM_STMT_EXECUTE || p.command === Command.COM_STMT_BULK_EXECUTE || p.command === Command.COM_INIT_DB || run.error !== undefined;
    if (shown) this.writer.emitQuery(run);
  }

}

/** A COM_STMT_EXECUTE, or undefined when it cannot be read (its parameters are then left out). */
function decodeExecute(payload: Buffer, context: StmtExecuteContext): ReturnType<typeof decodeStmtExecute> | undefined {
  try {
    return decodeStmtExecute(payload, context);
  } catch {
    return undefined;
  }
}
