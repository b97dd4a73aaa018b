import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { renderTable } from '../../src/transcript/index.js';
import { TableRows } from '../../src/transcript/table-frame.js';
import type { Run } from './observer-state.js';
import { ColumnFlag as F, ColumnType as T, encodeBinaryRow, encodeTextRow, type ColumnDefinition } from './protocol/resultset.js';
import { formatTextValue } from './protocol/values.js';
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
