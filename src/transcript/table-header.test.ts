import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RowCollector } from './rows.js';
import { renderTable, type TableColumn } from './table.js';

test('result sets sharing laid-out columns render as each would alone, whatever their widths', () => {
  const columns: TableColumn[] = [
    { name: 'abalance', align: 'right' },
    { name: 'two\nlines', align: 'left' },
  ];
  const laidOut = (() => {
    const c = new RowCollector(5);
    c.columns(columns);
    return c.laidOut;
  })();
  const value = fc.option(fc.oneof(fc.string({ maxLength: 14 }), fc.constantFrom('1', '12345678901', 'a\nb', '全角')));
  fc.assert(
    fc.property(fc.array(fc.array(fc.tuple(value, value), { maxLength: 4 }), { maxLength: 6 }), (results) => {
      // All rendered with the shared columns first, one after the other, then each alone.
      const shared = results.map((rows) => {
        const c = new RowCollector(5);
        c.columnsLaidOut(laidOut);
        for (const r of rows) c.row(r);
        return c.render();
      });
      assert.deepEqual(
        shared,
        results.map((rows) => renderTable({ columns, rows, totalRows: rows.length, maxRows: 5 })),
      );
    }),
  );
});
