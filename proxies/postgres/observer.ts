/**
 * Watches a logged-in PostgreSQL connection from the side and turns it into
 * what an auditor reads: a psql-like transcript (prompt, statement, bound
 * parameters, the result table capped at maxRows, the command tag or the
 * error) and one `query` event per statement. It sees the bytes the relay
 * forwards, through one MessageFramer per direction, and never changes them.
 *
 * How responses are matched to requests (PostgreSQL documentation,
 * "Message Flow"): every frontend message that the server answers is queued
 * in order; backend messages answer the head of the queue. This holds with
 * pipelining, because the server answers in order. After an ErrorResponse in
 * the extended protocol the server skips everything up to the next Sync, so
 * the queue is dropped up to there too, and the statement names those
 * messages defined or closed mean what they meant before. A message the
 * server answers is queued even when it cannot be read (cut short by the
 * framer, or malformed), so that no answer is taken for the next request's.
 *
 *   Query            → (RowDescription DataRow* | CopyIn/Out…)? CommandComplete|EmptyQuery|Error … ReadyForQuery
 *   Parse/Bind/Close → ParseComplete/BindComplete/CloseComplete
 *   Describe         → [ParameterDescription] RowDescription|NoData
 *   Execute          → DataRow* CommandComplete|EmptyQuery|PortalSuspended
 *   Sync             → ReadyForQuery
 *
 * Invariants:
 * - pure: bytes in, text and events out, no I/O, no timers;
 * - bounded: a result keeps at most maxRows rows; DataRows past the cap and
 *   COPY data are counted, never decoded or held; prepared statements and
 *   portals tracked are capped (MAX_TRACKED), the oldest forgotten first;
 * - it never throws into the relay for a message it does not understand;
 *   framing errors (ProtocolError) are the framer's and end the connection.
 *
 * The client's messages are read by observer-requests.ts, the server's here; what both
 * follow of the connection is a ConnectionState (observer-state.ts).
 */
import type { ObserverOutput } from '../wire/relay.js';
import { INTERRUPTED, noteStatementText, queryEvent, type QueryInput } from '../../src/transcript/index.js';
import {
  decodeCommandComplete,
  decodeCopyResponse,
  decodeErrorResponse,
  decodeNoticeResponse,
  decodeNotificationResponse,
  decodeParameterDescription,
  decodeParameterStatus,
  decodeReadyForQuery,
  commandTagAt,
  transactionStatusAt,
  type FieldDescription,
  type NoticeFields,
  type TransactionStatus,
} from './protocol/backend.js';
import type { FrameSink } from './protocol/framer.js';
import { dataRowValues, keepCutRow, keepDataRow } from './kept-rows.js';
import { affectedRows, dataRowPrefix, toServerMessage, unnamedFields } from './observer-reading.js';
import { clientMessage, clientMessageAt } from './observer-requests.js';
import { B, ConnectionState, F, failed, portalFields, type Pending, type Running } from './observer-state.js';
import { ResultColumns } from './result-columns.js';

export type { ObserverOutput } from '../wire/relay.js';
export { MAX_KEPT_PARAM, MAX_KEPT_TEXT, MAX_TRACKED } from './observer-state.js';

export interface ObserverOptions {
  database: string;
  maxRows: number;
  /** ParameterStatus values from the login (is_superuser picks the prompt's # or >). */
  parameters: ReadonlyMap<string, string>;
}

export class PgObserver {
  private readonly c: ConnectionState;
  private readonly resultColumns = new ResultColumns();
  private readonly maxRows: number;
  /** The statement whose answer is arriving, if any. */
  private current: Running | undefined;

  readonly client: FrameSink;
  readonly server: FrameSink;

