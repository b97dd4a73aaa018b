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
 * the queue is dropped up to there too.
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
import type { RecordedEvent } from '../../src/recording/frames.js';
import { RowCollector, Transcript, queryEvent, type TableColumn } from '../../src/transcript/index.js';
import {
  decodeCommandComplete,
  decodeCopyResponse,
  decodeDataRow,
  decodeErrorResponse,
  decodeNoticeResponse,
  decodeNotificationResponse,
  decodeParameterStatus,
  decodeReadyForQuery,
  decodeRowDescription,
  type FieldDescription,
  type NoticeFields,
  type TransactionStatus,
} from './protocol/backend.js';
import type { FrameSink } from './protocol/framer.js';
import { decodeBind, decodeClose, decodeCopyFail, decodeDescribe, decodeExecute, decodeFunctionCall, decodeParse, decodeQuery, formatCode } from './protocol/frontend.js';
import { RIGHT_ALIGNED_TYPES, formatValue } from './protocol/values.js';

export interface ObserverOutput {
  /** Transcript text for the terminal stream. */
  tty(text: string): void;
  event(e: RecordedEvent): void;
  /** Milliseconds on the recording's clock. */
  now(): number;
}

export interface ObserverOptions {
  database: string;
  maxRows: number;
  /** ParameterStatus values from the login (is_superuser picks the prompt's # or >). */
  parameters: ReadonlyMap<string, string>;
}

/** Statements and portals remembered per connection. */
export const MAX_TRACKED = 1000;

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
  paramTypes: number[];
  fields: FieldDescription[] | null;
}

interface Portal {
  statement: Statement;
  params: (string | null)[];
  fields: FieldDescription[] | null;
}

/** A statement being answered: a simple Query, or an Execute of a portal. */
interface Running {
  text: string;
  params: (string | null)[] | undefined;
  start: number;
  rows: number;
  tags: string[];
  error: NoticeFields | undefined;
  result: RowCollector | undefined;
  fields: FieldDescription[] | null;
  copy: { direction: 'in' | 'out'; bytes: number } | undefined;
}

type Pending =
  | { kind: 'query'; run: Running }
  | { kind: 'execute'; run: Running }
  | { kind: 'parse'; name: string; statement: Statement }
  | { kind: 'bind'; statement: Statement; params: (string | null)[] }
  | { kind: 'close' | 'sync' | 'function' }
  | { kind: 'describe'; statement?: Statement; portal?: Portal };

