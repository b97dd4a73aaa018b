/**
 * What the two halves of the MySQL observer share (observer.ts): the connection as the
 * person's client knows it (schema, transaction, prepared statements and their open cursors),
 * what the handshake negotiated, and the transcript and events they write. The client half
 * (observer-commands.ts) reads commands as they reach the head of the queue; the server half
 * (observer-answers.ts) reads their answers; the observer itself keeps the queue between them.
 */
import type { ProtocolError } from '../../src/errors.js';
import { noteStatementText, Transcript, type TextFacts } from '../../src/transcript/index.js';
import { Capability } from './protocol/capabilities.js';
import { ServerStatus, SessionTrack, type OkPacket } from './protocol/packets.js';
import { CONTINUATION_PROMPT, keep, MAX_KEPT_TEXT, type Run, type Statement } from './observer-state.js';
import { ResultColumns } from './result-columns.js';
import { RunWriter } from './run-writer.js';
import type { ObserverOutput } from '../wire/relay.js';

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

/** An OK or EOF packet's status, and its session state changes when it carries them. */
export type StatusPacket = Pick<OkPacket, 'statusFlags'> & Partial<Pick<OkPacket, 'sessionStateChanges'>>;

export class ObserverContext {
  readonly transcript = new Transcript();
  readonly writer: RunWriter;
  readonly resultColumns: ResultColumns;
  /** Prepared statements by id (at most MAX_TRACKED, see remember). */
  readonly statements = new Map<number, Statement>();
  database: string | null;
  inTransaction = false;
  /** The id of the statement prepared last: MariaDB's statement id 0xFFFFFFFF. */
  lastPrepared = -1;
  readonly maxRows: number;
  readonly capabilities: number;
  readonly mariadbCapabilities: number;
  readonly deprecateEof: boolean;
  readonly localInfile: boolean;
  readonly family: 'MariaDB' | 'MySQL';
  /** Set when the target broke the protocol in a way that must end the session. */
  violation: ProtocolError | undefined;
  /** The client said goodbye (COM_QUIT): the target closing next is the person's doing. */
  clientLeft = false;
  /** The prompt last built, and the database and transaction state it was built for. */
  private shownPrompt: { text: string; database: string | null; inTransaction: boolean } | undefined;

  constructor(
    readonly out: ObserverOutput,
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

  /** MariaDB's statement id 0xFFFFFFFF: the statement prepared last. */
  statementId(id: number): number {
    return id === 0xffff_ffff ? this.lastPrepared : id;
  }

  /** A statement goes into the transcript as the person typed it, at the prompt; `facts`: a prepared statement's. */
  begin(text: string, cut: boolean, params: (string | null)[] | undefined, start: number, binary: boolean, facts?: TextFacts): Run {
    if (facts) noteStatementText(facts);
    this.out.tty(this.transcript.statement(this.prompt, text, CONTINUATION_PROMPT));
    if (params && params.length > 0) this.out.tty(this.transcript.parameters(params));
    const run = this.newRun(text, cut, params, start, binary, false);
    run.facts = facts;
    return run;
  }

  /** A run not yet shown: `silent` for commands a client runs on its own (followed, never shown). */
  newRun(text: string, cut: boolean, params: (string | null)[] | undefined, start: number, binary: boolean, silent: boolean): Run {
    return {
      text: keep(text, MAX_KEPT_TEXT * 4),
      facts: undefined,
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

  /** A cursor is done (all rows sent, closed, reset or re-executed): its table and its event. */
  closeCursor(statement: Statement): void {
    const run = statement.cursor;
    if (!run) return;
    statement.cursor = undefined;
    this.writer.flush(run);
    this.writer.emitQuery(run);
  }

  closeCursors(): void {
    for (const statement of this.statements.values()) this.closeCursor(statement);
  }

  /** Status flags and session state from an OK or EOF packet. */
  status(packet: StatusPacket | undefined): void {
    if (!packet) return;
    this.inTransaction = (packet.statusFlags & ServerStatus.SERVER_STATUS_IN_TRANS) !== 0;
    for (const change of packet.sessionStateChanges ?? []) {
      if (change.type === SessionTrack.Schema && 'schema' in change) this.database = change.schema === '' ? null : change.schema;
    }
  }

  /** Without session tracking, a `USE db` that succeeded is the only sign of a schema change. */
  useStatement(text: string): void {
    const m = /^\s*use\s+(?:`((?:[^`]|``)+)`|([^\s`;]+))\s*;?\s*$/i.exec(text);
    if (m) this.database = m[1] !== undefined ? m[1].replaceAll('``', '`') : m[2]!;
  }
}