  constructor(out: ObserverOutput, options: ObserverOptions) {
    this.c = new ConnectionState(out, options.database, options.parameters.get('is_superuser') === 'on');
    this.maxRows = options.maxRows;
    this.client = {
      wants: (type) => type !== F.CopyData,
      message: (type, body, _total, truncated) => this.fromClient(type, body, truncated),
      // The messages every statement comes as (a Query; Parse, Bind, Describe, Execute) are read where they lie.
      messageAt: (type, bytes, start, end) => {
        try {
          return clientMessageAt(this.c, type, bytes, start, end);
        } catch {
          // As fromClient.
          return true;
        }
      },
      skipped: (type, length) => {
        if (type === F.CopyData && this.current?.copy) this.current.copy.bytes += length;
      },
      // COPY data is never decoded: a run of it is counted in one call.
      skipsRun: (type) => type === F.CopyData,
      skippedRun: (type, _count, bytes) => {
        if (type === F.CopyData && this.current?.copy) this.current.copy.bytes += bytes;
      },
    };
    this.server = {
      wants: (type) => (type === B.DataRow ? this.wantsRow() : type !== B.CopyData),
      message: (type, body, total, truncated) => this.fromServer(type, body, truncated),
      messageAt: (type, bytes, start, end) => this.fromServerAt(type, bytes, start, end),
      skipped: (type, length) => this.serverSkipped(type, 1, length),
      // Rows past the cap stay unwanted until their statement's answer ends (a message of another
      // type), COPY data always: the framer counts a run of them in one call instead of asking row
      // by row. Rows while no statement runs (a target answering nothing asked) are no run: the
      // client's next request would make the rows after them wanted.
      skipsRun: (type) => type === B.CopyData || (type === B.DataRow && this.running() !== undefined),
      skippedRun: (type, count, bytes) => this.serverSkipped(type, count, bytes),
    };
  }

  /** `count` DataRows past the row cap (counted, never decoded) or COPY data messages of `bytes` bodies went by. */
  private serverSkipped(type: number, count: number, bytes: number): void {
    const run = this.current;
    if (!run) return;
    if (type === B.DataRow) {
      run.result?.skip(count);
      run.rows += count;
    } else if (type === B.CopyData && run.copy) run.copy.bytes += bytes;
  }

  /** A DataRow is decoded only while its result set still has room to show it. */
  private wantsRow(): boolean {
    const run = this.running();
    return run !== undefined && (run.result === undefined || run.result.wantsRow());
  }

  /** psql's default prompt: `db=> `, `db=*> ` in a transaction, `db=!> ` in a failed one, `#` for a superuser. */
  get prompt(): string {
    return this.c.prompt;
  }

  /** The client said goodbye (Terminate): the target closing next is the person's doing. */
  get clientLeft(): boolean {
    return this.c.clientLeft;
  }

  /** A line the gateway adds to the transcript (e.g. why the session ended). */
  note(text: string): void {
    this.c.out.tty(this.c.transcript.note(text));
  }

  private fromClient(type: number, body: Buffer, truncated: boolean): void {
    try {
      clientMessage(this.c, type, body, truncated);
    } catch {
      // A message the framer accepted but a decoder cannot read: the server will answer with an
      // error, which the transcript shows; the observer only loses this one message's detail.
    }
  }

  private fromServer(type: number, body: Buffer, truncated: boolean): void {
    try {
      this.serverMessage(type, body, truncated);
    } catch {
      // As above: a server message the observer cannot read costs only its detail.
    }
  }

  /**
   * The messages every statement's answer is made of, its columns, its rows and the ones that end it, read
   * where they lie in the chunk (the framer's messageAt); false for any other, which then comes
   * as a Buffer of its own.
   */
  private fromServerAt(type: number, bytes: Buffer, start: number, end: number): boolean {
    try {
      switch (type) {
        case B.RowDescription:
          this.described(this.resultColumns.describe(bytes, start, end));
          return true;
        case B.DataRow:
          this.dataRow(bytes, start, end, false);
          return true;
        case B.CommandComplete:
          this.commandDone(commandTagAt(bytes, start, end));
          return true;
        case B.Ready:
          this.ready(transactionStatusAt(bytes, start, end));
          return true;
        default:
          return false;
      }
    } catch {
      // As fromServer.
      return true;
    }
  }

  /** A RowDescription's fields: the answer to a Describe, or the start of a result set. */
  private described(fields: FieldDescription[]): void {
    const head = this.c.queue[0];
    if (head?.kind === 'describe') {
      if (head.portal) head.portal.fields = fields;
      if (head.statement) head.statement.fields = fields;
      this.c.queue.shift();
      return;
    }
    this.startResult(fields);
  }