export class PgObserver {
  private readonly transcript = new Transcript();
  private readonly statements = new Map<string, Statement>();
  private readonly portals = new Map<string, Portal>();
  private readonly queue: Pending[] = [];
  private status: TransactionStatus = 'I';
  private superuser: boolean;
  private readonly database: string;
  private readonly maxRows: number;
  /** The statement whose answer is arriving, if any. */
  private current: Running | undefined;
  /** Set when the extended protocol failed: pending entries up to the next Sync are dropped. */
  private skippingToSync = false;

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
      message: (type, body, total, truncated) => this.fromClient(type, body, truncated),
      skipped: (type, length) => {
        if (type === F.CopyData && this.current?.copy) this.current.copy.bytes += length;
      },
    };
    this.server = {
      wants: (type) => (type === B.DataRow ? this.wantsRow() : type !== B.CopyData),
      message: (type, body) => this.fromServer(type, body),
      skipped: (type, length) => {
        const run = this.current;
        if (!run) return;
        if (type === B.DataRow) {
          run.result?.skip();
          run.rows++;
        } else if (type === B.CopyData && run.copy) run.copy.bytes += length;
      },
    };
  }

  /** A DataRow is decoded only while its result set still has room to show it. */
  private wantsRow(): boolean {
    const run = this.running();
    return run !== undefined && (run.result === undefined || run.result.wantsRow());
  }

  /** psql's default prompt: `db=> `, `db=*> ` in a transaction, `db=!> ` in a failed one, `#` for a superuser. */
  get prompt(): string {
    const mark = this.status === 'T' ? '*' : this.status === 'E' ? '!' : '';
    return `${this.database}=${mark}${this.superuser ? '#' : '>'} `;
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

  private fromServer(type: number, body: Buffer): void {
    try {
      this.serverMessage(type, body);
    } catch {
      // As above: a server message the observer cannot read costs only its detail.
    }
  }

  private clientMessage(type: number, body: Buffer, truncated: boolean): void {
    // After an error in the extended protocol the server ignores everything up to Sync; so does this.
    if (this.skippingToSync && type !== F.Sync) return;
    switch (type) {
      case F.Query: {
        const text = truncated ? body.toString('utf8') : decodeQuery(body).query;
        const run = this.begin(text, undefined);
        this.queue.push({ kind: 'query', run });
        break;
      }
      case F.Parse: {
        const p = decodeParse(body);
        const statement: Statement = { text: p.query, paramTypes: p.paramTypes, fields: null };
        // Known from here on: a Bind right behind it (pipelined) names it before the server answers.
        // If the Parse fails, the server skips to Sync, and so does the observer.
        remember(this.statements, p.statement, statement);
        this.queue.push({ kind: 'parse', name: p.statement, statement });
        break;
      }
      case F.Bind: {
        const b = decodeBind(body);
        const statement = this.statements.get(b.statement) ?? { text: `EXECUTE ${b.statement || '<unnamed>'}`, paramTypes: [], fields: null };
        const params = b.params.map((value, i) => formatValue(value, formatCode(b.paramFormats, i), statement.paramTypes[i] ?? 0));
        remember(this.portals, b.portal, { statement, params, fields: statement.fields });
        this.queue.push({ kind: 'bind', statement, params });
        break;
      }
      case F.Describe: {
        const d = decodeDescribe(body);
        const entry: Pending = d.target === 'statement' ? { kind: 'describe', statement: this.statements.get(d.name) } : { kind: 'describe', portal: this.portals.get(d.name) };
        this.queue.push(entry);
        break;
      }
      case F.Execute: {
        const e = decodeExecute(body);
        const portal = this.portals.get(e.portal);
        const run = this.begin(portal?.statement.text ?? `EXECUTE portal ${e.portal || '<unnamed>'}`, portal?.params);
        run.fields = portal?.fields ?? null;
        this.queue.push({ kind: 'execute', run });
        break;
      }
      case F.Close: {
        const c = decodeClose(body);
        if (c.target === 'statement') this.statements.delete(c.name);
        else this.portals.delete(c.name);
        this.queue.push({ kind: 'close' });
        break;
      }
      case F.Sync:
        this.skippingToSync = false;
        this.queue.push({ kind: 'sync' });
        break;
      case F.Function: {
        const f = decodeFunctionCall(body);
        this.out.event({ type: 'function-call', oid: f.functionOid, args: f.args.length });
        this.queue.push({ kind: 'function' });
        break;
      }
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
  private begin(text: string, params: (string | null)[] | undefined): Running {
    this.out.tty(this.transcript.statement(this.prompt, text));
    if (params && params.length > 0) this.out.tty(this.transcript.parameters(params.map((value) => ({ value }))));
    return { text, params, start: this.out.now(), rows: 0, tags: [], error: undefined, result: undefined, fields: null, copy: undefined };
  }

  private serverMessage(type: number, body: Buffer): void {
    switch (type) {
      case B.RowDescription: {
        const fields = decodeRowDescription(body);
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
        const run = this.running();
        if (!run) return;
        const values = decodeDataRow(body);
        // An Execute whose portal was never described has no RowDescription: name the columns by position.
        if (!run.result) this.startResult(run.fields ?? values.map((_, i) => unnamedField(i)));
        const fields = run.fields ?? [];
        run.result!.row(values.map((v, i) => formatValue(v, fields[i]?.format ?? 0, fields[i]?.typeOid ?? 0)));
        run.rows++;
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
        if (p.name === 'is_superuser') this.superuser = p.value === 'on';
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
      case B.ParameterDescription:
        return;
      case B.FunctionResult:
        return;
      default:
        return;
    }
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
    run.result = new RowCollector(this.maxRows);
    const columns: TableColumn[] = fields.map((f) => ({ name: f.name, align: RIGHT_ALIGNED_TYPES.has(f.typeOid) ? 'right' : 'left' }));
    run.result.columns(columns);
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
    this.flushResult(run, true);
    if (run.copy) {
      const rows = tag ? Number(/^COPY (\d+)/.exec(tag)?.[1] ?? NaN) : NaN;
      this.out.tty(this.transcript.copy(run.copy.direction, run.copy.bytes, Number.isNaN(rows) ? undefined : rows));
      this.out.event({ type: 'copy', direction: run.copy.direction, bytes: run.copy.bytes, ...(Number.isNaN(rows) ? {} : { rows }) });
      run.copy = undefined;
    }
    if (tag !== undefined) {
      run.tags.push(tag);
      if (!/^(SELECT|COPY) /.test(tag) || run.rows === 0) run.rows += affectedRows(tag);
      if (!tag.startsWith('SELECT ')) this.out.tty(this.transcript.commandTag(tag));
    }
    if (this.queue[0]?.kind === 'execute') this.finishExecute(tag);
  }

  private error(e: NoticeFields): void {
    const head = this.queue[0];
    const run = this.running();
    this.out.tty(this.transcript.error(toServerMessage(e), run?.text ?? (head?.kind === 'parse' ? head.statement.text : undefined)));
    if (run) {
      this.flushResult(run, false);
      run.error = e;
    }
    if (head && head.kind !== 'query' && head.kind !== 'function' && head.kind !== 'sync') {
      // Extended protocol: the server discards messages up to the next Sync.
      if (run) this.finish(run);
      else if (head.kind === 'parse') this.finish(failed(head.statement.text, undefined, e, this.out.now()));
      else if (head.kind === 'bind') this.finish(failed(head.statement.text, head.params, e, this.out.now()));
      while (this.queue.length > 0 && this.queue[0]!.kind !== 'sync') this.queue.shift();
      // The Sync may not have been sent yet: until it is, the client's messages are ignored.
      this.skippingToSync = this.queue.length === 0;
    }
  }

  private finishExecute(tag: string | undefined): void {
    const head = this.queue.shift();
    if (head?.kind !== 'execute') return;
    if (tag === 'suspended') head.run.tags.push('(portal suspended)');
    this.finish(head.run);
  }

  private ready(status: TransactionStatus): void {
    const head = this.queue.shift();
    if (head?.kind === 'query') {
      this.flushResult(head.run, false);
      this.finish(head.run);
    }
    this.status = status;
    this.current = undefined;
  }

  private finish(run: Running): void {
    const tag = run.tags.at(-1);
    this.out.event(
      queryEvent({
        text: run.text,
        ...(run.params ? { params: run.params } : {}),
        durationMs: Math.max(0, this.out.now() - run.start),
        rows: run.rows,
        ...(tag !== undefined ? { tag } : {}),
        ...(run.error ? { error: { code: run.error.code, message: run.error.message } } : {}),
        database: this.database,
      }),
    );
    if (this.current === run) this.current = undefined;
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
}

function failed(text: string, params: (string | null)[] | undefined, error: NoticeFields, now: number): Running {
  return { text, params, start: now, rows: 0, tags: [], error, result: undefined, fields: null, copy: undefined };
}

function unnamedField(i: number): FieldDescription {
  return { name: `?column${i + 1}?`, tableOid: 0, column: 0, typeOid: 0, typeSize: -1, typeModifier: -1, format: 0 };
}

/** Rows a command tag reports: `INSERT 0 5` → 5, `UPDATE 3` → 3, `CREATE TABLE` → 0. */
function affectedRows(tag: string): number {
  const m = /(\d+)$/.exec(tag);
  return m && /^(INSERT|UPDATE|DELETE|MERGE|SELECT|COPY|FETCH|MOVE) /.test(tag) ? Number(m[1]) : 0;
}

function toServerMessage(e: NoticeFields) {
  const position = e.position === undefined ? undefined : Number(e.position);
  return {
    severity: e.severity,
    code: e.code,
    message: e.message,
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    ...(position !== undefined && Number.isFinite(position) ? { position } : {}),
    ...(e.internalQuery !== undefined ? { internalQuery: e.internalQuery } : {}),
    ...(e.where !== undefined ? { context: e.where } : {}),
  };
}
