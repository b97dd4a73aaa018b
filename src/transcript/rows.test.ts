import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowCollector } from './rows.js';
import { renderTable } from './table.js';

const columns = [
  { name: 'id', align: 'right' as const },
  { name: 'name', align: 'left' as const },
];

test('rows collected one by one render as renderTable would', () => {
  const rows: (string | null)[][] = [
    ['1', 'one'],
    ['22', null],
    ['333', 'three\nlines\nhere'],
  ];
  const c = new RowCollector(10);
  c.columns(columns);
  for (const r of rows) c.row(r);
  assert.equal(c.count, 3);
  assert.equal(c.render(), renderTable({ columns, rows, totalRows: 3, maxRows: 10 }));
});

test('past maxRows rows are only counted, and the footer says so', () => {
  const c = new RowCollector(2);
  c.columns(columns);
  const seen: boolean[] = [];
  for (let i = 0; i < 100_000; i++) {
    seen.push(c.wantsRow());
    c.row([String(i), 'x'.repeat(10_000)]);
  }
  c.skip(5);
  assert.deepEqual(seen.slice(0, 3), [true, true, false]);
  assert.equal(c.count, 100_005);
  const out = c.render();
  assert.ok(out.endsWith('(100005 rows; first 2 shown)\r\n\r\n'));
  assert.equal(out.split('\r\n').length, 7);
});

test('cells are capped when collected; missing values are NULL, extra ones ignored', () => {
  const c = new RowCollector(5, { maxCellWidth: 4 });
  c.columns(columns);
  c.row(['123456']);
  c.row(['1', 'ab', 'extra']);
  assert.equal(
    c.render(),
    '  id  | name \r\n' + '------+------\r\n' + ' 123… | \r\n' + '    1 | ab\r\n' + '(2 rows)\r\n' + '\r\n',
  );
});

test('columns() starts over; zero columns and zero rows render as psql does', () => {
  const c = new RowCollector(5, { footer: true });
  c.columns(columns);
  c.row(['1', 'a']);
  c.columns([]);
  c.row([]);
  assert.equal(c.render(), '--\r\n(1 row)\r\n\r\n');
  c.columns([{ name: 'a', align: 'left' }]);
  assert.equal(c.render(), ' a \r\n---\r\n(0 rows)\r\n\r\n');
});
