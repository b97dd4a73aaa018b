import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { serialize as fe } from 'pg-protocol';
import { PgObserver } from './observer.js';
import { decodeRowDescription, encodeReadyForQuery } from './protocol/backend.js';
import { MessageFramer } from './protocol/framer.js';
import { MessageWriter } from './protocol/wire.js';
import { MAX_CACHED_BODY, ResultColumns } from './result-columns.js';
import { renderTableFrame } from '../../src/transcript/table-frame.js';

const INT4 = 23;
const TEXT = 25;

function rowDescription(columns: { name: string; type: number }[]): Buffer {
  const w = new MessageWriter('backend').int16(columns.length);
  for (const c of columns) w.string(c.name, 'name').int32(0).int16(0).int32(c.type).int16(-1).int32(-1).int16(0);
  return w.finish('T'.charCodeAt(0));
}
const body = (message: Buffer): Buffer => message.subarray(5);
const dataRow = (values: (string | null)[]): Buffer => {
  const w = new MessageWriter('backend').int16(values.length);
  for (const v of values) w.nullableBytes(v === null ? null : Buffer.from(v));
  return w.finish('D'.charCodeAt(0));
};
const commandComplete = (tag: string): Buffer => new MessageWriter('backend').string(tag, 'tag').finish('C'.charCodeAt(0));

test('a RowDescription like the last one gives the same fields, another its own', () => {
  const cache = new ResultColumns();
  const a = rowDescription([{ name: 'abalance', type: INT4 }]);
  const first = cache.describe(body(a));
  assert.deepEqual(first, decodeRowDescription(body(a)));
  assert.equal(cache.describe(body(Buffer.from(a))), first, 'the same bytes in another buffer');
  const b = rowDescription([{ name: 'abalance', type: TEXT }]);
  const other = cache.describe(body(b));
  assert.notEqual(other, first);
  assert.deepEqual(other, decodeRowDescription(body(b)));
});

test('the body kept is a copy: the chunk it came in may be reused', () => {
  const cache = new ResultColumns();
  const chunk = Buffer.from(rowDescription([{ name: 'a', type: INT4 }]));
  const fields = cache.describe(body(chunk));
  chunk.fill(0x41, 7, 8); // the field name 'a' becomes 'A' in place
  const again = cache.describe(body(chunk));
  assert.notEqual(again, fields);
  assert.equal(again[0]!.name, 'A');
});

test('a RowDescription longer than MAX_CACHED_BODY is decoded each time', () => {
  const cache = new ResultColumns();
  const wide = rowDescription(Array.from({ length: 400 }, (_, i) => ({ name: `column_${i}`, type: TEXT })));
  assert.ok(body(wide).length > MAX_CACHED_BODY);
  const first = cache.describe(body(wide));
  assert.notEqual(cache.describe(body(wide)), first);
  assert.deepEqual(cache.describe(body(wide)), first);
});

test('a collector for the fields of last time has the header laid out then', () => {
  const cache = new ResultColumns();
  const fields = cache.describe(body(rowDescription([{ name: 'n', type: INT4 }])));
  const one = cache.collector(fields, 10);
  const two = cache.collector(fields, 10);
  assert.equal(two.laidOut, one.laidOut);
  one.row(['1']);
  two.row(['1']);
  assert.equal(two.render(), one.render());
});

test('statements taking turns each keep their fields and their header', () => {
  const cache = new ResultColumns();
  const shapes = ['abalance', 'bbalance', 'tbalance', 'filler'].map((name) => rowDescription([{ name, type: INT4 }]));
  const fields = shapes.map((s) => cache.describe(body(s)));
  const layouts = fields.map((f) => cache.collector(f, 10).laidOut);
  for (let round = 0; round < 3; round++) {
    shapes.forEach((s, i) => {
      const again = cache.describe(body(Buffer.from(s)));
      assert.equal(again, fields[i], `the fields of ${i} decoded once`);
      assert.equal(cache.collector(again, 10).laidOut, layouts[i], `the layout of ${i} made once`);
    });
  }
});

/** The transcript and events of simple queries, each answered with one of `shapes`' result sets. */
function transcript(answers: { shape: number; value: string | null }[], shapes: Buffer[], oneObserver: boolean): { tty: string; events: unknown[] } {
  const tty: string[] = [];
  const events: unknown[] = [];
  const observe = (): [PgObserver, MessageFramer, MessageFramer] => [
    new PgObserver({ tty: (t) => void tty.push(t), table: (p) => void tty.push(renderTableFrame(p)), event: (e) => void events.push(e), now: () => 0 }, { database: 'app', maxRows: 3, parameters: new Map() }),
    new MessageFramer({ side: 'frontend' }),
    new MessageFramer({ side: 'backend' }),
  ];
  let [observer, clientFramer, serverFramer] = observe();
  for (const { shape, value } of answers) {
    if (!oneObserver) [observer, clientFramer, serverFramer] = observe();
    clientFramer.push(fe.query(`SELECT ${shape};`), observer.client);
    const columns = decodeRowDescription(body(shapes[shape]!)).length;
    serverFramer.push(Buffer.concat([shapes[shape]!, dataRow(Array.from({ length: columns }, () => value)), commandComplete('SELECT 1'), encodeReadyForQuery('I')]), observer.server);
  }
  return { tty: tty.join(''), events };
}

test('one observer shows result sets of changing columns exactly as fresh observers would', () => {
  const shapes = [
    rowDescription([{ name: 'abalance', type: INT4 }]),
    rowDescription([{ name: 'abalance', type: TEXT }]),
    rowDescription([{ name: 'b', type: INT4 }]),
    rowDescription([
      { name: 'abalance', type: INT4 },
      { name: 'name', type: TEXT },
    ]),
    rowDescription([{ name: 'multi\nline', type: TEXT }]),
  ];
  fc.assert(
    fc.property(fc.array(fc.record({ shape: fc.integer({ min: 0, max: shapes.length - 1 }), value: fc.option(fc.string({ maxLength: 12 })) }), { maxLength: 12 }), (answers) => {
      assert.deepEqual(transcript(answers, shapes, true), transcript(answers, shapes, false));
    }),
  );
});
