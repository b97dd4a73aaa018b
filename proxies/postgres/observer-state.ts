/**
 * The PostgreSQL observer's state (observer.ts): what it tracks per connection (statements,
 * portals, the queue of requests the server has yet to answer, the transaction status the
 * prompt shows) and the message type codes both of its halves read. The client half
 * (observer-requests.ts) queues what the client sends; the observer reads the answers.
 */
import type { ObserverOutput } from '../wire/relay.js';
import { noteStatementText, Transcript, type TableRows, type TextFacts } from '../../src/transcript/index.js';
import type { FieldDescription, NoticeFields, TransactionStatus } from './protocol/backend.js';
import { formatCode } from './protocol/frontend.js';
import { keep, MAX_TRACKED, remember } from '../wire/tracked.js';

export { keep, MAX_TRACKED, remember };

/**
 * What is kept of a prepared statement's text and of a bound parameter, so
 * that MAX_TRACKED statements and portals stay within a few MiB per
 * connection (the query event cuts texts at 64 KiB and parameters at 1 KiB).
 */
export const MAX_KEPT_TEXT = 16_384;
export const MAX_KEPT_PARAM = 1024;

const ch = (c: string): number => c.charCodeAt(0);
export const F = { Query: ch('Q'), Parse: ch('P'), Bind: ch('B'), Execute: ch('E'), Describe: ch('D'), Close: ch('C'), Sync: ch('S'), CopyData: ch('d'), CopyDone: ch('c'), CopyFail: ch('f'), Function: ch('F'), Terminate: ch('X') };
export const B = {
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

export interface Statement {
  text: string;
  /** What the text is, found once when it was parsed (see src/transcript/plain-text.ts); absent for a name alone. */
  facts?: TextFacts;
  /** The text was cut: the framer kept only its start, or it was longer than MAX_KEPT_TEXT. */
  cut?: boolean;
  paramTypes: number[];
  fields: FieldDescription[] | null;
}

export interface Portal {
  statement: Statement;
  /** undefined when the Bind could not be read (e.g. cut short by the framer). */
  params: (string | null)[] | undefined;
  /** The RowDescription that answered a Describe of this portal. */
  fields: FieldDescription[] | null;
  resultFormats: number[];
}

/** A statement being answered: a simple Query, or an Execute of a portal. */
export interface Running {
  text: string;
  cut: boolean;
  params: (string | null)[] | undefined;
  /** When the statement arrived (ObserverOutput.now()), for its duration. */
  start: number;
  rows: number;
  /** The last command tag (a Query of several statements has one per statement). */
  tag: string | undefined;
  error: NoticeFields | undefined;
  result: TableRows | undefined;
  fields: FieldDescription[] | null;
  /** The portal an Execute runs, whose columns a Describe answered after the Execute was sent. */
  portal?: Portal | undefined;
  copy: { direction: 'in' | 'out'; bytes: number } | undefined;
  /** The connection ended before the answer was complete. */
  interrupted?: boolean;
}

export type Pending =
  | { kind: 'query'; run: Running }
  | { kind: 'execute'; run: Running }
  | { kind: 'parse'; name: string; statement: Statement; previous: Statement | undefined }
  | { kind: 'bind'; statement: Statement; params: (string | null)[] | undefined }
  | { kind: 'close'; name?: string; statement?: Statement | undefined }
  | { kind: 'sync' | 'function' }
  | { kind: 'describe'; statement?: Statement; portal?: Portal };

/** The connection as the observer follows it; shared by the client half and the observer. */
export class ConnectionState {
  readonly transcript = new Transcript();
  readonly statements = new Map<string, Statement>();
  readonly portals = new Map<string, Portal>();
  /** Requests the server answers, in order: its answers are the head's. */
  readonly queue: Pending[] = [];
  status: TransactionStatus = 'I';
  superuser: boolean;
  /** The prompt for the status and superuser above; undefined once either changed. */
  shownPrompt: string | undefined;
  /** Set when the extended protocol failed: pending entries up to the next Sync are dropped. */
  skippingToSync = false;
  /** The client said goodbye (Terminate): the target closing next is the person's doing. */
  clientLeft = false;

  constructor(
    readonly out: ObserverOutput,
    readonly database: string,
    superuser: boolean,
  ) {
    this.superuser = superuser;
  }

  /** psql's default prompt: `db=> `, `db=*> ` in a transaction, `db=!> ` in a failed one, `#` for a superuser. */
  get prompt(): string {
    if (this.shownPrompt !== undefined) return this.shownPrompt;
    const mark = this.status === 'T' ? '*' : this.status === 'E' ? '!' : '';
    this.shownPrompt = `${this.database}=${mark}${this.superuser ? '#' : '>'} `;
    return this.shownPrompt;
  }

  /** A statement goes into the transcript as the person typed it, at the prompt; `facts`: a prepared statement's. */
  begin(text: string, params: (string | null)[] | undefined, cut = false, facts?: TextFacts): Running {
    if (facts) noteStatementText(facts);
    this.out.tty(this.transcript.statement(this.prompt, text));
    if (params && params.length > 0) this.out.tty(this.transcript.parameters(params));
    return { text, cut, params, start: this.out.now(), rows: 0, tag: undefined, error: undefined, result: undefined, fields: null, copy: undefined };
  }

  /** The first Execute of `statement` queued before the next Sync. */
  queuedExecute(statement: Statement): Running | undefined {
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
  undo(entries: Pending[]): void {
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
}

/** The columns of a described portal: its own Describe's, else its statement's in the Bind's result formats. */
export function portalFields(portal: Portal): FieldDescription[] | null {
  if (portal.fields) return portal.fields;
  return portal.statement.fields?.map((f, i) => ({ ...f, format: formatCode(portal.resultFormats, i) })) ?? null;
}

export function failed(text: string, params: (string | null)[] | undefined, error: NoticeFields, now: number): Running {
  return { text, cut: false, params, start: now, rows: 0, tag: undefined, error, result: undefined, fields: null, copy: undefined };
}
