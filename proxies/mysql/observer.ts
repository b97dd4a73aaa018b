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
 *
 * This file keeps the queue of commands and the sinks the framers feed; a command at the
 * head is read by observer-commands.ts, its answer by observer-answers.ts, and both share
 * the connection's state in an ObserverContext (observer-context.ts).
 */
import { activate } from './observer-commands.js';
import { step } from './observer-answers.js';
import { addRow } from './rows.js';
import { ObserverContext, type MysqlObserverOptions } from './observer-context.js';
import { INTERRUPTED } from '../../src/transcript/index.js';
import { Command } from './protocol/commands.js';
import { packetCount, type PacketSink } from './protocol/framer.js';
import { Header, isResultSetEnd } from './protocol/packets.js';
import { MAX_KEPT_TEXT, MAX_TRACKED, MAX_WAITING_BULK, Phase, UNANSWERED, type Pending } from './observer-state.js';
import type { ObserverOutput } from '../wire/relay.js';

export type { ObserverOutput } from '../wire/relay.js';
export type { MysqlObserverOptions } from './observer-context.js';
export { CONTINUATION_PROMPT, MAX_BULK_ROWS, MAX_KEPT_PARAM, MAX_KEPT_TEXT, MAX_TRACKED } from './observer-state.js';

export class MysqlObserver {
  private readonly c: ObserverContext;
  /** Commands sent and not yet answered, oldest first; the head is active (decoded and shown). */
  private readonly queue: Pending[] = [];
  /** What to do with the server message whose `wants` was just asked. */
  private disposition: 'process' | 'row' | 'ignore' = 'ignore';
  /** The client message whose `wants` was just asked is data, not a command. */
  private clientSendsData = false;

  readonly client: PacketSink;
  readonly server: PacketSink;

