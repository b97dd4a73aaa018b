import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecordingError } from '../errors.js';
import { decodeFrames, encodeFrameInto, FrameKind, frameSize } from '../recording/frames.js';
import { cellPrefixKept } from './display.js';
import { RowCollector } from './rows.js';
import { renderTableFrame, TableBuffer, TableRows } from './table-frame.js';
import type { TableColumn } from './table.js';

type Value = { kind: 'sent'; bytes: Buffer } | { kind: 'shown'; text: string } | null;

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  // Valid UTF-8 of every width, long enough to pass the cell's cap, sometimes cut mid-sequence.
  fc.tuple(fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '\u0301', '\t', '\n', '\x1b', '\u202e', '\ufeff'), maxLength: 120 }), fc.nat(3)).map(([s, cut]) => {
    const b = Buffer.from(s);
    return b.subarray(0, Math.max(0, b.length - cut));
  }),
);
const value: fc.Arbitrary<Value> = fc.oneof(
  fc.constant(null),
  bytes.map((b) => ({ kind: 'sent' as const, bytes: Buffer.from(b) })),
  bytes.map((b) => ({ kind: 'shown' as const, text: Buffer.from(b).toString('utf8') })),
);
const column: fc.Arbitrary<TableColumn> = fc.record({ name: bytes.map((b) => Buffer.from(b).toString('utf8')), align: fc.constantFrom('left' as const, 'right' as const) });

/** The rows given to TableRows cell by cell, and laid out from its payload. */
function kept(columns: TableColumn[], rows: Value[][], maxRows: number, options: { maxCellWidth: number; footer: boolean }): string {
  const table = new TableRows(maxRows, options);
  table.columns(columns);
  for (const row of rows) {
    if (!table.startRow()) continue;
    // The row's sent values where they lie in one packet-like buffer, bytes of no value around them.
    const pieces: Buffer[] = [Buffer.from('~~~')];
    const starts = row.map((v) => {
      const at = pieces.reduce((n, p) => n + p.length, 0);
      if (v?.kind === 'sent') pieces.push(v.bytes, Buffer.from('~'));
      return at;
    });
    const packet = Buffer.concat(pieces);
    row.forEach((v, i) => {
      if (v === null) table.nullCell();
      else if (v.kind === 'sent') table.valueCell(packet, starts[i]!, starts[i]! + v.bytes.length);
      else table.shownCell(v.text);
    });
    table.endRow();
  }
  return renderTableFrame(table.payload());
}

/** The same rows laid out as they pass, each sent value decoded as the observers decode it. */
function laidOut(columns: TableColumn[], rows: Value[][], maxRows: number, options: { maxCellWidth: number; footer: boolean }): string {
  const table = new RowCollector(maxRows, options);
  table.columns(columns);
  for (const row of rows) table.row(row.map((v) => (v === null ? null : v.kind === 'sent' ? v.bytes.toString('utf8') : v.text)));
  return table.render();
}

test('a table kept as its values reads back as the table laid out as it passed', () => {
  fc.assert(
    fc.property(
      fc.array(column, { minLength: 1, maxLength: 4 }),
      fc.array(fc.array(value, { maxLength: 5 }), { maxLength: 8 }),
      fc.nat(6),
      fc.integer({ min: 1, max: 12 }),
      fc.boolean(),
      (columns, rows, maxRows, maxCellWidth, footer) => {
        const options = { maxCellWidth, footer };
        assert.equal(kept(columns, rows, maxRows, options), laidOut(columns, rows, maxRows, options));
      },
    ),
    { numRuns: 500 },
  );
});

test('a value is kept only as far as a cell can show it, and rows past maxRows only counted', () => {
  const table = new TableRows(2, { maxCellWidth: 10 });
  table.columns([{ name: 'v', align: 'left' }]);
  const long = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 1000; i++) {
    if (!table.startRow()) continue;
    table.valueCell(long, 0, long.length);
    table.endRow();
  }
  table.skip(5);
  const payload = table.payload();
  assert.ok(payload.length < 2 * cellPrefixKept(10).bytes + 64, `${payload.length} bytes kept`);
  const text = renderTableFrame(payload);
  assert.equal(text, `     v      \r\n${'-'.repeat(12)}\r\n ${'a'.repeat(9)}…\r\n ${'a'.repeat(9)}…\r\n(1005 rows; first 2 shown)\r\n\r\n`);
});

test('long values are copied from where they lie, in one buffer or in turns between several', () => {
  const values = ['a', 'b', 'c', 'd'].map((ch, k) => `${ch.repeat(40 + k * 30)}|${k}`);
  const one = Buffer.from(`##${values.join('#')}`);
  const table = new TableRows(20, { maxCellWidth: 200 });
  table.columns([{ name: 'v', align: 'left' }]);
  let at = 2;
  for (const v of values) {
    table.row([]);
    // The same value again from a buffer of its own, between two from the shared one.
    table.startRow();
    table.valueCell(one, at, at + v.length);
    table.endRow();
    const own = Buffer.from(`%${v}%`);
    table.startRow();
    table.valueCell(own, 1, 1 + v.length);
    table.endRow();
    at += v.length + 1;
  }
  const shown = renderTableFrame(table.payload()).split('\r\n').slice(2, 2 + values.length * 3).map((line) => line.trim());
  assert.deepEqual(shown, values.flatMap((v) => ['', v, v]));
});

