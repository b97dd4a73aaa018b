import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { serialize as fe } from 'pg-protocol';
import type { RecordedEvent } from '../../src/recording/frames.js';
import { MAX_TRACKED, PgObserver } from './observer.js';
import { decodeDataRow, encodeErrorResponse, encodeNoticeResponse, encodeParameterStatus, encodeReadyForQuery, type NoticeFields, type TransactionStatus } from './protocol/backend.js';
import { MessageFramer, type FrameSink } from './protocol/framer.js';
import { MessageWriter } from './protocol/wire.js';

// ---------------------------------------------------------------------------
// Messages. Frontend ones come from pg-protocol's serializer, which is what
// node-postgres writes to the socket; the few it cannot write are built here.
// Backend ones are built field by field ("Message Formats").

const code = (type: string): number => type.charCodeAt(0);
const bw = () => new MessageWriter('backend');
const fw = () => new MessageWriter('frontend');

interface Column {
  name: string;
  /** Type oid; text by default. */
  type?: number;
  format?: number;
}

const INT4 = 23;
const TEXT = 25;

const be = {
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
function bind(statement: string, params: (Buffer | null)[], paramFormats: number[], resultFormats: number[], portal = ''): Buffer {
  const w = fw().string(portal, 'portal').string(statement, 'statement').int16(paramFormats.length);
  for (const f of paramFormats) w.int16(f);
  w.int16(params.length);
  for (const p of params) w.nullableBytes(p);
  w.int16(resultFormats.length);
  for (const f of resultFormats) w.int16(f);
  return w.finish(code('B'));
}

function int4(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** What node-postgres writes for client.query(text, values): one chunk, before any answer. */
function pgQuery(text: string, values: unknown[], options: { name?: string; parsed?: boolean; types?: number[]; binary?: boolean } = {}): Buffer[] {
  return [
    ...(options.parsed ? [] : [fe.parse({ text, ...(options.name ? { name: options.name } : {}), ...(options.types ? { types: options.types } : {}) })]),
    fe.bind({ ...(options.name ? { statement: options.name } : {}), values, ...(options.binary ? { binary: true } : {}) }),
    fe.describe({ type: 'P' }),
    fe.execute(),
  ];
}

// ---------------------------------------------------------------------------
// Driving an observer.

interface Step {
  from: 'client' | 'server';
  bytes: Buffer;
}

const client = (...messages: Buffer[]): Step => ({ from: 'client', bytes: Buffer.concat(messages) });
const server = (...messages: Buffer[]): Step => ({ from: 'server', bytes: Buffer.concat(messages) });

interface Played {
  tty: string;
  events: RecordedEvent[];
  queries: RecordedEvent[];
  observer: PgObserver;
  /** The transcript so far, including what came after play() (from observer.end()). */
  ttyNow(): string;
}

interface PlayOptions {
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
function play(steps: Step[], options: PlayOptions = {}): Played {
  let clock = 1000;
  const tty: string[] = [];
  const events: RecordedEvent[] = [];
  const observer = new PgObserver(
    { tty: (t) => void tty.push(t), event: (e) => void events.push(e), now: () => clock },
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
  return { tty: tty.join(''), events, queries: events.filter((e) => e.type === 'query'), observer, ttyNow: () => tty.join('') };
}

/** The transcript's lines, without their "\r\n". */
function lines(tty: string): string[] {
  assert.ok(tty === '' || tty.endsWith('\r\n'), 'the transcript is whole lines');
  assert.ok(!/[^\r]\n|\r[^\n]/.test(tty), 'every line ends in \\r\\n');
  return tty === '' ? [] : tty.slice(0, -2).split('\r\n');
}

const query = (fields: Record<string, unknown>): RecordedEvent => ({ type: 'query', database: 'app', ...fields });

// ---------------------------------------------------------------------------
// Scenarios, each the bytes of a short session in the order a connection sees them.

const users = be.rowDescription([{ name: 'id', type: INT4 }, 'name']);

const scenarios = {
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
const MALFORMED_ROW = bw().int16(2).int32(1000).bytes(Buffer.from('x')).finish(code('D'));

// ---------------------------------------------------------------------------

describe('simple query', () => {
  test('a result: prompt, statement, table and row count; one query event', () => {
    const { tty, events } = play(scenarios.simpleSelect());
    assert.deepEqual(lines(tty), [
      'app=> SELECT id, name FROM users;',
      ' id | name  ',
      '----+-------',
      '  1 | alice',
      '  2 | bob',
      '(2 rows)',
      '',
    ]);
    assert.deepEqual(events, [query({ text: 'SELECT id, name FROM users;', durationMs: 10, rows: 2, tag: 'SELECT 2' })]);
  });

  test('more rows than maxRows: only maxRows shown, all counted, rows past the cap never decoded', () => {
    assert.throws(() => decodeDataRow(MALFORMED_ROW.subarray(5)), 'the fifth row would not decode');
    let decoded = 0;
    let skipped = 0;
    const { tty, events } = play(scenarios.overCap(), {
      wrap: (sink, side) =>
        side === 'client'
          ? sink
          : {
              wants: (type, length) => sink.wants(type, length),
              message: (type, ...rest) => {
                if (type === code('D')) decoded++;
                sink.message(type, ...rest);
              },
              skipped: (type, length) => {
                if (type === code('D')) skipped++;
                sink.skipped?.(type, length);
              },
            },
    });
    assert.equal(decoded, 3);
    assert.equal(skipped, 2);
    assert.deepEqual(lines(tty), [
      'app=> SELECT id, name FROM users;',
      ' id | name  ',
      '----+-------',
      '  1 | alice',
      '  2 | bob',
      '  3 | carol',
      '(5 rows; first 3 shown)',
      '',
    ]);
    assert.deepEqual(events, [query({ text: 'SELECT id, name FROM users;', durationMs: 10, rows: 5, tag: 'SELECT 5' })]);
  });

  test('a malformed DataRow inside the cap costs its detail only', () => {
    const { tty, events } = play([
      client(fe.query('SELECT name FROM users;')),
      server(be.rowDescription(['name']), MALFORMED_ROW, be.dataRow(['bob']), be.commandComplete('SELECT 2'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT name FROM users;', ' name ', '------', ' bob', '(1 row)', '']);
    assert.equal(events.length, 1);
    assert.equal(events[0]!['tag'], 'SELECT 2');
  });

  test('two statements in one Query: two tables, one event with the rows of both', () => {
    const { tty, events } = play(scenarios.multiStatement());
    assert.deepEqual(lines(tty), ['app=> SELECT 1 AS a; SELECT 2 AS b;', ' a ', '---', ' 1', '(1 row)', '', ' b ', '---', ' 2', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT 1 AS a; SELECT 2 AS b;', durationMs: 10, rows: 2, tag: 'SELECT 1' })]);
  });

  test('a command and a query in one Query: rows affected plus rows returned', () => {
    const { tty, events } = play([
      client(fe.query('UPDATE t SET x = 1; SELECT x FROM t;')),
      server(be.commandComplete('UPDATE 3'), be.rowDescription(['x']), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> UPDATE t SET x = 1; SELECT x FROM t;', 'UPDATE 3', ' x ', '---', ' 1', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'UPDATE t SET x = 1; SELECT x FROM t;', durationMs: 10, rows: 4, tag: 'SELECT 1' })]);
  });

  test('RETURNING rows are not counted twice (once as DataRows, once from the tag)', () => {
    const { tty, events } = play([
      client(fe.query('UPDATE t SET x = 1 RETURNING id;')),
      server(be.rowDescription([{ name: 'id', type: INT4 }]), be.dataRow(['1']), be.dataRow(['2']), be.commandComplete('UPDATE 2'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> UPDATE t SET x = 1 RETURNING id;', ' id ', '----', '  1', '  2', '(2 rows)', '', 'UPDATE 2']);
    assert.deepEqual(events, [query({ text: 'UPDATE t SET x = 1 RETURNING id;', durationMs: 10, rows: 2, tag: 'UPDATE 2' })]);
  });

  test('a result with no rows shows its header and (0 rows)', () => {
    const { tty, events } = play([client(fe.query('SELECT name FROM users WHERE false;')), server(be.rowDescription(['name']), be.commandComplete('SELECT 0'), be.ready())]);
    assert.deepEqual(lines(tty), ['app=> SELECT name FROM users WHERE false;', ' name ', '------', '(0 rows)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT name FROM users WHERE false;', durationMs: 10, rows: 0, tag: 'SELECT 0' })]);
  });

  test('an empty query', () => {
    const { tty, events } = play([client(fe.query('')), server(be.emptyQuery(), be.ready())]);
    assert.deepEqual(lines(tty), ['app=> ']);
    assert.deepEqual(events, [query({ text: '', durationMs: 10, rows: 0 })]);
  });
});

describe('the end of the connection', () => {
  test('a statement still being answered is recorded with the rows that came', () => {
    const played = play([client(fe.query('SELECT id, name FROM users;')), server(users, be.dataRow(['1', 'alice']), be.dataRow(['2', 'bob']))]);
    assert.deepEqual(played.events, []);
    played.observer.end();
    assert.deepEqual(played.events, [query({ text: 'SELECT id, name FROM users;', durationMs: 10, rows: 2, error: { message: 'the session ended before the answer was complete' } })]);
    assert.deepEqual(lines(played.ttyNow()).slice(lines(played.tty).length), [' id | name  ', '----+-------', '  1 | alice', '  2 | bob', '(2 rows)', '', '-- the session ended before the answer was complete']);
  });

  test('nothing waits: end() records nothing more', () => {
    const played = play(scenarios.simpleSelect());
    played.observer.end();
    assert.equal(played.events.length, 1);
  });
});

describe('errors and transactions', () => {
  test('an error: ERROR line, the event carries code and message; the prompt follows ReadyForQuery', () => {
    const { tty, queries } = play(scenarios.transaction());
    assert.deepEqual(lines(tty), [
      'app=> BEGIN;',
      'BEGIN',
      'app=*> INSERT INTO t VALUES (1);',
      'INSERT 0 1',
      'app=*> SELECT 1/0;',
      'ERROR:  division by zero',
      'app=!> SELECT 1;',
      'ERROR:  current transaction is aborted, commands ignored until end of transaction block',
      'app=!> ROLLBACK;',
      'ROLLBACK',
      'app=> SELECT nope FROM t;',
      'ERROR:  column "nope" does not exist',
      'LINE 1: SELECT nope FROM t;',
      '               ^',
    ]);
    assert.deepEqual(queries, [
      query({ text: 'BEGIN;', durationMs: 10, rows: 0, tag: 'BEGIN' }),
      query({ text: 'INSERT INTO t VALUES (1);', durationMs: 10, rows: 1, tag: 'INSERT 0 1' }),
      query({ text: 'SELECT 1/0;', durationMs: 10, rows: 0, error: { code: '22012', message: 'division by zero' } }),
      query({ text: 'SELECT 1;', durationMs: 10, rows: 0, error: { code: '25P02', message: 'current transaction is aborted, commands ignored until end of transaction block' } }),
      query({ text: 'ROLLBACK;', durationMs: 10, rows: 0, tag: 'ROLLBACK' }),
      query({ text: 'SELECT nope FROM t;', durationMs: 10, rows: 0, error: { code: '42703', message: 'column "nope" does not exist' } }),
    ]);
  });

  test('an error after some rows: the rows so far, then the error, in the transcript and the event', () => {
    const { tty, events } = play([
      client(fe.query('SELECT 10 / x FROM t;')),
      server(be.rowDescription([{ name: '?column?', type: INT4 }]), be.dataRow(['5']), be.error('22012', 'division by zero'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 10 / x FROM t;', ' ?column? ', '----------', '        5', '(1 row)', '', 'ERROR:  division by zero']);
    assert.deepEqual(events, [query({ text: 'SELECT 10 / x FROM t;', durationMs: 10, rows: 1, error: { code: '22012', message: 'division by zero' } })]);
  });

  test('a superuser gets #, and a ParameterStatus can take it away', () => {
    const { tty, events } = play(
      [
        client(fe.query('SET SESSION AUTHORIZATION alice;')),
        server(encodeParameterStatus('is_superuser', 'off'), encodeParameterStatus('session_authorization', 'alice'), be.commandComplete('SET'), be.ready()),
        client(fe.query('SELECT 1;')),
        server(be.rowDescription([{ name: '?column?', type: INT4 }]), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
      ],
      { parameters: [['is_superuser', 'on']] },
    );
    assert.deepEqual(lines(tty).filter((l) => l.startsWith('app')), ['app=# SET SESSION AUTHORIZATION alice;', 'app=> SELECT 1;']);
    assert.deepEqual(
      events.filter((e) => e.type === 'parameter'),
      [
        { type: 'parameter', name: 'is_superuser', value: 'off' },
        { type: 'parameter', name: 'session_authorization', value: 'alice' },
      ],
    );
  });
});

describe('extended protocol', () => {
  test('node-postgres: Parse/Bind/Describe/Execute/Sync in one chunk, text and binary parameters', () => {
    const { tty, events } = play(scenarios.nodePostgres());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::text AS greeting, $2::int4 AS n',
      "-- $1 = 'hi', $2 = '42'",
      ' greeting | n  ',
      '----------+----',
      ' hi       | 42',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [query({ text: 'SELECT $1::text AS greeting, $2::int4 AS n', params: ['hi', '42'], durationMs: 10, rows: 1, tag: 'SELECT 1' })]);
  });

  test('node-postgres binary results: values read with the format codes of the described portal', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT n, t FROM nums WHERE n = $1', [null], { binary: true }), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: 'n', type: INT4, format: 1 }, { name: 't', format: 1 }]), be.dataRow([int4(-7), 'seven']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT n, t FROM nums WHERE n = $1', '-- $1 = NULL', ' n  |   t   ', '----+-------', ' -7 | seven', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT n, t FROM nums WHERE n = $1', params: [null], durationMs: 10, rows: 1, tag: 'SELECT 1' })]);
  });

  test('a described SELECT with no rows shows its header and (0 rows); a command its tag', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT name FROM users WHERE id = $1', ['9']), fe.sync(), ...pgQuery('INSERT INTO t VALUES ($1)', ['1']), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription(['name']), be.commandComplete('SELECT 0'), be.ready()),
      server(be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('INSERT 0 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), [
      'app=> SELECT name FROM users WHERE id = $1',
      "-- $1 = '9'",
      'app=> INSERT INTO t VALUES ($1)',
      "-- $1 = '1'",
      ' name ',
      '------',
      '(0 rows)',
      '',
      'INSERT 0 1',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT name FROM users WHERE id = $1', params: ['9'], durationMs: 10, rows: 0, tag: 'SELECT 0' }),
      query({ text: 'INSERT INTO t VALUES ($1)', params: ['1'], durationMs: 20, rows: 1, tag: 'INSERT 0 1' }),
    ]);
  });

  test('pipelined with one Sync: each Execute its own event, its own parameters, in order', () => {
    const { tty, events } = play(scenarios.pipelined());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::int AS a',
      "-- $1 = '1'",
      'app=> SELECT $1::text AS b',
      "-- $1 = 'two'",
      'app=> UPDATE t SET x = $1',
      '-- $1 = NULL',
      ' a ',
      '---',
      ' 1',
      '(1 row)',
      '',
      '  b  ',
      '-----',
      ' two',
      '(1 row)',
      '',
      'UPDATE 2',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT $1::int AS a', params: ['1'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'SELECT $1::text AS b', params: ['two'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'UPDATE t SET x = $1', params: [null], durationMs: 10, rows: 2, tag: 'UPDATE 2' }),
    ]);
  });

  test('pipelined with a Sync each: the same events and transcript', () => {
    const one = play(scenarios.pipelined());
    const each = play(scenarios.pipelinedSyncs());
    assert.deepEqual(each.events, one.events);
    assert.equal(each.tty, one.tty);
  });

  test('a named prepared statement parsed once, bound again with other parameters', () => {
    const { tty, events } = play(scenarios.namedStatement());
    assert.deepEqual(lines(tty), [
      'app=> SELECT name FROM users WHERE id = $1',
      "-- $1 = '1'",
      ' name  ',
      '-------',
      ' alice',
      '(1 row)',
      '',
      'app=> SELECT name FROM users WHERE id = $1',
      "-- $1 = '2'",
      ' name ',
      '------',
      ' bob',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT name FROM users WHERE id = $1', params: ['1'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'SELECT name FROM users WHERE id = $1', params: ['2'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });

  test('a statement prepared with Describe, then bound with binary parameters and results (pgx)', () => {
    const { tty, events } = play([
      client(fe.parse({ name: 'stmtcache_1', text: 'SELECT id, name FROM users WHERE id = $1' }), fe.describe({ type: 'S', name: 'stmtcache_1' }), fe.sync()),
      server(be.parseComplete(), be.parameterDescription([INT4]), users, be.ready()),
      client(bind('stmtcache_1', [int4(7)], [1], [1, 0]), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.dataRow([int4(7), 'grace']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT id, name FROM users WHERE id = $1', "-- $1 = '7'", ' id | name  ', '----+-------', '  7 | grace', '(1 row)', '']);
    assert.deepEqual(events, [query({ text: 'SELECT id, name FROM users WHERE id = $1', params: ['7'], durationMs: 10, rows: 1, tag: 'SELECT 1' })]);
  });

  test('an Execute of a portal never described names its columns by position', () => {
    const { tty } = play([
      client(fe.parse({ text: 'SELECT 1, 2' }), fe.bind({}), fe.execute(), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.dataRow(['1', '2']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 1, 2', ' ?column1? | ?column2? ', '-----------+-----------', ' 1         | 2', '(1 row)', '']);
  });

  test('PortalSuspended, then a second Execute of the same portal', () => {
    const { tty, events } = play(scenarios.portalSuspended());
    assert.deepEqual(lines(tty), [
      'app=> SELECT id FROM t WHERE id > $1',
      "-- $1 = '0'",
      ' id ',
      '----',
      '  1',
      '  2',
      '(2 rows)',
      '',
      'app=> SELECT id FROM t WHERE id > $1',
      "-- $1 = '0'",
      ' id ',
      '----',
      '  3',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT id FROM t WHERE id > $1', params: ['0'], durationMs: 10, rows: 2, tag: '(portal suspended)' }),
      query({ text: 'SELECT id FROM t WHERE id > $1', params: ['0'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });
});

describe('errors in the extended protocol', () => {
  test('an error at the second Bind of a pipeline: its event has the error, the skipped Execute none, the next Sync group runs', () => {
    const { tty, events } = play(scenarios.pipelineError());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::int AS a',
      "-- $1 = '1'",
      'app=> SELECT $1::int AS b',
      "-- $1 = 'abc'",
      'app=> DELETE FROM t WHERE id = $1',
      "-- $1 = '3'",
      ' a ',
      '---',
      ' 1',
      '(1 row)',
      '',
      'ERROR:  invalid input syntax for type integer: "abc"',
      'app=> SELECT $1::int AS d',
      "-- $1 = '4'",
      ' d ',
      '---',
      ' 4',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT $1::int AS a', params: ['1'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
      query({ text: 'SELECT $1::int AS b', params: ['abc'], durationMs: 10, rows: 0, error: { code: '22P02', message: 'invalid input syntax for type integer: "abc"' } }),
      query({ text: 'SELECT $1::int AS d', params: ['4'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });

  test('an error during an Execute: its rows so far and the error; the rest up to Sync skipped', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT 10 / x FROM t', []), ...pgQuery('DELETE FROM t', []), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription([{ name: '?column?', type: INT4 }]), be.dataRow(['5']), be.error('22012', 'division by zero'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 10 / x FROM t', 'app=> DELETE FROM t', ' ?column? ', '----------', '        5', '(1 row)', '', 'ERROR:  division by zero']);
    assert.deepEqual(events, [query({ text: 'SELECT 10 / x FROM t', params: [], durationMs: 10, rows: 1, error: { code: '22012', message: 'division by zero' } })]);
  });

  test('the Sync comes only after the error: what the client sends before it is skipped, as the server does', () => {
    const { tty, events } = play(scenarios.lateSync());
    assert.deepEqual(lines(tty), [
      'app=> SELECT $1::int AS b',
      "-- $1 = 'abc'",
      'ERROR:  invalid input syntax for type integer: "abc"',
      'app=> SELECT $1::int AS c',
      "-- $1 = '5'",
      ' c ',
      '---',
      ' 5',
      '(1 row)',
      '',
    ]);
    assert.deepEqual(events, [
      query({ text: 'SELECT $1::int AS b', params: ['abc'], durationMs: 10, rows: 0, error: { code: '22P02', message: 'invalid input syntax for type integer: "abc"' } }),
      query({ text: 'SELECT $1::int AS c', params: ['5'], durationMs: 10, rows: 1, tag: 'SELECT 1' }),
    ]);
  });

  test('a syntax error at Parse, with its position in the statement', () => {
    const { tty, events } = play([
      client(...pgQuery('SELEC $1', ['x']), fe.sync()),
      server(be.error('42601', 'syntax error at or near "SELEC"', { position: '1' }), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELEC $1', "-- $1 = 'x'", 'ERROR:  syntax error at or near "SELEC"', 'LINE 1: SELEC $1', '        ^']);
    // The event is the queued Execute's: timed from when it was sent, with the parameters bound.
    assert.deepEqual(events, [query({ text: 'SELEC $1', params: ['x'], durationMs: 10, rows: 0, error: { code: '42601', message: 'syntax error at or near "SELEC"' } })]);
  });

  test('a Parse that only prepares (no Execute behind it) fails: the statement is shown before its error', () => {
    const { tty, events } = play([
      client(fe.parse({ name: 's1', text: 'SELEC 1' }), fe.describe({ type: 'S', name: 's1' }), fe.sync()),
      server(be.error('42601', 'syntax error at or near "SELEC"'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELEC 1', 'ERROR:  syntax error at or near "SELEC"']);
    assert.equal(events.length, 1);
  });

  test('a Parse the server refused does not rename the statement it already had', () => {
    const { tty, events } = play([
      client(fe.parse({ name: 's1', text: 'DELETE FROM audit_log' }), fe.sync()),
      server(be.parseComplete(), be.ready()),
      client(fe.parse({ name: 's1', text: 'SELECT 1' }), fe.sync()),
      server(be.error('42P05', 'prepared statement "s1" already exists'), be.ready()),
      client(fe.bind({ statement: 's1' }), fe.describe({ type: 'P' }), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.noData(), be.commandComplete('DELETE 500'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> SELECT 1', 'ERROR:  prepared statement "s1" already exists', 'app=> DELETE FROM audit_log', 'DELETE 500']);
    assert.deepEqual(events[1], query({ text: 'DELETE FROM audit_log', params: [], durationMs: 10, rows: 500, tag: 'DELETE 500' }));
  });

  test('Parse and Close skipped after an error leave the statements as the server has them', () => {
    const { events } = play([
      client(fe.parse({ name: 'keep', text: 'SELECT 1 AS kept' }), fe.parse({ text: 'SELECT 2 AS unnamed' }), fe.sync()),
      server(be.parseComplete(), be.parseComplete(), be.ready()),
      // The Bind fails; the Parse of the unnamed statement and the Close behind it are skipped.
      client(...pgQuery('SELECT $1::int', ['x']), fe.parse({ text: 'SELECT 3 AS never' }), fe.close({ type: 'S', name: 'keep' }), fe.sync()),
      server(be.parseComplete(), be.error('22P02', 'invalid input syntax for type integer: "x"'), be.ready()),
      client(fe.bind({ statement: 'keep' }), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
      // The failed Bind's Parse did take effect: the unnamed statement is `SELECT $1::int`.
      client(fe.bind({ values: ['1'] }), fe.execute(), fe.sync()),
      server(be.bindComplete(), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
    ]);
    assert.deepEqual(
      events.map((e) => e['text']),
      ['SELECT $1::int', 'SELECT 1 AS kept', 'SELECT $1::int'],
    );
  });

  test('a failed Parse of the unnamed statement leaves none (PostgreSQL drops the old one first)', () => {
    const { events } = play([
      client(fe.parse({ text: 'SELECT 1' }), fe.sync()),
      server(be.parseComplete(), be.ready()),
      client(fe.parse({ text: 'SELEC 2' }), fe.sync()),
      server(be.error('42601', 'syntax error at or near "SELEC"'), be.ready()),
      client(fe.bind({}), fe.execute(), fe.sync()),
      server(be.error('26000', 'unnamed prepared statement does not exist'), be.ready()),
    ]);
    assert.deepEqual(
      events.map((e) => e['text']),
      ['SELEC 2', 'EXECUTE <unnamed>'],
    );
  });
});

describe('messages longer than the framer keeps', () => {
  const big = 'x'.repeat(1100 * 1024);

  test('a Bind cut short still answers its BindComplete and names its statement', () => {
    const { tty, events } = play([
      client(...pgQuery('SELECT 1 AS one', []), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.rowDescription(['one']), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready()),
      client(...pgQuery('INSERT INTO files VALUES ($1)', [big]), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('INSERT 0 1'), be.ready()),
    ]);
    assert.deepEqual(lines(tty).slice(-2), ['app=> INSERT INTO files VALUES ($1)', 'INSERT 0 1']);
    assert.deepEqual(events[1], query({ text: 'INSERT INTO files VALUES ($1)', durationMs: 10, rows: 1, tag: 'INSERT 0 1' }));
  });

  test('a Parse cut short keeps its place in the queue and the start of its text', () => {
    const text = `INSERT INTO t VALUES ('${big}')`;
    const { events } = play([
      client(fe.parse({ text: 'SELECT 1' }), fe.sync()),
      server(be.parseComplete(), be.ready()),
      client(...pgQuery(text, []), fe.sync()),
      server(be.parseComplete(), be.bindComplete(), be.noData(), be.commandComplete('INSERT 0 1'), be.ready()),
    ]);
    assert.equal(events.length, 1);
    assert.ok(String(events[0]!['text']).startsWith("INSERT INTO t VALUES ('xxx"));
    assert.equal(events[0]!['truncated'], true);
    assert.equal(events[0]!['tag'], 'INSERT 0 1');
  });

  test('a DataRow cut short is shown as far as it came, the cut marked, and counted', () => {
    const { tty, events } = play([
      client(fe.query('SELECT doc, id FROM docs;')),
      server(be.rowDescription(['doc', { name: 'id', type: INT4 }]), be.dataRow(['small', '1']), be.dataRow([big, '2']), be.commandComplete('SELECT 2'), be.ready()),
    ]);
    const table = lines(tty);
    assert.equal(table.length, 6 + 1);
    assert.match(table[3]!, /^ small +\| +1$/);
    assert.match(table[4]!, /^ x+… \| +…$/);
    assert.equal(table[5], '(2 rows)');
    assert.deepEqual(events, [query({ text: 'SELECT doc, id FROM docs;', durationMs: 10, rows: 2, tag: 'SELECT 2' })]);
  });
});

describe('COPY', () => {
  test('COPY FROM STDIN: a copy event with the exact bytes and the rows; the data is not in the transcript', () => {
    const { tty, events } = play(scenarios.copyIn());
    assert.deepEqual(lines(tty), ['app=> COPY t FROM STDIN;', '-- COPY data: 33 bytes, 3 rows from client (not recorded)', 'COPY 3']);
    assert.ok(!tty.includes('secret'));
    assert.deepEqual(events, [
      { type: 'copy', direction: 'in', bytes: 33, rows: 3 },
      query({ text: 'COPY t FROM STDIN;', durationMs: 40, rows: 3, tag: 'COPY 3' }),
    ]);
  });

  test('COPY TO STDOUT: the same, from the server', () => {
    const { tty, events } = play(scenarios.copyOut());
    assert.deepEqual(lines(tty), ['app=> COPY t TO STDOUT;', '-- COPY data: 33 bytes, 3 rows from server (not recorded)', 'COPY 3']);
    assert.ok(!tty.includes('secret'));
    assert.deepEqual(events, [
      { type: 'copy', direction: 'out', bytes: 33, rows: 3 },
      query({ text: 'COPY t TO STDOUT;', durationMs: 10, rows: 3, tag: 'COPY 3' }),
    ]);
  });

  test('a command before COPY in the same Query does not hide the rows copied', () => {
    const { events } = play([
      client(fe.query('UPDATE t SET x = 1; COPY t TO STDOUT;')),
      server(be.commandComplete('UPDATE 2'), be.copyResponse('H', 1), be.copyData('1\n'), be.copyDone(), be.commandComplete('COPY 1'), be.ready()),
    ]);
    assert.deepEqual(events.at(-1), query({ text: 'UPDATE t SET x = 1; COPY t TO STDOUT;', durationMs: 10, rows: 3, tag: 'COPY 1' }));
  });

  test('a COPY that fails part way still reports the data that went by', () => {
    const { tty, events } = play([
      client(fe.query('COPY (SELECT secret, 1 / (n - 3) FROM t) TO STDOUT;')),
      server(be.copyResponse('H', 2), be.copyData('a\t0\n'), be.copyData('b\t0\n'), be.error('22012', 'division by zero'), be.ready()),
    ]);
    assert.deepEqual(lines(tty), ['app=> COPY (SELECT secret, 1 / (n - 3) FROM t) TO STDOUT;', '-- COPY data: 8 bytes from server (not recorded)', 'ERROR:  division by zero']);
    assert.deepEqual(events, [
      { type: 'copy', direction: 'out', bytes: 8 },
      query({ text: 'COPY (SELECT secret, 1 / (n - 3) FROM t) TO STDOUT;', durationMs: 10, rows: 0, error: { code: '22012', message: 'division by zero' } }),
    ]);
  });

  test('CopyFail is recorded, and the data sent before it', () => {
    const { events } = play([
      client(fe.query('COPY t FROM STDIN;')),
      server(be.copyResponse('G', 1)),
      client(fe.copyData(Buffer.from('1\n')), fe.copyFail('cancelled by the user')),
      server(be.error('57014', 'COPY from stdin failed: cancelled by the user'), be.ready()),
    ]);
    assert.deepEqual(events, [
      { type: 'copy-fail', message: 'cancelled by the user' },
      { type: 'copy', direction: 'in', bytes: 2 },
      query({ text: 'COPY t FROM STDIN;', durationMs: 30, rows: 0, error: { code: '57014', message: 'COPY from stdin failed: cancelled by the user' } }),
    ]);
  });
});

describe('asynchronous messages', () => {
  test('notifications and notices between and during statements', () => {
    const { tty, events } = play(scenarios.asynchronous());
    assert.deepEqual(lines(tty), [
      'app=> LISTEN jobs;',
      'LISTEN',
      'Asynchronous notification "jobs" with payload "job 7 done" received from server process with PID 4242.',
      'WARNING:  the gateway will restart',
      'app=> COMMIT;',
      'WARNING:  there is no transaction in progress',
      'COMMIT',
    ]);
    assert.deepEqual(events, [
      query({ text: 'LISTEN jobs;', durationMs: 10, rows: 0, tag: 'LISTEN' }),
      { type: 'notification', channel: 'jobs', pid: 4242, payload: 'job 7 done' },
      query({ text: 'COMMIT;', durationMs: 10, rows: 0, tag: 'COMMIT' }),
    ]);
  });
});

// ---------------------------------------------------------------------------

/** Cut points for fast-check to pick, folded into 1..length-1 per step and sorted. */
function splitter(picks: number[][]): (bytes: Buffer, step: number) => Buffer[] {
  return (bytes, step) => {
    const cuts = [...new Set((picks[step] ?? []).map((c) => 1 + (c % Math.max(1, bytes.length - 1))))].filter((c) => c < bytes.length).sort((a, b) => a - b);
    const points = [0, ...cuts, bytes.length];
    // Copies, so that no chunk shares memory with another.
    return points.slice(1).map((end, i) => Buffer.from(bytes.subarray(points[i]!, end)));
  };
}

describe('chunking', () => {
  const all = Object.entries(scenarios);

  test('any split of the bytes gives the same events and transcript', () => {
    for (const [name, scenario] of all) {
      const steps = scenario();
      const whole = play(steps);
      fc.assert(
        fc.property(fc.array(fc.array(fc.nat(), { maxLength: 12 }), { minLength: steps.length, maxLength: steps.length }), (picks) => {
          const split = play(steps, { chunks: splitter(picks) });
          assert.deepEqual(split.events, whole.events, name);
          assert.equal(split.tty, whole.tty, name);
        }),
        { numRuns: 25 },
      );
    }
  });

  test('one byte at a time', () => {
    for (const [name, scenario] of all) {
      const steps = scenario();
      const whole = play(steps);
      const bytewise = play(steps, { chunks: (b) => [...b].map((x) => Buffer.of(x)) });
      assert.deepEqual(bytewise.events, whole.events, name);
      assert.equal(bytewise.tty, whole.tty, name);
    }
  });

  test('consecutive chunks of one side merged into one give the same result', () => {
    const mergeable = ['copyIn', 'asynchronous'] as const;
    for (const name of mergeable) {
      const steps = scenarios[name]();
      const merged: Step[] = [];
      for (const step of steps) {
        const last = merged.at(-1);
        if (last?.from === step.from) merged[merged.length - 1] = { from: step.from, bytes: Buffer.concat([last.bytes, step.bytes]) };
        else merged.push(step);
      }
      assert.ok(merged.length < steps.length, name);
      const a = play(steps, { tick: 0 });
      const b = play(merged, { tick: 0 });
      assert.deepEqual(b.events, a.events, name);
      assert.equal(b.tty, a.tty, name);
    }
  });
});

// ---------------------------------------------------------------------------

const FRONTEND_TYPES = 'BCdcfDEHFPpQSX';
/** Every backend message type, and some bytes no message has. */
const BACKEND_TYPES = 'RK123CdcGHWDIEVvnNAtSsZT\x00\x7f\xff';

const frame = (type: number, body: Uint8Array): Buffer => new MessageWriter('backend').bytes(body).finish(type);

/** A message of a type from `types`: a random body, or (to get deeper) a well-formed one with random fields. */
function messageArb(types: string, wellFormed: fc.Arbitrary<Buffer>[]): fc.Arbitrary<Buffer> {
  const random = fc.tuple(fc.constantFrom(...types), fc.uint8Array({ maxLength: 24 })).map(([t, body]) => frame(code(t), body));
  return fc.oneof(random, ...wellFormed);
}

const objectName = fc.constantFrom('', 's1', 's2', 'c1');
const value = fc.oneof(fc.constant(null), fc.string({ maxLength: 6 }), fc.integer().map(int4));

const clientMessage = messageArb(FRONTEND_TYPES, [
  fc.string({ maxLength: 12 }).map((t) => fe.query(t.replaceAll('\0', ''))),
  fc.tuple(objectName, fc.string({ maxLength: 12 }), fc.array(fc.constantFrom(0, INT4, TEXT), { maxLength: 3 })).map(([n, t, types]) => fe.parse({ name: n, text: t.replaceAll('\0', ''), types })),
  fc.tuple(objectName, objectName, fc.array(value, { maxLength: 3 }), fc.boolean()).map(([portal, statement, values, binary]) => fe.bind({ portal, statement, values, binary })),
  fc.tuple(fc.constantFrom('S' as const, 'P' as const), objectName).map(([type, n]) => fe.describe({ type, name: n })),
  fc.tuple(objectName, fc.nat(3)).map(([portal, rows]) => fe.execute({ portal, rows })),
  fc.tuple(fc.constantFrom('S' as const, 'P' as const), objectName).map(([type, n]) => fe.close({ type, name: n })),
  fc.constant(fe.sync()),
  fc.constant(fe.flush()),
  fc.uint8Array({ maxLength: 8 }).map((b) => fe.copyData(Buffer.from(b))),
  fc.constant(fe.copyDone()),
]);

const rowDescription = fc
  .array(fc.record({ name: fc.string({ maxLength: 4 }).map((s) => s.replaceAll('\0', '')), type: fc.constantFrom(INT4, TEXT, 17, 16), format: fc.constantFrom(0, 1) }), { maxLength: 3 })
  .map(be.rowDescription);
const dataRow = fc.array(fc.oneof(value, fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b))), { maxLength: 3 }).map(be.dataRow);

const serverMessage = messageArb(BACKEND_TYPES, [
  rowDescription,
  dataRow,
  // A result set, to fill results past maxRows.
  fc.tuple(fc.option(rowDescription, { nil: Buffer.alloc(0) }), fc.array(dataRow, { minLength: 2, maxLength: 6 })).map(([t, rows]) => Buffer.concat([t, ...rows])),
  fc.constantFrom('SELECT 2', 'INSERT 0 1', 'UPDATE 3', 'COPY 4', 'BEGIN', 'FETCH 1').map(be.commandComplete),
  fc.constantFrom<TransactionStatus>('I', 'T', 'E').map(be.ready),
  fc.constant(be.error('XX000', 'boom', { position: '3' })),
  fc.constant(be.notice('NOTICE', 'hm')),
  fc.constant(be.parseComplete()),
  fc.constant(be.bindComplete()),
  fc.constant(be.closeComplete()),
  fc.constant(be.noData()),
  fc.constant(be.portalSuspended()),
  fc.constant(be.emptyQuery()),
  fc.constantFrom<'G' | 'H'>('G', 'H').map((t) => be.copyResponse(t, 1)),
  fc.string({ maxLength: 6 }).map((s) => be.copyData(s)),
  fc.array(fc.constantFrom(0, INT4, TEXT), { maxLength: 3 }).map(be.parameterDescription),
  fc.constant(be.notification(1, 'ch', 'p')),
]);

const session = fc.array(fc.oneof(clientMessage.map((b) => client(b)), serverMessage.map((b) => server(b))), { maxLength: 40 });

/** What the observer holds (its connection state), looked at from outside to check it stays bounded. */
interface Insides {
  statements: Map<unknown, unknown>;
  portals: Map<unknown, unknown>;
  queue: { kind: string; run?: { result?: { kept?: unknown[] } } }[];
}

function insidesOf(observer: PgObserver): Insides {
  const insides = (observer as unknown as { c: Insides }).c;
  assert.ok(insides.statements instanceof Map && Array.isArray(insides.queue), 'the observer keeps its connection state in `c`');
  return insides;
}

/** Checks what the observer holds stays within its caps. */
function assertBounded(observer: PgObserver, maxRows: number): void {
  const insides = insidesOf(observer);
  assert.ok(insides.statements.size <= MAX_TRACKED);
  assert.ok(insides.portals.size <= MAX_TRACKED);
  for (const p of insides.queue) {
    const result = p.run?.result;
    if (result === undefined) continue;
    assert.ok(Array.isArray(result.kept), 'RowCollector keeps its rows in `kept`');
    assert.ok(result.kept.length <= maxRows, `${result.kept.length} rows kept`);
  }
}

describe('robustness', () => {
  test('arbitrary messages in any order never make the observer throw, and every event is well formed', () => {
    fc.assert(
      fc.property(session, fc.array(fc.array(fc.nat(), { maxLength: 3 }), { maxLength: 40 }), (steps, picks) => {
        const { events, tty } = play(steps, {
          maxRows: 2,
          chunks: splitter(picks),
          check: (observer) => assertBounded(observer, 2),
        });
        lines(tty);
        for (const e of events) {
          assert.equal(typeof e.type, 'string');
          for (const v of Object.values(e)) assert.notEqual(v, undefined);
          if (e.type === 'query') {
            assert.ok(Number.isInteger(e['rows']) && (e['rows'] as number) >= 0);
            assert.ok((e['durationMs'] as number) >= 0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a result keeps at most maxRows rows: a million DataRows are counted, only the first decoded', () => {
    let decoded = 0;
    const row = be.dataRow(['v']);
    const rows = Buffer.concat(Array.from({ length: 1000 }, () => row));
    const steps: Step[] = [client(fe.query('SELECT v FROM big;')), server(be.rowDescription(['v']))];
    for (let i = 0; i < 1000; i++) steps.push(server(rows));
    steps.push(server(be.commandComplete('SELECT 1000000'), be.ready()));
    const { tty, events } = play(steps, {
      maxRows: 2,
      check: (observer) => assertBounded(observer, 2),
      wrap: (sink, side) => ({
        wants: (type, length) => sink.wants(type, length),
        message: (type, ...rest) => {
          if (side === 'server' && type === code('D')) decoded++;
          sink.message(type, ...rest);
        },
        skipped: (type, length) => sink.skipped?.(type, length),
      }),
    });
    assert.equal(decoded, 2);
    assert.deepEqual(lines(tty), ['app=> SELECT v FROM big;', ' v ', '---', ' v', ' v', '(1000000 rows; first 2 shown)', '']);
    assert.equal(events[0]!['rows'], 1_000_000);
  });

  test('prepared statements and portals tracked are capped, the oldest forgotten first', () => {
    const parses: Buffer[] = [];
    for (let i = 0; i < MAX_TRACKED + 10; i++) parses.push(fe.parse({ name: `s${i}`, text: `SELECT ${i}` }), fe.bind({ portal: `p${i}`, statement: `s${i}` }));
    const replies = Array.from({ length: MAX_TRACKED + 10 }, () => [be.parseComplete(), be.bindComplete()]).flat();
    const { observer, events } = play([
      client(...parses, fe.sync()),
      server(...replies, be.ready()),
      client(fe.bind({ statement: 's0' }), fe.execute(), fe.bind({ statement: `s${MAX_TRACKED + 9}` }), fe.execute(), fe.execute({ portal: 'p9' }), fe.execute({ portal: 'p10' }), fe.sync()),
      server(...[0, 1].flatMap(() => [be.bindComplete(), be.commandComplete('SELECT 1')]), be.error('34000', 'portal "p9" does not exist'), be.ready()),
    ]);
    const insides = insidesOf(observer);
    assert.equal(insides.statements.size, MAX_TRACKED);
    assert.ok(insides.portals.size <= MAX_TRACKED);
    assert.deepEqual(
      events.map((e) => e['text']),
      ['EXECUTE s0', `SELECT ${MAX_TRACKED + 9}`, 'EXECUTE portal p9'],
    );
  });
});
