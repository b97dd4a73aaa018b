/**
 * What the PostgreSQL observer's tests share: the messages of a session built as clients and
 * servers send them, a player that feeds them through the framers into one observer, and
 * scenarios of short sessions.
 */
import assert from 'node:assert/strict';
import { serialize as fe } from 'pg-protocol';
import type { RecordedEvent } from '../../src/recording/frames.js';
import { PgObserver } from './observer.js';
import { encodeErrorResponse, encodeNoticeResponse, encodeReadyForQuery, type NoticeFields, type TransactionStatus } from './protocol/backend.js';
import { MessageFramer, type FrameSink } from './protocol/framer.js';
import { MessageWriter } from './protocol/wire.js';
import { renderTableFrame } from '../../src/transcript/table-frame.js';

// ---------------------------------------------------------------------------
// Messages. Frontend ones come from pg-protocol's serializer, which is what
// node-postgres writes to the socket; the few it cannot write are built here.
// Backend ones are built field by field ("Message Formats").

export const code = (type: string): number => type.charCodeAt(0);
export const bw = () => new MessageWriter('backend');
export const fw = () => new MessageWriter('frontend');

export interface Column {
  name: string;
  /** Type oid; text by default. */
  type?: number;
  format?: number;
}

export const INT4 = 23;
export const TEXT = 25;

export const be = {
  rowDescription(columns: (string | Column)[]): Buffer {
    const w = bw().int16(columns.length);
    for (const col of columns) {
      const c = typeof col === 'string' ? { name: col } : col;
      w.string(c.name, 'name').int32(0).int16(0).int32(c.type ?? TEXT).int16(-1).int32(-1).int16(c.format ?? 0);
    }
    return w.finish(code('T'));
  },
  dataRow(values: (string | Buffer | null)[]): Buffer {
    const w = bw().int16(values.length);
    for (const v of values) w.nullableBytes(v === null ? null : typeof v === 'string' ? Buffer.from(v) : v);
    return w.finish(code('D'));
  },
  commandComplete: (tag: string): Buffer => bw().string(tag, 'tag').finish(code('C')),
  error: (codeValue: string, message: string, more: Partial<NoticeFields> = {}): Buffer => encodeErrorResponse({ severity: 'ERROR', code: codeValue, message, ...more }),
  notice: (severity: string, message: string): Buffer => encodeNoticeResponse({ severity, code: '01000', message }),
  ready: (status: TransactionStatus = 'I'): Buffer => encodeReadyForQuery(status),
  parseComplete: (): Buffer => bw().finish(code('1')),
  bindComplete: (): Buffer => bw().finish(code('2')),
  closeComplete: (): Buffer => bw().finish(code('3')),
  noData: (): Buffer => bw().finish(code('n')),
  portalSuspended: (): Buffer => bw().finish(code('s')),
  emptyQuery: (): Buffer => bw().finish(code('I')),
  parameterDescription(types: number[]): Buffer {
    const w = bw().int16(types.length);
    for (const t of types) w.int32(t);
    return w.finish(code('t'));
  },
  copyResponse(type: 'G' | 'H', columns: number): Buffer {
    const w = bw().int8(0).int16(columns);
    for (let i = 0; i < columns; i++) w.int16(0);
    return w.finish(code(type));
  },
  copyData: (data: string): Buffer => bw().bytes(Buffer.from(data)).finish(code('d')),
  copyDone: (): Buffer => bw().finish(code('c')),
  notification: (pid: number, channel: string, payload: string): Buffer => bw().int32(pid).string(channel, 'channel').string(payload, 'payload').finish(code('A')),
};

/** A Bind with explicit format codes, as drivers that pick binary per type (pgx) send it. */
export function bind(statement: string, params: (Buffer | null)[], paramFormats: number[], resultFormats: number[], portal = ''): Buffer {
  const w = fw().string(portal, 'portal').string(statement, 'statement').int16(paramFormats.length);
  for (const f of paramFormats) w.int16(f);
  w.int16(params.length);
  for (const p of params) w.nullableBytes(p);
  w.int16(resultFormats.length);
  for (const f of resultFormats) w.int16(f);
  return w.finish(code('B'));
}

