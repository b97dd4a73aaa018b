/**
 * What the MySQL observer's tests share: packets built with the protocol layer's encoders, a
 * conversation builder for one set of capabilities, and a player that feeds a conversation
 * through the framers into one observer.
 */
import assert from 'node:assert/strict';
import type { RecordedEvent } from '../../src/recording/frames.js';
import { MysqlObserver } from './observer.js';
import { encodeQuery } from './protocol/query-command.js';
import { encodeStmtPrepareOk } from './protocol/statement-commands.js';
import { PacketFramer, writePacket, type PacketSink } from './protocol/framer.js';
import { Capability as C } from './protocol/capabilities.js';
import { encodeEof, encodeErr, encodeOk } from './protocol/packets.js';
import {
  ColumnFlag as F,
  ColumnType as T,
  encodeBinaryRow,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeTextRow,
  type BinaryValue,
  type ColumnDefinition,
} from './protocol/resultset.js';
import { renderTableFrame } from '../../src/transcript/table-frame.js';

// ---------------------------------------------------------------------------
// Packets, built with the protocol layer's encoders.

export const BASE = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS | C.CLIENT_SECURE_CONNECTION | C.CLIENT_MULTI_STATEMENTS | C.CLIENT_MULTI_RESULTS | C.CLIENT_PS_MULTI_RESULTS | C.CLIENT_PLUGIN_AUTH | C.CLIENT_LOCAL_FILES;
export const DEPRECATE = BASE | C.CLIENT_DEPRECATE_EOF;
const UTF8MB4 = 45;

export function col(name: string, type: number = T.VAR_STRING, flags = 0): ColumnDefinition {
  const numeric = type !== T.VAR_STRING && type !== T.BLOB && type !== T.STRING;
  return {
    catalog: 'def',
    schema: 'app',
    table: 't',
    orgTable: 't',
    name,
    orgName: name,
    charset: numeric ? 63 : UTF8MB4,
    columnLength: 20,
    type,
    flags: flags | (numeric ? F.NUM : 0),
    decimals: 0,
  };
}

export interface Step {
  from: 'client' | 'server';
  bytes: Buffer;
}

/** Builds a conversation for one set of capabilities; server packets count their sequence ids from 1. */
export class Conv {
  readonly steps: Step[] = [];
  constructor(readonly caps: number) {}

  client(payload: Buffer, seq = 0): this {
    this.steps.push({ from: 'client', bytes: writePacket(payload, seq) });
    return this;
  }
  query(text: string): this {
    return this.client(encodeQuery(text, this.caps));
  }
  server(payloads: Buffer[], firstSeq = 1): this {
    this.steps.push({ from: 'server', bytes: Buffer.concat(payloads.map((p, i) => writePacket(p, firstSeq + i))) });
    return this;
  }
  ok(o: Parameters<typeof encodeOk>[0] = {}): Buffer {
    return encodeOk(o, this.caps);
  }
  err(code: number, sqlState: string, message: string): Buffer {
    return encodeErr({ code, sqlState, message }, this.caps);
  }
  /** The end of a list of definitions or rows: EOF, or under CLIENT_DEPRECATE_EOF an OK with header 0xFE. */
  end(statusFlags = 0): Buffer {
    return this.caps & C.CLIENT_DEPRECATE_EOF ? encodeOk({ header: 0xfe, statusFlags }, this.caps) : encodeEof({ warnings: 0, statusFlags }, this.caps);
  }
  /** Column count, definitions, [EOF]: a result set's head. */
  head(columns: ColumnDefinition[]): Buffer[] {
    const out = [encodeColumnCount(columns.length, this.caps), ...columns.map((c) => encodeColumnDefinition(c))];
    if (!(this.caps & C.CLIENT_DEPRECATE_EOF)) out.push(encodeEof({ warnings: 0, statusFlags: 0 }, this.caps));
    return out;
  }
  textResult(columns: ColumnDefinition[], rows: (string | null)[][], statusFlags = 0): Buffer[] {
    return [...this.head(columns), ...rows.map((r) => encodeTextRow(r)), this.end(statusFlags)];
  }
  binaryResult(columns: ColumnDefinition[], rows: (Exclude<BinaryValue, null> | string | null)[][], statusFlags = 0): Buffer[] {
    return [...this.head(columns), ...rows.map((r) => encodeBinaryRow(r, columns)), this.end(statusFlags)];
  }
  prepareOk(id: number, params: number, columns: ColumnDefinition[]): Buffer[] {
    const eof = this.caps & C.CLIENT_DEPRECATE_EOF ? [] : [encodeEof({ warnings: 0, statusFlags: 0 }, this.caps)];
    const out = [encodeStmtPrepareOk({ statementId: id, columnCount: columns.length, paramCount: params, warnings: 0, metadataFollows: true }, this.caps)];
    if (params > 0) out.push(...Array.from({ length: params }, () => encodeColumnDefinition(col('?'))), ...eof);
    if (columns.length > 0) out.push(...columns.map((c) => encodeColumnDefinition(c)), ...eof);
    return out;
  }
}

