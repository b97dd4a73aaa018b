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
 */
import type { ObserverOutput } from '../wire/relay.js';
import { ELLIPSIS, INTERRUPTED, Transcript, queryEvent, type QueryInput } from '../../src/transcript/index.js';
import {
  decodeCommandComplete,
  decodeCopyResponse,
  decodeDataRow,
  decodeErrorResponse,
  decodeNoticeResponse,
  decodeNotificationResponse,
  decodeParameterDescription,
  decodeParameterStatus,
  decodeReadyForQuery,
  type FieldDescription,
  type NoticeFields,
  type TransactionStatus,
} from './protocol/backend.js';
import type { FrameSink } from './protocol/framer.js';
import type { RowCollector } from '../../src/transcript/index.js';
import { decodeBind, decodeClose, decodeCopyFail, decodeDescribe, decodeExecute, decodeFunctionCall, decodeParse, formatCode } from './protocol/frontend.js';
import { formatValue } from './protocol/values.js';
import { affectedRows, cutParse, dataRowPrefix, decoded, leadingStrings, queryText, toServerMessage, unnamedField } from './observer-reading.js';
import { ResultColumns } from './result-columns.js';

export type { ObserverOutput } from '../wire/relay.js';

export interface ObserverOptions {
  database: string;
  maxRows: number;
  /** ParameterStatus values from the login (is_superuser picks the prompt's # or >). */
  parameters: ReadonlyMap<string, string>;
}

/** Statements and portals remembered per connection. */
export const MAX_TRACKED = 512;

/**
 * What is kept of a prepared statement's text and of a bound parameter, so
 * that MAX_TRACKED statements and portals stay within a few MiB per
 * connection (the query event cuts texts at 64 KiB and parameters at 1 KiB).
 */
export const MAX_KEPT_TEXT = 16_384;
export const MAX_KEPT_PARAM = 1024;