export function int4(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** What node-postgres writes for client.query(text, values): one chunk, before any answer. */
export function pgQuery(text: string, values: unknown[], options: { name?: string; parsed?: boolean; types?: number[]; binary?: boolean } = {}): Buffer[] {
  return [
    ...(options.parsed ? [] : [fe.parse({ text, ...(options.name ? { name: options.name } : {}), ...(options.types ? { types: options.types } : {}) })]),
    fe.bind({ ...(options.name ? { statement: options.name } : {}), values, ...(options.binary ? { binary: true } : {}) }),
    fe.describe({ type: 'P' }),
    fe.execute(),
  ];
}

// ---------------------------------------------------------------------------
// Driving an observer.

export interface Step {
  from: 'client' | 'server';
  bytes: Buffer;
}

export const client = (...messages: Buffer[]): Step => ({ from: 'client', bytes: Buffer.concat(messages) });
export const server = (...messages: Buffer[]): Step => ({ from: 'server', bytes: Buffer.concat(messages) });

export interface Played {
  tty: string;
  events: RecordedEvent[];
  queries: RecordedEvent[];
  observer: PgObserver;
  /** The transcript so far, including what came after play() (from observer.end()). */
  ttyNow(): string;
  /** The sizes of the table frames among it, in order. */
  tables: number[];
}

export interface PlayOptions {
  maxRows?: number;
  parameters?: [string, string][];
  /** How one step's bytes are cut into the chunks pushed; whole by default. */
  chunks?: (bytes: Buffer, step: number) => Buffer[];
  /** Milliseconds the clock moves before each step. */
  tick?: number;
  /** Sink wrappers, to watch what the framer hands over. */
  wrap?: (sink: FrameSink, side: 'client' | 'server') => FrameSink;
  /** Called after each step. */
  check?: (observer: PgObserver) => void;
}

/**
 * Feeds each step's bytes through a framer of its direction into one
 * observer, in order, the clock moving `tick` ms per step. The framers must
 * end on a message boundary, and push never throws (the framer would rethrow
 * what the observer threw).
 */
export function play(steps: Step[], options: PlayOptions = {}): Played {
  let clock = 1000;
  const tty: string[] = [];
  const tables: number[] = [];
  const events: RecordedEvent[] = [];
  const observer = new PgObserver(
    { tty: (t) => void tty.push(t), table: (p) => void (tables.push(p.length), tty.push(renderTableFrame(p))), event: (e) => void events.push(e), now: () => clock },
    { database: 'app', maxRows: options.maxRows ?? 3, parameters: new Map(options.parameters ?? []) },
  );
  const framers = { client: new MessageFramer({ side: 'frontend' }), server: new MessageFramer({ side: 'backend' }) };
  const sinks = {
    client: options.wrap ? options.wrap(observer.client, 'client') : observer.client,
    server: options.wrap ? options.wrap(observer.server, 'server') : observer.server,
  };
  steps.forEach((step, i) => {
    clock += options.tick ?? 10;
    for (const chunk of options.chunks ? options.chunks(step.bytes, i) : [step.bytes]) framers[step.from].push(chunk, sinks[step.from]);
    options.check?.(observer);
  });
  assert.ok(framers.client.idle && framers.server.idle, 'both streams end on a message boundary');
  return { tty: tty.join(''), events, queries: events.filter((e) => e.type === 'query'), observer, ttyNow: () => tty.join(''), tables };
}

/** The transcript's lines, without their "\r\n". */
export function lines(tty: string): string[] {
  assert.ok(tty === '' || tty.endsWith('\r\n'), 'the transcript is whole lines');
  assert.ok(!/[^\r]\n|\r[^\n]/.test(tty), 'every line ends in \\r\\n');
  return tty === '' ? [] : tty.slice(0, -2).split('\r\n');
}

export const query = (fields: Record<string, unknown>): RecordedEvent => ({ type: 'query', database: 'app', ...fields });

// ---------------------------------------------------------------------------
// Scenarios, each the bytes of a short session in the order a connection sees them.

export const users = be.rowDescription([{ name: 'id', type: INT4 }, 'name']);

export const scenarios = {
  simpleSelect: (): Step[] => [
    client(fe.query('SELECT id, name FROM users;')),
    server(users, be.dataRow(['1', 'alice']), be.dataRow(['2', 'bob']), be.commandComplete('SELECT 2'), be.ready()),
  ],

  /** Five rows where three are shown; the fifth DataRow is malformed inside its body. */
  overCap: (): Step[] => [
    client(fe.query('SELECT id, name FROM users;')),
    server(
      users,
      ...['alice', 'bob', 'carol', 'dave'].map((name, i) => be.dataRow([String(i + 1), name])),
      MALFORMED_ROW,
      be.commandComplete('SELECT 5'),
      be.ready(),
    ),
  ],

  multiStatement: (): Step[] => [
    client(fe.query('SELECT 1 AS a; SELECT 2 AS b;')),
    server(be.rowDescription([{ name: 'a', type: INT4 }]), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.rowDescription([{ name: 'b', type: INT4 }]), be.dataRow(['2']), be.commandComplete('SELECT 1'), be.ready()),
  ],

  transaction: (): Step[] => [
    client(fe.query('BEGIN;')),
    server(be.commandComplete('BEGIN'), be.ready('T')),
    client(fe.query('INSERT INTO t VALUES (1);')),
    server(be.commandComplete('INSERT 0 1'), be.ready('T')),
    client(fe.query('SELECT 1/0;')),
    server(be.error('22012', 'division by zero'), be.ready('E')),
    client(fe.query('SELECT 1;')),
    server(be.error('25P02', 'current transaction is aborted, commands ignored until end of transaction block'), be.ready('E')),
    client(fe.query('ROLLBACK;')),
    server(be.commandComplete('ROLLBACK'), be.ready('I')),
    client(fe.query('SELECT nope FROM t;')),
    server(be.error('42703', 'column "nope" does not exist', { position: '8' }), be.ready('I')),
  ],

  nodePostgres: (): Step[] => [
    client(...pgQuery('SELECT $1::text AS greeting, $2::int4 AS n', ['hi', int4(42)], { types: [TEXT, INT4] }), fe.sync()),
    server(be.parseComplete(), be.bindComplete(), be.rowDescription(['greeting', { name: 'n', type: INT4 }]), be.dataRow(['hi', '42']), be.commandComplete('SELECT 1'), be.ready()),
  ],

  /** Three statements, one Sync; every answer in one chunk. */
  pipelined: (): Step[] => [
    client(...pgQuery('SELECT $1::int AS a', ['1']), ...pgQuery('SELECT $1::text AS b', ['two']), ...pgQuery('UPDATE t SET x = $1', [null]), fe.sync()),
    server(
      ...[be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'a', type: INT4 }]), be.dataRow(['1']), be.commandComplete('SELECT 1')],
      ...[be.parseComplete(), be.bindComplete(), be.rowDescription(['b']), be.dataRow(['two']), be.commandComplete('SELECT 1')],
      ...[be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('UPDATE 2')],
      be.ready(),
    ),
  ],

  /** The same statements with a Sync each, still sent before any answer. */
  pipelinedSyncs: (): Step[] => [
    client(...pgQuery('SELECT $1::int AS a', ['1']), fe.sync(), ...pgQuery('SELECT $1::text AS b', ['two']), fe.sync(), ...pgQuery('UPDATE t SET x = $1', [null]), fe.sync()),
    server(
      ...[be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'a', type: INT4 }]), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()],
      ...[be.parseComplete(), be.bindComplete(), be.rowDescription(['b']), be.dataRow(['two']), be.commandComplete('SELECT 1'), be.ready()],
      ...[be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('UPDATE 2'), be.ready()],
    ),
  ],

  namedStatement: (): Step[] => [
    client(...pgQuery('SELECT name FROM users WHERE id = $1', [int4(1)], { name: 'user_by_id', types: [INT4] }), fe.sync()),
    server(be.parseComplete(), be.bindComplete(), be.rowDescription(['name']), be.dataRow(['alice']), be.commandComplete('SELECT 1'), be.ready()),
    client(...pgQuery('SELECT name FROM users WHERE id = $1', [int4(2)], { name: 'user_by_id', parsed: true }), fe.sync()),
    server(be.bindComplete(), be.rowDescription(['name']), be.dataRow(['bob']), be.commandComplete('SELECT 1'), be.ready()),
  ],

  /** The second Bind fails; the third statement is skipped; a fourth, after the Sync, runs. */
  pipelineError: (): Step[] => [
    client(...pgQuery('SELECT $1::int AS a', ['1']), ...pgQuery('SELECT $1::int AS b', ['abc']), ...pgQuery('DELETE FROM t WHERE id = $1', ['3']), fe.sync()),
    server(
      ...[be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'a', type: INT4 }]), be.dataRow(['1']), be.commandComplete('SELECT 1')],
      be.parseComplete(),
      be.error('22P02', 'invalid input syntax for type integer: "abc"'),
      be.ready(),
    ),
    client(...pgQuery('SELECT $1::int AS d', ['4']), fe.sync()),
    server(be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'd', type: INT4 }]), be.dataRow(['4']), be.commandComplete('SELECT 1'), be.ready()),
  ],

  /** The client flushes instead of syncing, and sends its Sync (and more) only after the error came back. */
  lateSync: (): Step[] => [
    client(...pgQuery('SELECT $1::int AS b', ['abc']), fe.flush()),
    server(be.parseComplete(), be.error('22P02', 'invalid input syntax for type integer: "abc"')),
    client(...pgQuery('DROP TABLE t', []), fe.sync()),
    server(be.ready()),
    client(...pgQuery('SELECT $1::int AS c', ['5']), fe.sync()),
    server(be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'c', type: INT4 }]), be.dataRow(['5']), be.commandComplete('SELECT 1'), be.ready()),
  ],

  copyIn: (): Step[] => [
    client(fe.query('COPY t FROM STDIN;')),
    server(be.copyResponse('G', 2)),
    client(fe.copyData(Buffer.from('1\tsecret-a\n')), fe.copyData(Buffer.from('2\tsecret-b\n'))),
    client(fe.copyData(Buffer.from('3\tsecret-c\n')), fe.copyDone()),
    server(be.commandComplete('COPY 3'), be.ready()),
  ],

  copyOut: (): Step[] => [
    client(fe.query('COPY t TO STDOUT;')),
    server(be.copyResponse('H', 2), be.copyData('1\tsecret-a\n'), be.copyData('2\tsecret-b\n'), be.copyData('3\tsecret-c\n'), be.copyDone(), be.commandComplete('COPY 3'), be.ready()),
  ],

  asynchronous: (): Step[] => [
    client(fe.query('LISTEN jobs;')),
    server(be.commandComplete('LISTEN'), be.ready()),
    server(be.notification(4242, 'jobs', 'job 7 done')),
    server(be.notice('WARNING', 'the gateway will restart')),
    client(fe.query('COMMIT;')),
    server(be.notice('WARNING', 'there is no transaction in progress'), be.commandComplete('COMMIT'), be.ready()),
  ],

  /** A cursor read two rows at a time, as pg-cursor does it (Flush, not Sync, between reads). */
  portalSuspended: (): Step[] => [
    client(fe.parse({ text: 'SELECT id FROM t WHERE id > $1' }), fe.bind({ portal: 'c1', values: ['0'] }), fe.describe({ type: 'P', name: 'c1' }), fe.execute({ portal: 'c1', rows: 2 }), fe.flush()),
    server(be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'id', type: INT4 }]), be.dataRow(['1']), be.dataRow(['2']), be.portalSuspended()),
    client(fe.execute({ portal: 'c1', rows: 2 }), fe.flush()),
    server(be.dataRow(['3']), be.commandComplete('SELECT 1')),
    client(fe.close({ type: 'P', name: 'c1' }), fe.sync()),
    server(be.closeComplete(), be.ready()),
  ],
};

/** A DataRow announcing 2 columns whose first value claims 1000 bytes it does not have. */
export const MALFORMED_ROW = bw().int16(2).int32(1000).bytes(Buffer.from('x')).finish(code('D'));

// ---------------------------------------------------------------------------

/** Cut points for fast-check to pick, folded into 1..length-1 per step and sorted. */
export function splitter(picks: number[][]): (bytes: Buffer, step: number) => Buffer[] {
  return (bytes, step) => {
    const cuts = [...new Set((picks[step] ?? []).map((c) => 1 + (c % Math.max(1, bytes.length - 1))))].filter((c) => c < bytes.length).sort((a, b) => a - b);
    const points = [0, ...cuts, bytes.length];
    // Copies, so that no chunk shares memory with another.
    return points.slice(1).map((end, i) => Buffer.from(bytes.subarray(points[i]!, end)));
  };
}
