import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { renderTable } from '../../src/transcript/index.js';
import { TableRows } from '../../src/transcript/table-frame.js';
import type { Run } from './observer-state.js';
import { ColumnFlag as F, ColumnType as T, decodeBinaryRow, encodeBinaryRow, encodeTextRow, type ColumnDefinition } from './protocol/resultset.js';
import { formatBinaryValue, formatTextValue } from './protocol/values.js';
import { addRow } from './rows.js';

const UTF8MB4 = 45;
const BINARY = 63;

function column(name: string, type: number, charset: number, flags = 0): ColumnDefinition {
  return { catalog: 'def', schema: 'app', table: 't', orgTable: 't', name, orgName: name, charset, columnLength: 255, type, flags, decimals: 0 };
}

const COLUMNS = [column('s', T.VAR_STRING, UTF8MB4), column('b', T.BLOB, BINARY, F.BINARY | F.BLOB), column('n', T.LONG, BINARY, F.NUM)];

/** The table of rows fed to addRow through one protocol. */
function shown(rows: (Buffer | string | number | null)[][], binary: boolean, maxRows = 10): string {
  const result = new TableRows(maxRows);
  result.columns(COLUMNS.map((c) => ({ name: c.name, align: c.type === T.LONG ? 'right' : 'left' })));
  const run = { rows: 0, binary, columns: COLUMNS, result } as unknown as Run;
  for (const row of rows) {
    const payload = binary ? encodeBinaryRow(row, COLUMNS) : encodeTextRow(row.map((v) => (typeof v === 'number' ? String(v) : v)));
    addRow(run, payload, false);
  }
  return result.render();
}

/** The same rows as the mysql client shows them, each value through formatTextValue and the shared table. */
function expected(rows: (Buffer | string | number | null)[][], maxRows = 10): string {
  const text = (v: Buffer | string | number | null, i: number): string | null =>
    v === null ? null : typeof v === 'number' ? String(v) : formatTextValue(Buffer.from(v), COLUMNS[i]!);
  return renderTable({
    columns: COLUMNS.map((c) => ({ name: c.name, align: c.type === T.LONG ? 'right' : 'left' })),
    rows: rows.map((r) => r.map(text)),
    totalRows: rows.length,
    maxRows,
  });
}

test('rows read in place show what the mysql client shows, in both protocols', () => {
  const rows: (Buffer | string | number | null)[][] = [
    ['naïve', Buffer.from([0x00, 0xff]), 1],
    ['a\x1b[31mred', 'plain', -20],
    ['', null, null],
    ['x'.repeat(250), 'é', 7],
  ];
  for (const binary of [false, true]) {
    const table = shown(rows, binary);
    assert.equal(table, expected(rows), binary ? 'binary protocol' : 'text protocol');
    assert.ok(!table.includes('\x1b') && table.includes('a\\x1B[31mred'), 'a control is escaped');
    assert.ok(table.includes(' 0x00FF') && table.includes(' é'), 'bytes of the binary charset: hex unless printable text');
    assert.ok(table.includes(`${'x'.repeat(199)}…`), 'a long value is cut at the cell width');
  }
});

test('random values: the same table as through formatTextValue, in both protocols', () => {
  const value = fc.oneof(fc.constant(null), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.constantFrom('a', ' ', '~', '\t', '\n', '\x7f', 'é'), maxLength: 210 }));
  const bytes = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)));
  const row = fc.tuple(value, bytes, fc.oneof(fc.constant(null), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })));
  fc.assert(
    fc.property(fc.array(row, { maxLength: 6 }), (rows) => {
      for (const binary of [false, true]) assert.equal(shown(rows, binary, 4), expected(rows, 4));
    }),
  );
});

test('a row that does not decode is shown as ellipses, and counted', () => {
  const result = new TableRows(10);
  result.columns(COLUMNS.map((c) => ({ name: c.name, align: 'left' })));
  const run = { rows: 0, binary: false, columns: COLUMNS, result } as unknown as Run;
  addRow(run, Buffer.from([0x05, 0x61]), false);
  assert.equal(run.rows, 1);
  assert.equal(result.count, 1);
  assert.ok(result.render().includes(' … | … | …'));
});

test('binary rows of any bytes: the cells a reader of the whole row gives, or ellipses where it refuses the row', () => {
  const pool = [
    column('s', T.VAR_STRING, UTF8MB4),
    column('b', T.BLOB, BINARY, F.BINARY | F.BLOB),
    column('n', T.LONG, BINARY, F.NUM),
    column('d', T.DOUBLE, BINARY, F.NUM),
    column('t', T.DATETIME, BINARY),
    column('m', T.NEWDECIMAL, BINARY, F.NUM),
  ];
  const value = (c: ColumnDefinition): fc.Arbitrary<Buffer | string | number | null> =>
    c.type === T.LONG
      ? fc.oneof(fc.constant(null), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))
      : c.type === T.DOUBLE || c.type === T.DATETIME
        ? fc.constant(null)
        : fc.oneof(fc.constant(null), fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)));
  const rows = fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 6 }).chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      payloads: fc.array(
        fc.oneof(
          fc.tuple(...columns.map(value)).map((values) => encodeBinaryRow(values, columns)),
          // A row cut short, with bytes added, or with one byte changed.
          fc.tuple(fc.tuple(...columns.map(value)), fc.nat(), fc.integer({ min: -3, max: 3 }), fc.nat(255)).map(([values, at, grow, b]) => {
            const row = encodeBinaryRow(values, columns);
            if (grow < 0) return row.subarray(0, Math.max(0, row.length + grow));
            if (grow > 0) return Buffer.concat([row, Buffer.alloc(grow, b)]);
            const changed = Buffer.from(row);
            changed[at % row.length] = b;
            return changed;
          }),
          fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
        ),
        { maxLength: 5 },
      ),
    }),
  );
  fc.assert(
    fc.property(rows, ({ columns, payloads }) => {
      const align = columns.map((c) => ({ name: c.name, align: 'left' as const }));
      const result = new TableRows(10);
      result.columns(align);
      const run = { rows: 0, binary: true, columns, result } as unknown as Run;
      // Each row where it lies in a larger chunk, as the framer offers it.
      for (const p of payloads) addRow(run, Buffer.concat([Buffer.from([0, 0]), p, Buffer.from([0])]), false, 2, 2 + p.length);
      const expectedRows = payloads.map((p) => {
        try {
          return decodeBinaryRow(p, columns).map((v, i) => (v === null ? null : Buffer.isBuffer(v) ? formatTextValue(v, columns[i]!) : formatBinaryValue(v, columns[i]!)));
        } catch {
          return columns.map(() => '…');
        }
      });
      assert.equal(result.render(), renderTable({ columns: align, rows: expectedRows, totalRows: payloads.length, maxRows: 10 }));
    }),
    { numRuns: 400 },
  );
});