  constructor(out: ObserverOutput, options: MysqlObserverOptions) {
    this.c = new ObserverContext(out, options);
    this.client = {
      // Commands (sequence id 0) are read; LOCAL INFILE data and authentication packets are not,
      // whatever their sequence id (a long file's wrap through 0).
      wants: (_first, _length, seq) => {
        this.clientSendsData = seq !== 0 || this.receivingData;
        return !this.clientSendsData;
      },
      message: (payload, truncated, _seq, total) => this.clientMessage(payload, 0, payload.length, truncated, total),
      // A command that goes first is read where it lies; one that waits behind another is kept as a copy anyway.
      messageAt: (bytes, start, end) => {
        if (this.queue.length > 0) return false;
        this.clientMessage(bytes, start, end, false, end - start);
        return true;
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
      message: (payload, truncated, seq, total) => this.serverMessage(payload, 0, payload.length, truncated, seq, total),
      // Every packet of an answer is read where it lies when it can be.
      messageAt: (bytes, start, end, seq) => {
        this.serverMessage(bytes, start, end, false, seq, end - start);
        return true;
      },
      skipped: (_first, total, seq) => {
        try {
          if (this.disposition === 'row') this.skippedRow(seq, total);
        } catch {
          // Counting only; never reached in practice.
        }
      },
      // Up to the cap, the rows of a result set are taken one after the other, read where they lie.
      rowAt: (bytes, start, end, seq) => this.takeRow(bytes, start, end, seq),
      // Past the cap, every row of the result set is refused: the framer counts a run of them in one call.
      skipsRun: () => this.disposition === 'row',
      skippedRun: (count, lastSeq) => this.skippedRows(count, lastSeq),
    };
  }

  /** The client's default prompt, `MariaDB [app]> ` (`MySQL [app]> ` for a MySQL server), with `*` in a transaction. */
  get prompt(): string {
    return this.c.prompt;
  }

  /** The client said goodbye (COM_QUIT): the target closing next is the person's doing. */
  get clientLeft(): boolean {
    return this.c.clientLeft;
  }

  /** A line the gateway adds to the transcript (e.g. why the session ended). */
  note(text: string): void {
    this.c.note(text);
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
    this.c.closeCursors();
  }

  // -------------------------------------------------------------------------
  // Client side.

  /** A client command the framer handed over, `bytes[start, end)`. */
  private clientMessage(bytes: Buffer, start: number, end: number, truncated: boolean, total: number): void {
    try {
      this.command(bytes, start, end, truncated, total);
    } catch {
      // A command the observer cannot follow costs only its own detail.
    }
  }

  private command(bytes: Buffer, start: number, end: number, truncated: boolean, total: number): void {
    if (end <= start) return;
    const command = bytes[start]!;
    const waiting = this.queue.length > 0;
    // A command waiting behind another keeps a bounded copy: the framer's payload may pin its chunk.
    // A bulk execute pipelined behind its prepare is kept whole (as far as the framer kept it): its rows are its events.
    const bulk = command === Command.COM_STMT_BULK_EXECUTE && this.queue.length < MAX_WAITING_BULK;
    const length = end - start;
    const kept = !waiting || bulk ? length : Math.min(length, this.queue.length < MAX_TRACKED ? MAX_KEPT_TEXT : 5);
    const copy = waiting ? Buffer.from(bytes.subarray(start, start + kept)) : null;
    const pending: Pending = {
      command,
      payload: copy ?? bytes,
      payloadAt: copy ? 0 : start,
      payloadEnd: copy ? kept : end,
      truncated: truncated || kept < length,
      total,
      nextSeq: packetCount(total) & 0xff,
      received: 0,
      start: this.c.out.now(),
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
        activate(this.c, head);
      } catch {
        // Not readable: its answer is still awaited (as one packet unless activate got further).
      }
      head.payload = null;
      if (!UNANSWERED.has(head.command)) return;
      this.queue.shift();
    }
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

  /**
   * The next row of the result set being read, `bytes[start, end)`, as serverWants and answer
   * would take it (the framer checked it is one whole packet, neither EOF nor ERR, and follows
   * on); false, with nothing changed, when it is not one to take that way.
   */
  private takeRow(bytes: Buffer, start: number, end: number, seq: number): boolean {
    const p = this.queue[0];
    const run = p?.run;
    if (p === undefined || p.phase !== Phase.Rows || seq !== p.nextSeq || !run?.result?.wantsRow()) return false;
    p.received++;
    p.nextSeq = (seq + 1) & 0xff;
    try {
      addRow(run, bytes, false, start, end);
    } catch {
      // As in answer(): a row that cannot be read costs only its detail.
    }
    return true;
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

  /** A server packet the framer handed over, `bytes[start, end)`: a packet of the head's answer, or one to let by. */
  private serverMessage(bytes: Buffer, start: number, end: number, truncated: boolean, seq: number, total: number): void {
    try {
      if (this.disposition === 'process') this.answer(bytes, start, end, truncated, seq, total);
    } catch {
      // As above: a server packet the observer cannot follow costs only its detail.
    }
    const violation = this.c.violation;
    this.c.violation = undefined;
    if (violation) throw violation;
  }

  private answer(bytes: Buffer, start: number, end: number, truncated: boolean, seq: number, total: number): void {
    const p = this.queue[0];
    if (!p) return;
    p.received++;
    p.nextSeq = (seq + packetCount(total)) & 0xff;
    let done = false;
    try {
      done = step(this.c, p, bytes, start, end, truncated, total);
    } catch {
      const first = end > start ? bytes[start]! : -1;
      // A packet that cannot be read: the answer goes on, or ends if it was one that ends it
      // (an ERR; an OK where one ends the answer unless more results follow, which is assumed).
      done =
        p.phase === Phase.Single ||
        (first === Header.Err && p.phase !== Phase.Columns && p.phase !== Phase.PrepareDefs) ||
        (first === Header.Ok && (p.phase === Phase.First || p.phase === Phase.Auth));
    }
    if (done) this.finish(p);
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
    this.c.writer.flush(run);
    this.c.writer.infileDone(run);
    if (run.interrupted && !run.silent) this.c.out.tty(this.c.transcript.commandTag(`-- ${INTERRUPTED}`));
    const shown = p.command === Command.COM_QUERY || p.command === Command.COM_STMT_EXECUTE || p.command === Command.COM_STMT_BULK_EXECUTE || p.command === Command.COM_INIT_DB || run.error !== undefined;
    if (shown) this.c.writer.emitQuery(run);
  }
}
