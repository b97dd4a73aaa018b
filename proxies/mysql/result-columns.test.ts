import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MysqlObserver } from './observer.js';
import { encodeQuery } from './protocol/query-command.js';
import { PacketFramer, writePacket } from './protocol/framer.js';
import { Capability as C } from './protocol/capabilities.js';
import { encodeEof } from './protocol/packets.js';
import { ColumnFlag as F, ColumnType as T, decodeColumnDefinition, encodeColumnCount, encodeColumnDefinition, encodeTextRow, type ColumnDefinition } from './protocol/resultset.js';
import { DEFINITIONS_PER_COLUMN, MAX_CACHED_PACKET, ResultColumns } from './result-columns.js';
import { renderTableFrame } from '../../src/transcript/table-frame.js';

const CAPS = C.CLIENT_PROTOCOL_41 | C.CLIENT_TRANSACTIONS | C.CLIENT_SECURE_CONNECTION | C.CLIENT_MULTI_RESULTS | C.CLIENT_PLUGIN_AUTH;

function col(name: string, type: number = T.VAR_STRING): ColumnDefinition {
  const numeric = type !== T.VAR_STRING;
  return { catalog: 'def', schema: 'app', table: 't', orgTable: 't', name, orgName: name, charset: numeric ? 63 : 45, columnLength: 20, type, flags: numeric ? F.NUM : 0, decimals: 0 };
}

test('a column definition like one of the last few at its index gives the same object, another its own', () => {
  const cache = new ResultColumns(0);
  const c = encodeColumnDefinition(col('c'));
  const first = cache.definition(c, 0);
  assert.deepEqual(first, decodeColumnDefinition(c));
  assert.equal(cache.definition(Buffer.from(c), 0), first, 'the same bytes in another buffer');
  assert.notEqual(cache.definition(c, 1), first, 'another index is decoded on its own');
  const k = encodeColumnDefinition(col('c', T.LONGLONG));
  const other = cache.definition(k, 0);
  assert.deepEqual(other, decodeColumnDefinition(k));
  assert.equal(cache.definition(c, 0), first, 'statements taking turns: each keeps its definition');
  assert.equal(cache.definition(k, 0), other);
  for (let i = 0; i < DEFINITIONS_PER_COLUMN; i++) cache.definition(encodeColumnDefinition(col(`x${i}`)), 0);
  assert.notEqual(cache.definition(c, 0), first, 'forgotten after as many others');
});

test('the packet kept is a copy, and a long one is not kept', () => {
  const cache = new ResultColumns(0);
  const packet = Buffer.from(encodeColumnDefinition(col('a')));
  const first = cache.definition(packet, 0);
  packet.write('b', packet.indexOf('a', 12));
  assert.equal(cache.definition(packet, 0).name, 'b');
  assert.notEqual(cache.definition(packet, 0), first);
  const long = encodeColumnDefinition(col('x'.repeat(MAX_CACHED_PACKET)));
  assert.notEqual(cache.definition(long, 0), cache.definition(long, 0));
});

test('a collector for the definitions of last time has the header laid out then', () => {
  const cache = new ResultColumns(0);
  const columns = [cache.definition(encodeColumnDefinition(col('n', T.LONG)), 0)];
  const one = cache.collector(columns, 10);
  const two = cache.collector([...columns], 10);
  assert.equal(two.laidOut, one.laidOut);
  assert.notEqual(cache.collector([col('n', T.LONG)], 10).laidOut, one.laidOut, 'equal but decoded apart: laid out again');
});

test('statements taking turns each keep their header, rendered once for the same widths', () => {
  const cache = new ResultColumns(0);
  const tables = [1, 2, 3, 4].map((n) => [cache.definition(encodeColumnDefinition({ ...col('c'), table: `sbtest${n}` }), 0)]);
  const first = tables.map((columns) => cache.collector(columns, 10));
  for (const r of first) r.row(['x'.repeat(20)]);
  const rendered = first.map((r) => r.render());
  for (let round = 0; round < 3; round++) {
    tables.forEach((columns, i) => {
      const again = cache.collector(columns, 10);
      assert.equal(again.laidOut, first[i]!.laidOut);
      const header = again.laidOut.rendered;
      again.row(['y'.repeat(20)]);
      assert.equal(again.render(), rendered[i]!.replace('x'.repeat(20), 'y'.repeat(20)));
      assert.equal(again.laidOut.rendered, header, 'the header of last time, not rendered again');
    });
  }
});

/** The transcript and events of text queries, each answered with one of `shapes`' result sets. */
function transcript(answers: { shape: number; value: string | null }[], shapes: ColumnDefinition[][], oneObserver: boolean): { tty: string; events: unknown[] } {
  const tty: string[] = [];
  const events: unknown[] = [];
  const observe = (): [MysqlObserver, PacketFramer, PacketFramer] => [
    new MysqlObserver({ tty: (t) => void tty.push(t), table: (p) => void tty.push(renderTableFrame(p)), event: (e) => void events.push(e), now: () => 0 }, { database: 'app', maxRows: 3, capabilities: CAPS }),
    new PacketFramer({ side: 'client' }),
    new PacketFramer({ side: 'server' }),
  ];
  let [observer, clientFramer, serverFramer] = observe();
  for (const { shape, value } of answers) {
    if (!oneObserver) [observer, clientFramer, serverFramer] = observe();
    const columns = shapes[shape]!;
    clientFramer.push(writePacket(encodeQuery(`SELECT ${shape}`, CAPS), 0), observer.client);
    const eof = encodeEof({ warnings: 0, statusFlags: 0 }, CAPS);
    const answer = [encodeColumnCount(columns.length, CAPS), ...columns.map((c) => encodeColumnDefinition(c)), eof, encodeTextRow(columns.map(() => value)), eof];
    serverFramer.push(Buffer.concat(answer.map((p, i) => writePacket(p, i + 1))), observer.server);
  }
  return { tty: tty.join(''), events };
}

test('one observer shows result sets of changing columns exactly as fresh observers would', () => {
  const shapes = [[col('c')], [col('c', T.LONGLONG)], [col('k')], [col('c'), col('k', T.LONG)], [col('k', T.LONG), col('c')], [col('multi\nline')]];
  fc.assert(
    fc.property(fc.array(fc.record({ shape: fc.integer({ min: 0, max: shapes.length - 1 }), value: fc.option(fc.string({ maxLength: 12 })) }), { maxLength: 12 }), (answers) => {
      assert.deepEqual(transcript(answers, shapes, true), transcript(answers, shapes, false));
    }),
  );
});