  private serverMessage(type: number, body: Buffer, truncated: boolean): void {
    switch (type) {
      case B.RowDescription:
        this.described(this.resultColumns.describe(body));
        return;
      case B.DataRow: {
        this.dataRow(body, 0, body.length, truncated);
        return;
      }
      case B.CommandComplete:
        this.commandDone(decodeCommandComplete(body).tag);
        return;
      case B.EmptyQuery:
        this.commandDone(undefined);
        return;
      case B.PortalSuspended: {
        const run = this.running();
        if (run) this.flushResult(run, false);
        this.finishExecute('suspended');
        return;
      }
      case B.Error:
        this.error(decodeErrorResponse(body));
        return;
      case B.Notice:
        this.c.out.tty(this.c.transcript.notice(toServerMessage(decodeNoticeResponse(body)), this.current?.text));
        return;
      case B.Notification: {
        const n = decodeNotificationResponse(body);
        this.c.out.tty(this.c.transcript.notification(n.channel, n.payload, n.pid));
        this.c.out.event({ type: 'notification', channel: n.channel, pid: n.pid, payload: n.payload.slice(0, 1024) });
        return;
      }
      case B.Ready:
        this.ready(decodeReadyForQuery(body).status);
        return;
      case B.ParameterStatus: {
        const p = decodeParameterStatus(body);
        if (p.name === 'is_superuser') {
          this.c.superuser = p.value === 'on';
          this.c.shownPrompt = undefined;
        }
        if (p.name === 'session_authorization' || p.name === 'is_superuser') this.c.out.event({ type: 'parameter', name: p.name, value: p.value });
        return;
      }
      case B.CopyIn:
      case B.CopyOut:
      case B.CopyBoth: {
        decodeCopyResponse(type, body);
        const run = this.running();
        if (run) run.copy = { direction: type === B.CopyIn ? 'in' : 'out', bytes: 0 };
        return;
      }
      case B.ParseComplete:
      case B.BindComplete:
      case B.CloseComplete:
        this.c.queue.shift();
        return;
      case B.NoData:
        if (this.c.queue[0]?.kind === 'describe') this.c.queue.shift();
        return;
      case B.ParameterDescription: {
        // The types the server inferred tell how to show the parameters later Binds send in binary.
        const head = this.c.queue[0];
        if (head?.kind === 'describe' && head.statement) {
          const statement = head.statement;
          statement.paramTypes = decodeParameterDescription(body).map((t, i) => statement.paramTypes[i] || t);
        }
        return;
      }
      case B.FunctionResult:
        return;
      default:
        return;
    }
  }

  /**
   * A row of the result set under way, kept for its table frame (kept-rows.ts); one longer than
   * the framer keeps is shown as far as it arrived, the cut marked. The row is `body[start, end)`.
   */
  private dataRow(body: Buffer, start: number, end: number, truncated: boolean): void {
    const run = this.running();
    if (!run) return;
    const cut = truncated ? dataRowPrefix(body) : undefined;
    const n = cut ? cut.values.length : dataRowValues(body, start, end);
    // An Execute's columns come from the Describe answered after it was sent; one never described
    // has no RowDescription: name the columns by position.
    if (!run.result) this.startResult((run.portal && portalFields(run.portal)) ?? unnamedFields(n));
    const fields = run.fields ?? [];
    if (cut) keepCutRow(run.result!, cut.values, cut.cut, fields);
    else if (run.result!.startRow()) keepDataRow(run.result!, body, fields, start);
    run.rows++;
  }

  /** The statement the server is answering now: the head Query or Execute. */
  private running(): Running | undefined {
    const head = this.c.queue[0];
    this.current = head?.kind === 'query' || head?.kind === 'execute' ? head.run : undefined;
    return this.current;
  }

  private startResult(fields: FieldDescription[]): void {
    const run = this.running();
    if (!run) return;
    run.fields = fields;
    run.result = this.resultColumns.collector(fields, this.maxRows);
    this.current = run;
  }

  /** Prints a result set collected so far and forgets it. */
  private flushResult(run: Running, withFooter: boolean): void {
    if (!run.result) return;
    if (withFooter || run.result.count > 0) this.c.out.table(run.result.payload());
    run.result.done();
    run.result = undefined;
  }

  private commandDone(tag: string | undefined): void {
    const run = this.running();
    if (!run) return;
    // A described Execute that returned no rows still shows its header and `(0 rows)`, as a Query does.
    const described = !run.result && run.portal ? portalFields(run.portal) : null;
    if (described) this.startResult(described);
    // Rows this command returned (RETURNING, FETCH, SELECT); its tag counts the same rows again.
    const returned = run.result?.count ?? 0;
    this.flushResult(run, true);
    this.copyDone(run, tag);
    if (tag !== undefined) {
      run.tag = tag;
      if (returned === 0) run.rows += affectedRows(tag);
      if (!tag.startsWith('SELECT ')) this.c.out.tty(this.c.transcript.commandTag(tag));
    }
    if (this.c.queue[0]?.kind === 'execute') this.finishExecute(tag);
  }