// ---------------------------------------------------------------------------
// Driving an observer.

export interface Played {
  tty: string;
  events: RecordedEvent[];
  queries: RecordedEvent[];
  observer: MysqlObserver;
  serverMessages: number;
  /** Packets, of either side, that came to the observer as a Buffer of their own (`message`). */
  views: number;
  /** Rows the framer offered straight to `rowAt`, and the observer took. */
  taken: number;
  /** The transcript so far, including what came after play() (from observer.end()). */
  ttyNow(): string;
  /** The sizes of the table frames among it, in order. */
  tables: number[];
}

export interface PlayOptions {
  maxRows?: number;
  database?: string | null;
  chunks?: (bytes: Buffer, step: number) => Buffer[];
  /** The server framer's maxBuffered. */
  maxBuffered?: number;
  /** The target may ask for LOCAL INFILE data (default true). */
  localInfile?: boolean;
  /**
   * Every packet comes as a Buffer of its own (`message`), as one split across chunks does; by
   * default a packet whole in its chunk is read where it lies (`messageAt`, and `rowAt` for the
   * rows of a result set), as in the relay.
   */
  views?: boolean;
}

/**
 * Feeds each step's bytes through a framer of its direction into one observer, in order, the
 * clock moving 5 ms per step; both framers must end on a packet boundary.
 */
export function play(conv: Conv, options: PlayOptions = {}): Played {
  let clock = 1000;
  const tty: string[] = [];
  const tables: number[] = [];
  const events: RecordedEvent[] = [];
  const observer = new MysqlObserver(
    { tty: (t) => void tty.push(t), table: (p) => void (tables.push(p.length), tty.push(renderTableFrame(p))), event: (e) => void events.push(e), now: () => clock },
    { database: options.database === undefined ? 'app' : options.database, maxRows: options.maxRows ?? 3, capabilities: conv.caps, localInfile: options.localInfile ?? true },
  );
  let serverMessages = 0;
  let views = 0;
  let taken = 0;
  const serverSink: PacketSink = {
    wants: (f, l, s) => observer.server.wants(f, l, s),
    message: (p, t, s, n) => {
      serverMessages++;
      views++;
      observer.server.message(p, t, s, n);
    },
    ...(options.views
      ? {}
      : {
          messageAt: (b: Buffer, start: number, end: number, s: number) => {
            const read = observer.server.messageAt!(b, start, end, s);
            if (read) serverMessages++;
            return read;
          },
          rowAt: (b: Buffer, start: number, end: number, s: number) => {
            const read = observer.server.rowAt!(b, start, end, s);
            if (read) {
              serverMessages++;
              taken++;
            }
            return read;
          },
        }),
    skipped: (f, n, s) => observer.server.skipped?.(f, n, s),
  };
  const { messageAt: _inPlace, ...clientViews } = observer.client;
  const clientSink: PacketSink = {
    ...(options.views ? clientViews : observer.client),
    message: (p, t, s, n) => {
      views++;
      observer.client.message(p, t, s, n);
    },
  };
  const framers = { client: new PacketFramer({ side: 'client' }), server: new PacketFramer({ side: 'server', ...(options.maxBuffered ? { maxBuffered: options.maxBuffered } : {}) }) };
  conv.steps.forEach((step, i) => {
    clock += 5;
    const sink = step.from === 'server' ? serverSink : clientSink;
    for (const chunk of options.chunks ? options.chunks(step.bytes, i) : [step.bytes]) framers[step.from].push(chunk, sink);
  });
  assert.ok(framers.client.idle && framers.server.idle);
  return { tty: tty.join(''), events, queries: events.filter((e) => e.type === 'query'), observer, serverMessages, views, taken, ttyNow: () => tty.join(''), tables };
}

/** A transcript of these lines, each ended with "\r\n". */
export const lines = (...l: string[]): string => l.map((x) => `${x}\r\n`).join('');