test('a row that could not be read is shown as one mark per column, and a statement run again reuses its columns', () => {
  const first = new TableRows(5);
  first.columns([
    { name: 'id', align: 'right' },
    { name: 'name', align: 'left' },
  ]);
  assert.ok(first.startRow());
  first.valueCell(Buffer.from('17'), 0, 2);
  first.replaceRow('…');
  const again = new TableRows(5);
  again.columnsLaidOut(first.laidOut);
  assert.ok(again.startRow());
  again.valueCell(Buffer.from('x1'), 1, 2);
  again.endRow();
  assert.equal(renderTableFrame(first.payload()), ' id | name \r\n----+------\r\n  … | …\r\n(1 row)\r\n\r\n');
  assert.equal(renderTableFrame(again.payload()), ' id | name \r\n----+------\r\n  1 | \r\n(1 row)\r\n\r\n');
  assert.throws(() => new TableRows(5).columnsLaidOut(new RowCollector(5).laidOut), TypeError);
});

test('a table frame reads back as the Data frame of its text', () => {
  const table = new TableRows(10);
  table.columns([{ name: 'n', align: 'right' }]);
  table.row(['1']);
  const payload = table.payload();
  const chunk = new Uint8Array(frameSize(42, payload.length));
  encodeFrameInto(chunk, 0, FrameKind.Table, 42, payload);
  const [frame] = decodeFrames(chunk);
  assert.equal(frame?.kind, FrameKind.Data);
  assert.equal(frame?.t, 42);
  assert.equal(Buffer.from(frame.kind === FrameKind.Data ? frame.data : []).toString(), ' n \r\n---\r\n 1\r\n(1 row)\r\n\r\n');
});

test('a payload cut at any byte, or any bytes at all, read as a table or refused with RecordingError', () => {
  const table = new TableRows(10, { maxCellWidth: 20 });
  table.columns([
    { name: 'a', align: 'left' },
    { name: 'b', align: 'right' },
  ]);
  table.row(['x', null]);
  table.row(['é€😀', '42']);
  const payload = table.payload().slice();
  const readOrRefuse = (b: Uint8Array): void => {
    try {
      assert.equal(typeof renderTableFrame(b), 'string');
    } catch (e) {
      assert.ok(e instanceof RecordingError, String(e));
    }
  };
  for (let i = 0; i <= payload.length; i++) readOrRefuse(payload.subarray(0, i));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => readOrRefuse(Uint8Array.of(1, ...b))), { numRuns: 2000 });
  fc.assert(
    fc.property(fc.nat(payload.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const changed = payload.slice();
      changed[at] = byte;
      readOrRefuse(changed);
    }),
    { numRuns: 2000 },
  );
});

test("a connection's table buffer is lent to one result set at a time, and kept only while it is its own and 64 KiB or less", () => {
  const lender = new TableBuffer();
  const rowsOf = (n: number, fill: string): string[] => Array.from({ length: n }, (_, i) => `${i}`.padEnd(40, fill));
  const filled = (rows: string[]): TableRows => {
    const t = new TableRows(2000, {}, lender);
    t.columns([{ name: 'v', align: 'left' }]);
    for (const r of rows) t.row([r]);
    return t;
  };
  const expected = (rows: string[]): string => {
    const c = new RowCollector(2000);
    c.columns([{ name: 'v', align: 'left' }]);
    for (const r of rows) c.row([r]);
    return c.render();
  };
  // A small table's buffer is its own: kept, and the next small table's.
  const small = filled(['a']);
  assert.equal(renderTableFrame(small.payload()), expected(['a']));
  small.done();
  assert.throws(() => small.payload(), /after done/);
  const smallBuffer = lender.lend();
  assert.ok(smallBuffer && smallBuffer.byteLength === smallBuffer.buffer.byteLength && smallBuffer.length < 4096);
  lender.giveBack(smallBuffer);
  const next = filled(['b']);
  assert.equal(renderTableFrame(next.payload()), expected(['b']));
  next.done();
  assert.equal(lender.lend(), smallBuffer, 'the same buffer, reused');
  // A piece of a larger buffer (a slab's) is never kept: it would keep the whole of it.
  lender.giveBack(new Uint8Array(1024).subarray(0, 512));
  assert.equal(lender.lend(), undefined);
  // A larger one (about 8 KiB) is kept; the next result set takes it, one open beside it (a cursor's) gets another.
  const first = filled(rowsOf(200, 'a'));
  first.done();
  const second = filled(rowsOf(150, 'b'));
  const beside = filled(rowsOf(150, 'c'));
  second.row(['e']);
  beside.row(['f']);
  assert.equal(renderTableFrame(second.payload()), expected([...rowsOf(150, 'b'), 'e']));
  assert.equal(renderTableFrame(beside.payload()), expected([...rowsOf(150, 'c'), 'f']));
  second.done();
  beside.done();
  const kept = lender.lend();
  assert.ok(kept && kept.length > 4096 && kept.length <= 64 * 1024, 'a table of several KiB keeps its buffer for the next');
  lender.giveBack(kept);
  // A table grown past 64 KiB gives its buffer up rather than keep it for an idle connection.
  const big = filled(rowsOf(2000, 'x'));
  assert.equal(renderTableFrame(big.payload()), expected(rowsOf(2000, 'x')));
  big.done();
  assert.equal(lender.lend(), undefined);
});