  /** The COPY data that went by, counted: when the COPY ends, and as well when it fails part way. */
  private copyDone(run: Running, tag: string | undefined): void {
    if (!run.copy) return;
    const rows = tag ? Number(/^COPY (\d+)/.exec(tag)?.[1] ?? NaN) : NaN;
    this.c.out.tty(this.c.transcript.copy(run.copy.direction, run.copy.bytes, Number.isNaN(rows) ? undefined : rows));
    this.c.out.event({ type: 'copy', direction: run.copy.direction, bytes: run.copy.bytes, ...(Number.isNaN(rows) ? {} : { rows }) });
    run.copy = undefined;
  }

  private error(e: NoticeFields): void {
    const head = this.c.queue[0];
    const run = this.running();
    const failing = head?.kind === 'parse' || head?.kind === 'bind' ? head : undefined;
    // The Execute the client queued behind a failing Parse or Bind: its event, with its start and parameters, tells of the failure.
    const queued = !run && failing ? this.c.queuedExecute(failing.statement) : undefined;
    if (run) {
      // The rows or COPY data that arrived before the error, shown before it.
      this.flushResult(run, false);
      this.copyDone(run, undefined);
      run.error = e;
    } else if (failing && !queued) {
      // Nothing queued would have put this statement in the transcript (a Parse sent to prepare it only).
      this.c.out.tty(this.c.transcript.statement(this.c.prompt, failing.statement.text));
    }
    if (queued) queued.error = e;
    this.c.out.tty(this.c.transcript.error(toServerMessage(e), run?.text ?? failing?.statement.text));
    if (head && head.kind !== 'query' && head.kind !== 'function' && head.kind !== 'sync') {
      // Extended protocol: the server discards messages up to the next Sync.
      const answered = run ?? queued;
      if (answered) this.finish(answered);
      else if (head.kind === 'parse') this.finish(failed(head.statement.text, undefined, e, this.c.out.now()));
      else if (head.kind === 'bind') this.finish(failed(head.statement.text, head.params, e, this.c.out.now()));
      const dropped: Pending[] = [];
      while (this.c.queue.length > 0 && this.c.queue[0]!.kind !== 'sync') dropped.push(this.c.queue.shift()!);
      this.c.undo(dropped);
      // The Sync may not have been sent yet: until it is, the client's messages are ignored.
      this.c.skippingToSync = this.c.queue.length === 0;
    }
  }

  private finishExecute(tag: string | undefined): void {
    const head = this.c.queue.shift();
    if (head?.kind !== 'execute') return;
    if (tag === 'suspended') head.run.tag = '(portal suspended)';
    this.finish(head.run);
  }

  private ready(status: TransactionStatus): void {
    const head = this.c.queue.shift();
    if (head?.kind === 'query') {
      this.flushResult(head.run, false);
      this.finish(head.run);
    }
    if (status !== this.c.status) {
      this.c.status = status;
      this.c.shownPrompt = undefined;
    }
    this.current = undefined;
  }

  /** No message waits for the server's answer. */
  get idle(): boolean {
    return this.c.queue.length === 0;
  }

  /**
   * The connection is over: a statement still being answered goes into the recording with the
   * rows and COPY data that came.
   */
  end(): void {
    const run = this.running();
    this.c.queue.length = 0;
    this.current = undefined;
    if (!run) return;
    this.flushResult(run, true);
    this.copyDone(run, undefined);
    this.c.out.tty(this.c.transcript.commandTag(`-- ${INTERRUPTED}`));
    run.interrupted = true;
    this.finish(run);
  }

  private finish(run: Running): void {
    // Field by field rather than spreads: one event per statement.
    const q: QueryInput = { text: run.text, durationMs: Math.max(0, this.c.out.now() - run.start), rows: run.rows, database: this.c.database };
    if (run.params) q.params = run.params;
    if (run.tag !== undefined) q.tag = run.tag;
    if (run.error) q.error = { code: run.error.code, message: run.error.message };
    else if (run.interrupted) q.error = { message: INTERRUPTED };
    if (run.cut) q.truncated = true;
    // A prepared statement's text is known (see begin); other sessions' statements may have been shown since.
    const facts = run.portal?.statement.facts;
    if (facts) noteStatementText(facts);
    const e = queryEvent(q);
    if (this.c.out.query) this.c.out.query(e);
    else this.c.out.event(e);
    if (this.current === run) this.current = undefined;
  }
}
