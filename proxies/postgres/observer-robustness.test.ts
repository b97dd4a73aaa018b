/** The PostgreSQL observer given arbitrary messages in any order: it never throws, and what it holds stays bounded. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { serialize as fe } from 'pg-protocol';
import { MAX_TRACKED, PgObserver } from './observer.js';
import type { TransactionStatus } from './protocol/backend.js';
import { MessageWriter } from './protocol/wire.js';
import { be, client, code, int4, INT4, lines, play, server, splitter, type Step, TEXT } from './observer-test-support.js';

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
  queue: { kind: string; run?: { result?: { kept?: unknown } } }[];
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
    assert.ok(typeof result.kept === 'number', 'TableRows counts the rows it keeps in `kept`');
    assert.ok(result.kept <= maxRows, `${result.kept} rows kept`);
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

  test('arbitrary messages read the same whole (where they lie) as split at any bytes (each a Buffer of its own)', () => {
    fc.assert(
      fc.property(session, fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { maxLength: 40 }), (steps, picks) => {
        const whole = play(steps, { maxRows: 2 });
        const split = play(steps, { maxRows: 2, chunks: splitter(picks) });
        assert.deepEqual(split.events, whole.events);
        assert.equal(split.tty, whole.tty);
      }),
      { numRuns: 300 },
    );
  });

  test('rows a target sends before anything was asked hide none of the rows of the request after them', () => {
    const steps: Step[] = [
      server(be.dataRow(['x']), be.dataRow(['y'])),
      client(fe.execute({})),
      server(be.dataRow(['1']), be.commandComplete('SELECT 1')),
    ];
    const whole = play(steps, { maxRows: 2 });
    const split = play(steps, { maxRows: 2, chunks: splitter([[0], [0], [0]]) });
    assert.deepEqual(whole.queries.map((e) => e['rows']), [1]);
    assert.deepEqual(split.events, whole.events);
    assert.equal(split.tty, whole.tty);
  });

  test('a result keeps at most maxRows rows: a million DataRows are counted, only the first decoded', () => {
    let decoded = 0;
    const row = be.dataRow(['v']);
    const rows = Buffer.concat(Array.from({ length: 1000 }, () => row));
    const steps: Step[] = [client(fe.query('SELECT v FROM big;')), server(be.rowDescription(['v']))];
    for (let i = 0; i < 1000; i++) steps.push(server(rows));
    steps.push(server(be.commandComplete('SELECT 1000000'), be.ready()));
    const { tty, events, tables } = play(steps, {
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
    assert.equal(tables.length, 1, 'the result went as one table frame');
    assert.ok(tables[0]! < 40, `a table frame of ${tables[0]} bytes for two kept rows`);
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