function keep(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

const ch = (c: string): number => c.charCodeAt(0);
const F = { Query: ch('Q'), Parse: ch('P'), Bind: ch('B'), Execute: ch('E'), Describe: ch('D'), Close: ch('C'), Sync: ch('S'), CopyData: ch('d'), CopyDone: ch('c'), CopyFail: ch('f'), Function: ch('F'), Terminate: ch('X') };
const B = {
  RowDescription: ch('T'),
  DataRow: ch('D'),
  CommandComplete: ch('C'),
  EmptyQuery: ch('I'),
  Error: ch('E'),
  Notice: ch('N'),
  Notification: ch('A'),
  Ready: ch('Z'),
  ParameterStatus: ch('S'),
  CopyIn: ch('G'),
  CopyOut: ch('H'),
  CopyBoth: ch('W'),
  CopyData: ch('d'),
  CopyDone: ch('c'),
  ParseComplete: ch('1'),
  BindComplete: ch('2'),
  CloseComplete: ch('3'),
  NoData: ch('n'),
  PortalSuspended: ch('s'),
  ParameterDescription: ch('t'),
  FunctionResult: ch('V'),
};

interface Statement {
  text: string;
  /** The text was cut: the framer kept only its start, or it was longer than MAX_KEPT_TEXT. */
  cut?: boolean;
  paramTypes: number[];
  fields: FieldDescription[] | null;
}

interface Portal {
  statement: Statement;
  /** undefined when the Bind could not be read (e.g. cut short by the framer). */
  params: (string | null)[] | undefined;
  /** The RowDescription that answered a Describe of this portal. */
  fields: FieldDescription[] | null;
  resultFormats: number[];
}

/** A statement being answered: a simple Query, or an Execute of a portal. */
interface Running {
  text: string;
  cut: boolean;
  params: (string | null)[] | undefined;
  start: number;
  rows: number;
  /** The last command tag (a Query of several statements has one per statement). */
  tag: string | undefined;
  error: NoticeFields | undefined;
  result: RowCollector | undefined;
  fields: FieldDescription[] | null;
  /** The portal an Execute runs, whose columns a Describe answered after the Execute was sent. */
  portal?: Portal | undefined;
  copy: { direction: 'in' | 'out'; bytes: number } | undefined;
  /** The connection ended before the answer was complete. */
  interrupted?: boolean;
}

type Pending =
  | { kind: 'query'; run: Running }
  | { kind: 'execute'; run: Running }
  | { kind: 'parse'; name: string; statement: Statement; previous: Statement | undefined }
  | { kind: 'bind'; statement: Statement; params: (string | null)[] | undefined }
  | { kind: 'close'; name?: string; statement?: Statement | undefined }
  | { kind: 'sync' | 'function' }
  | { kind: 'describe'; statement?: Statement; portal?: Portal };

export class PgObserver {
  private readonly transcript = new Transcript();
  private readonly resultColumns = new ResultColumns();
  private readonly statements = new Map<string, Statement>();
  private readonly portals = new Map<string, Portal>();
  private readonly queue: Pending[] = [];
  private status: TransactionStatus = 'I';
  private superuser: boolean;
  /** The prompt for the status and superuser above; undefined once either changed. */
  private shownPrompt: string | undefined;
  private readonly database: string;
  private readonly maxRows: number;
  /** The statement whose answer is arriving, if any. */
  private current: Running | undefined;
  /** Set when the extended protocol failed: pending entries up to the next Sync are dropped. */
  private skippingToSync = false;

  /** The client said goodbye (Terminate): the target closing next is the person's doing. */
  clientLeft = false;
  readonly client: FrameSink;
  readonly server: FrameSink;

  constructor(
    private readonly out: ObserverOutput,
    options: ObserverOptions,
  ) {
    this.database = options.database;
    this.maxRows = options.maxRows;
    this.superuser = options.parameters.get('is_superuser') === 'on';
    this.client = {
      wants: (type) => type !== F.CopyData,
      message: (type, body, _total, truncated) => this.fromClient(type, body, truncated),
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
      skipped: (type, length) => this.serverSkipped(type, 1, length),
      // Rows past the cap stay unwanted until the next result set (a RowDescription), COPY data always:
      // the framer counts a run of them in one call instead of asking row by row.
      skipsRun: (type) => type === B.DataRow || type === B.CopyData,
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
    if (this.shownPrompt !== undefined) return this.shownPrompt;
    const mark = this.status === 'T' ? '*' : this.status === 'E' ? '!' : '';
    this.shownPrompt = `${this.database}=${mark}${this.superuser ? '#' : '>'} `;
    return this.shownPrompt;
  }

  /** A line the gateway adds to the transcript (e.g. why the session ended). */
  note(text: string): void {
    this.out.tty(this.transcript.note(text));
  }

  private fromClient(type: number, body: Buffer, truncated: boolean): void {
    try {
      this.clientMessage(type, body, truncated);
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

  private clientMessage(type: number, body: Buffer, truncated: boolean): void {
    // After an error in the extended protocol the server ignores everything up to Sync; so does this.
    if (this.skippingToSync && type !== F.Sync) return;
    switch (type) {
      // A message the server answers is queued even when it cannot be read (a Parse or Bind longer than
      // the framer keeps, or a malformed one): the answer to it must not be taken for the next one's.
      case F.Query: {
        const text = queryText(body);
        const run = this.begin(text, undefined, truncated);
        this.queue.push({ kind: 'query', run });
        break;
      }
      case F.Parse: {
        const p = decoded(decodeParse, body) ?? cutParse(body);
        const statement: Statement = { text: keep(p.query, MAX_KEPT_TEXT), cut: truncated || p.query.length > MAX_KEPT_TEXT, paramTypes: p.paramTypes, fields: null };
        // Known from here on: a Bind right behind it (pipelined) names it before the server answers.
        // If the Parse fails or is skipped, error() puts back what the name meant before.
        const previous = this.statements.get(p.statement);
        remember(this.statements, p.statement, statement);
        this.queue.push({ kind: 'parse', name: p.statement, statement, previous });
        break;
      }
      case F.Bind: {
        const b = decoded(decodeBind, body);
        const [portalName, statementName] = b ? [b.portal, b.statement] : leadingStrings(body, 2);
        const statement = this.statements.get(statementName!) ?? { text: `EXECUTE ${statementName || '<unnamed>'}`, paramTypes: [], fields: null };
        // Parameters of a Bind that cannot be read are left out rather than guessed.
        const params = b?.params.map((value, i) => {
          const shown = formatValue(value, formatCode(b.paramFormats, i), statement.paramTypes[i] ?? 0);
          return shown === null ? null : keep(shown, MAX_KEPT_PARAM);
        });
        // Its columns: a Describe of the portal answers them, else one of the statement did (portalFields).
        remember(this.portals, portalName!, { statement, params, fields: null, resultFormats: b?.resultFormats ?? [] });
        this.queue.push({ kind: 'bind', statement, params });
        break;
      }
      case F.Describe: {
        const d = decoded(decodeDescribe, body);
        const entry: Pending =
          d === undefined ? { kind: 'describe' } : d.target === 'statement' ? { kind: 'describe', statement: this.statements.get(d.name) } : { kind: 'describe', portal: this.portals.get(d.name) };
        this.queue.push(entry);
        break;
      }
      case F.Execute: {
        const portalName = decoded(decodeExecute, body)?.portal ?? leadingStrings(body, 1)[0]!;
        const portal = this.portals.get(portalName);
        const run = this.begin(portal?.statement.text ?? `EXECUTE portal ${portalName || '<unnamed>'}`, portal?.params, portal?.statement.cut);
        run.portal = portal;
        this.queue.push({ kind: 'execute', run });
        break;
      }
      case F.Close: {
        const c = decoded(decodeClose, body);
        // The statement closed is kept with the Close, for error() to put back should the server skip it.
        const statement = c?.target === 'statement' ? this.statements.get(c.name) : undefined;
        if (c?.target === 'statement') this.statements.delete(c.name);
        else if (c) this.portals.delete(c.name);
        this.queue.push({ kind: 'close', name: c?.name, statement });
        break;
      }
      case F.Sync:
        this.skippingToSync = false;
        this.queue.push({ kind: 'sync' });
        break;
      case F.Function: {
        this.queue.push({ kind: 'function' });
        const f = decodeFunctionCall(body);
        this.out.event({ type: 'function-call', oid: f.functionOid, args: f.args.length });
        break;
      }
      case F.Terminate:
        this.clientLeft = true;
        break;
      case F.CopyFail: {
        const reason = decodeCopyFail(body).message;
        this.out.event({ type: 'copy-fail', message: reason.slice(0, 1024) });
        break;
      }
      default:
        break;
    }
  }

  /** A statement goes into the transcript as the person typed it, at the prompt. */
  private begin(text: string, params: (string | null)[] | undefined, cut = false): Running {
    this.out.tty(this.transcript.statement(this.prompt, text));
    if (params && params.length > 0) this.out.tty(this.transcript.parameters(params.map((value) => ({ value }))));
    return { text, cut, params, start: this.out.now(), rows: 0, tag: undefined, error: undefined, result: undefined, fields: null, copy: undefined };
  }

  private serverMessage(type: number, body: Buffer, truncated: boolean): void {
    switch (type) {
      case B.RowDescription: {
        const fields = this.resultColumns.describe(body);
        const head = this.queue[0];
        if (head?.kind === 'describe') {
          if (head.portal) head.portal.fields = fields;
          if (head.statement) head.statement.fields = fields;
          this.queue.shift();
          return;
        }
        this.startResult(fields);
        return;
      }
      case B.DataRow: {
        // A row longer than the framer keeps is shown as far as it arrived, the cut marked.
        const cut = truncated ? dataRowPrefix(body) : undefined;
        this.dataRow(cut ? cut.values : decodeDataRow(body), cut ? cut.cut : -1);
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
        this.out.tty(this.transcript.notice(toServerMessage(decodeNoticeResponse(body)), this.current?.text));
        return;
      case B.Notification: {
        const n = decodeNotificationResponse(body);
        this.out.tty(this.transcript.notification(n.channel, n.payload, n.pid));
        this.out.event({ type: 'notification', channel: n.channel, pid: n.pid, payload: n.payload.slice(0, 1024) });
        return;
      }
      case B.Ready:
        this.ready(decodeReadyForQuery(body).status);
        return;
      case B.ParameterStatus: {
        const p = decodeParameterStatus(body);
        if (p.name === 'is_superuser') {
          this.superuser = p.value === 'on';
          this.shownPrompt = undefined;
        }
        if (p.name === 'session_authorization' || p.name === 'is_superuser') this.out.event({ type: 'parameter', name: p.name, value: p.value });
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
        this.queue.shift();
        return;
      case B.NoData:
        if (this.queue[0]?.kind === 'describe') this.queue.shift();
        return;
      case B.ParameterDescription: {
        // The types the server inferred tell how to show the parameters later Binds send in binary.
        const head = this.queue[0];
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
   * A row of the result set under way, its values shown in its columns' formats and types;
   * `cut` is the column a row longer than the framer keeps was cut in (-1: none), shown as far
   * as it arrived, the columns after it as missing.
   */
  private dataRow(values: (Buffer | null)[], cut: number): void {
    const run = this.running();
    if (!run) return;
    // An Execute's columns come from the Describe answered after it was sent; one never described
    // has no RowDescription: name the columns by position.
    if (!run.result) this.startResult((run.portal && portalFields(run.portal)) ?? values.map((_, i) => unnamedField(i)));
    const fields = run.fields ?? [];
    // A plain loop, not a map: this runs per row.
    const shown = new Array<string | null>(values.length);
    for (let i = 0; i < values.length; i++) {
      const field = fields[i];
      shown[i] = formatValue(values[i]!, field?.format ?? 0, field?.typeOid ?? 0);
    }
    if (cut >= 0) for (let i = cut; i < Math.max(shown.length, fields.length); i++) shown[i] = (i === cut ? (shown[i] ?? '') : '') + ELLIPSIS;
    run.result!.row(shown);
    run.rows++;
  }

  /** The statement the server is answering now: the head Query or Execute. */
  private running(): Running | undefined {
    const head = this.queue[0];
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
    if (withFooter || run.result.count > 0) this.out.tty(run.result.render());
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
      if (!tag.startsWith('SELECT ')) this.out.tty(this.transcript.commandTag(tag));
    }
    if (this.queue[0]?.kind === 'execute') this.finishExecute(tag);
  }

  /** The COPY data that went by, counted: when the COPY ends, and as well when it fails part way. */
  private copyDone(run: Running, tag: string | undefined): void {
    if (!run.copy) return;
    const rows = tag ? Number(/^COPY (\d+)/.exec(tag)?.[1] ?? NaN) : NaN;
    this.out.tty(this.transcript.copy(run.copy.direction, run.copy.bytes, Number.isNaN(rows) ? undefined : rows));
    this.out.event({ type: 'copy', direction: run.copy.direction, bytes: run.copy.bytes, ...(Number.isNaN(rows) ? {} : { rows }) });
    run.copy = undefined;
  }

  private error(e: NoticeFields): void {
    const head = this.queue[0];
    const run = this.running();
    const failing = head?.kind === 'parse' || head?.kind === 'bind' ? head : undefined;
    // The Execute the client queued behind a failing Parse or Bind: its event, with its start and parameters, tells of the failure.
    const queued = !run && failing ? this.queuedExecute(failing.statement) : undefined;
    if (run) {
      // The rows or COPY data that arrived before the error, shown before it.
      this.flushResult(run, false);
      this.copyDone(run, undefined);
      run.error = e;
    } else if (failing && !queued) {
      // Nothing queued would have put this statement in the transcript (a Parse sent to prepare it only).
      this.out.tty(this.transcript.statement(this.prompt, failing.statement.text));
    }
    if (queued) queued.error = e;
    this.out.tty(this.transcript.error(toServerMessage(e), run?.text ?? failing?.statement.text));
    if (head && head.kind !== 'query' && head.kind !== 'function' && head.kind !== 'sync') {
      // Extended protocol: the server discards messages up to the next Sync.
      const answered = run ?? queued;
      if (answered) this.finish(answered);
      else if (head.kind === 'parse') this.finish(failed(head.statement.text, undefined, e, this.out.now()));
      else if (head.kind === 'bind') this.finish(failed(head.statement.text, head.params, e, this.out.now()));
      const dropped: Pending[] = [];
      while (this.queue.length > 0 && this.queue[0]!.kind !== 'sync') dropped.push(this.queue.shift()!);
      this.undo(dropped);
      // The Sync may not have been sent yet: until it is, the client's messages are ignored.
      this.skippingToSync = this.queue.length === 0;
    }
  }

  /** The first Execute of `statement` queued before the next Sync. */
  private queuedExecute(statement: Statement): Running | undefined {
    for (const p of this.queue) {
      if (p.kind === 'sync') return undefined;
      if (p.kind === 'execute' && p.run.portal?.statement === statement) return p.run;
    }
    return undefined;
  }

  /**
   * The server did not carry out these messages (the first failed, the others it skipped): the
   * statement names they defined or closed mean again what they meant before, so that a later Bind
   * is not shown with the text of a Parse that never took effect. Latest first.
   */
  private undo(entries: Pending[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const p = entries[i]!;
      if (p.kind === 'parse' && this.statements.get(p.name) === p.statement) {
        // A failed Parse of the unnamed statement has dropped the previous one already.
        if (p.previous && !(i === 0 && p.name === '')) this.statements.set(p.name, p.previous);
        else this.statements.delete(p.name);
      } else if (p.kind === 'close' && p.statement && p.name !== undefined && !this.statements.has(p.name)) {
        remember(this.statements, p.name, p.statement);
      }
    }
  }

  private finishExecute(tag: string | undefined): void {
    const head = this.queue.shift();
    if (head?.kind !== 'execute') return;
    if (tag === 'suspended') head.run.tag = '(portal suspended)';
    this.finish(head.run);
  }

  private ready(status: TransactionStatus): void {
    const head = this.queue.shift();
    if (head?.kind === 'query') {
      this.flushResult(head.run, false);
      this.finish(head.run);
    }
    if (status !== this.status) {
      this.status = status;
      this.shownPrompt = undefined;
    }
    this.current = undefined;
  }

  /** No message waits for the server's answer. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  /**
   * The connection is over: a statement still being answered goes into the recording with the
   * rows and COPY data that came.
   */
  end(): void {
    const run = this.running();
    this.queue.length = 0;
    this.current = undefined;
    if (!run) return;
    this.flushResult(run, true);
    this.copyDone(run, undefined);
    this.out.tty(this.transcript.commandTag(`-- ${INTERRUPTED}`));
    run.interrupted = true;
    this.finish(run);
  }

  private finish(run: Running): void {
    // Field by field rather than spreads: one event per statement.
    const q: QueryInput = { text: run.text, durationMs: Math.max(0, this.out.now() - run.start), rows: run.rows, database: this.database };
    if (run.params) q.params = run.params;
    if (run.tag !== undefined) q.tag = run.tag;
    if (run.error) q.error = { code: run.error.code, message: run.error.message };
    else if (run.interrupted) q.error = { message: INTERRUPTED };
    if (run.cut) q.truncated = true;
    const e = queryEvent(q);
    if (this.out.query) this.out.query(e);
    else this.out.event(e);
    if (this.current === run) this.current = undefined;
  }
}

/** The columns of a described portal: its own Describe's, else its statement's in the Bind's result formats. */
function portalFields(portal: Portal): FieldDescription[] | null {
  if (portal.fields) return portal.fields;
  return portal.statement.fields?.map((f, i) => ({ ...f, format: formatCode(portal.resultFormats, i) })) ?? null;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
}

function failed(text: string, params: (string | null)[] | undefined, error: NoticeFields, now: number): Running {
  return { text, cut: false, params, start: now, rows: 0, tag: undefined, error, result: undefined, fields: null, copy: undefined };
}
