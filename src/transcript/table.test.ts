import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { displayWidth } from './display.js';
import { type TableColumn, renderTable } from './table.js';

// Expected output captured from psql 15.20 (`psql -X -P pager=off -c '<query>'`), "\n" turned into "\r\n".
const PSQL: { name: string; columns: TableColumn[]; rows: (string | null)[][]; expected: string }[] = [
  {
    name: 'mixed columns, NULL in the last column',
    // select 1 as a, 'x' as bcd, null as c
    columns: [{ name: 'a', align: 'right' }, { name: 'bcd', align: 'left' }, { name: 'c', align: 'left' }],
    rows: [['1', 'x', null]],
    expected:
      ' a | bcd | c \r\n' +
      '---+-----+---\r\n' +
      ' 1 | x   | \r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'numbers right-aligned',
    // select * from (values (1, 'one', 1.5), (22, 'twenty-two', -3.25), (333, null, null)) v(id, name, amount)
    columns: [{ name: 'id', align: 'right' }, { name: 'name', align: 'left' }, { name: 'amount', align: 'right' }],
    rows: [['1', 'one', '1.5'], ['22', 'twenty-two', '-3.25'], ['333', null, null]],
    expected:
      ' id  |    name    | amount \r\n' +
      '-----+------------+--------\r\n' +
      '   1 | one        |    1.5\r\n' +
      '  22 | twenty-two |  -3.25\r\n' +
      ' 333 |            |       \r\n' +
      '(3 rows)\r\n' +
      '\r\n',
  },
  {
    name: 'empty strings and NULLs',
    // select '' as empty, null::int as n, 1.5 as num, true as b
    columns: [{ name: 'empty', align: 'left' }, { name: 'n', align: 'right' }, { name: 'num', align: 'right' }, { name: 'b', align: 'left' }],
    rows: [['', null, '1.5', 't']],
    expected:
      ' empty | n | num | b \r\n' +
      '-------+---+-----+---\r\n' +
      '       |   | 1.5 | t\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'multi-line value before other columns',
    // select 'ab'||chr(10)||'cdef' as x, 12345 as num, 'q' as y
    columns: [{ name: 'x', align: 'left' }, { name: 'num', align: 'right' }, { name: 'y', align: 'left' }],
    rows: [['ab\ncdef', '12345', 'q']],
    expected:
      '  x   |  num  | y \r\n' +
      '------+-------+---\r\n' +
      ' ab  +| 12345 | q\r\n' +
      ' cdef |       | \r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'multi-line value in the last column',
    // select 1 as n, 'ab'||chr(10)||'cdef' as x
    columns: [{ name: 'n', align: 'right' }, { name: 'x', align: 'left' }],
    rows: [['1', 'ab\ncdef']],
    expected:
      ' n |  x   \r\n' +
      '---+------\r\n' +
      ' 1 | ab  +\r\n' +
      '   | cdef\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'multi-line value ending in a newline',
    // select 'ab'||chr(10)||'cdef'||chr(10) as x, 1 as n
    columns: [{ name: 'x', align: 'left' }, { name: 'n', align: 'right' }],
    rows: [['ab\ncdef\n', '1']],
    expected:
      '  x   | n \r\n' +
      '------+---\r\n' +
      ' ab  +| 1\r\n' +
      ' cdef+| \r\n' +
      '      | \r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'multi-line values of different heights',
    // select E'x\ny' as a, E'1\n2\n3' as b, 'z' as c
    columns: [{ name: 'a', align: 'left' }, { name: 'b', align: 'left' }, { name: 'c', align: 'left' }],
    rows: [['x\ny', '1\n2\n3', 'z']],
    expected:
      ' a | b | c \r\n' +
      '---+---+---\r\n' +
      ' x+| 1+| z\r\n' +
      ' y | 2+| \r\n' +
      '   | 3 | \r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'multi-line header',
    // select 'x' as "multi\nline", 2 as n
    columns: [{ name: 'multi\nline', align: 'left' }, { name: 'n', align: 'right' }],
    rows: [['x', '2']],
    expected:
      ' multi+| n \r\n' +
      ' line  |   \r\n' +
      '-------+---\r\n' +
      ' x     | 2\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'wide characters',
    // select '日本語' as 日本語語, 'x' as "ab", 'é' as e, chr(128512) as emoji
    columns: [{ name: '日本語語', align: 'left' }, { name: 'ab', align: 'left' }, { name: 'e', align: 'left' }, { name: 'emoji', align: 'left' }],
    rows: [['日本語', 'x', 'é', '😀']],
    expected:
      ' 日本語語 | ab | e | emoji \r\n' +
      '----------+----+---+-------\r\n' +
      ' 日本語   | x  | é | 😀\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'tabs',
    // select E'a\tb\tccccccccc\td' as tabs, 'x' as z
    columns: [{ name: 'tabs', align: 'left' }, { name: 'z', align: 'left' }],
    rows: [['a\tb\tccccccccc\td', 'x']],
    expected:
      '               tabs                | z \r\n' +
      '-----------------------------------+---\r\n' +
      ' a       b       ccccccccc       d | x\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'control characters',
    // select 'x'||chr(27)||'[31mred'||chr(13)||'z' as ctl, chr(127)||chr(133) as c1, 1 as n
    columns: [{ name: 'ctl', align: 'left' }, { name: 'c1', align: 'left' }, { name: 'n', align: 'right' }],
    rows: [['x\x1b[31mred\rz', '\x7f\x85', '1']],
    expected:
      '       ctl       |     c1     | n \r\n' +
      '-----------------+------------+---\r\n' +
      ' x\\x1B[31mred\\rz | \\x7F\\u0085 | 1\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'zero rows',
    // select 1 as a, 'x' as b where false
    columns: [{ name: 'a', align: 'right' }, { name: 'b', align: 'left' }],
    rows: [],
    expected:
      ' a | b \r\n' +
      '---+---\r\n' +
      '(0 rows)\r\n' +
      '\r\n',
  },
  {
    name: 'zero columns',
    // select
    columns: [],
    rows: [[]],
    expected:
      '--\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  },
  {
    name: 'zero columns, zero rows',
    // select where false
    columns: [],
    rows: [],
    expected:
      '--\r\n' +
      '(0 rows)\r\n' +
      '\r\n',
  },
  {
    name: 'several rows',
    // select g as n, repeat('ab', g) as s, case when g % 2 = 0 then null else g::text || E'\n' || g end as m from generate_series(1, 4) g
    columns: [{ name: 'n', align: 'right' }, { name: 's', align: 'left' }, { name: 'm', align: 'left' }],
    rows: [['1', 'ab', '1\n1'], ['2', 'abab', null], ['3', 'ababab', '3\n3'], ['4', 'abababab', null]],
    expected:
      ' n |    s     | m \r\n' +
      '---+----------+---\r\n' +
      ' 1 | ab       | 1+\r\n' +
      '   |          | 1\r\n' +
      ' 2 | abab     | \r\n' +
      ' 3 | ababab   | 3+\r\n' +
      '   |          | 3\r\n' +
      ' 4 | abababab | \r\n' +
      '(4 rows)\r\n' +
      '\r\n',
  },
];

for (const f of PSQL) {
  test(`psql's output byte for byte: ${f.name}`, () => {
    assert.equal(renderTable({ columns: f.columns, rows: f.rows, totalRows: f.rows.length, maxRows: 100 }), f.expected);
  });
}

const one = (align: 'left' | 'right' = 'left'): TableColumn[] => [{ name: 'v', align }];

test('rows past maxRows are left out and the footer says how many there were', () => {
  const rows = [['1'], ['2'], ['3']];
  assert.equal(
    renderTable({ columns: one('right'), rows, totalRows: 10000, maxRows: 2 }),
    ' v \r\n---\r\n 1\r\n 2\r\n(10000 rows; first 2 shown)\r\n\r\n',
  );
  assert.equal(renderTable({ columns: one(), rows: [], totalRows: 1, maxRows: 0 }), ' v \r\n---\r\n(1 row; none shown)\r\n\r\n');
});

test('footer: false drops the row count but never the note that rows were left out', () => {
  assert.equal(renderTable({ columns: one(), rows: [['a']], totalRows: 1, maxRows: 5, footer: false }), ' v \r\n---\r\n a\r\n\r\n');
  assert.equal(
    renderTable({ columns: one(), rows: [['a']], totalRows: 7, maxRows: 1, footer: false }),
    ' v \r\n---\r\n a\r\n(7 rows; first 1 shown)\r\n\r\n',
  );
});

test('a long value is cut to maxCellWidth columns with an ellipsis', () => {
  const out = renderTable({ columns: one(), rows: [['x'.repeat(1000)]], totalRows: 1, maxRows: 1, maxCellWidth: 10 });
  assert.equal(out, '     v      \r\n------------\r\n xxxxxxxxx…\r\n(1 row)\r\n\r\n');
  const exact = renderTable({ columns: one(), rows: [['x'.repeat(10)]], totalRows: 1, maxRows: 1, maxCellWidth: 10 });
  assert.ok(exact.includes(' xxxxxxxxxx\r\n'), 'a value exactly at the cap is not cut');
});

test('the cap counts wide characters as two columns and line breaks as one', () => {
  const wide = renderTable({ columns: one(), rows: [['日本語日本語']], totalRows: 1, maxRows: 1, maxCellWidth: 5 });
  assert.ok(wide.includes(' 日本…\r\n'));
  const lines = renderTable({ columns: one(), rows: [['ab\ncd\nef']], totalRows: 1, maxRows: 1, maxCellWidth: 5 });
  assert.ok(lines.includes(' ab+\r\n c…\r\n'));
});

test('the default cap is 200 columns, and headers are capped too', () => {
  const out = renderTable({ columns: [{ name: 'h'.repeat(300), align: 'left' }], rows: [['y'.repeat(300)]], totalRows: 1, maxRows: 1 });
  const [header, ruler, row] = out.split('\r\n');
  assert.equal(header, ` ${'h'.repeat(199)}… `);
  assert.equal(ruler, '-'.repeat(202));
  assert.equal(row, ` ${'y'.repeat(199)}…`);
});

test('huge values and floods of zero-width marks cost no more than the cap', () => {
  const started = performance.now();
  const out = renderTable({
    columns: one(),
    rows: [['z'.repeat(20_000_000)], ['e' + '\u0301'.repeat(1_000_000)]],
    totalRows: 2,
    maxRows: 2,
    maxCellWidth: 10,
  });
  assert.ok(performance.now() - started < 1000);
  assert.ok(out.length < 200);
});

test('escape sequences and other controls in names and values are shown, not obeyed', () => {
  const out = renderTable({
    columns: [{ name: 'a\x1b[2Jb', align: 'left' }, { name: 'c', align: 'left' }],
    rows: [['\x1b]0;pwned\x07', '\u202eevil\u2066\x9b31m\r\x00']],
    totalRows: 1,
    maxRows: 1,
  });
  assert.equal(
    out,
    '    a\\x1B[2Jb     |                c                \r\n' +
      '------------------+---------------------------------\r\n' +
      ' \\x1B]0;pwned\\x07 | \\u202Eevil\\u2066\\u009B31m\\r\\x00\r\n' +
      '(1 row)\r\n' +
      '\r\n',
  );
});

// Characters that make tables interesting: wide, zero-width, controls, separators, bidi, surrogates.
const SPECIAL = [
  '\n', '\t', '\r', '\x1b', '\x00', '\x7f', '\x85', '\x9b', '|', '+', '-', ' ', '日', '😀', 'e\u0301', '\u200b',
  '\u202e', '\u2028', '\ud800', '\udc00', 'ｱ', '\u3000', '…',
];
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIAL, 'a', 'b', 'Z', '1'), maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
const table = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.record({
    columns: fc.array(fc.record({ name: text, align: fc.constantFrom('left' as const, 'right' as const) }), {
      minLength: n,
      maxLength: n,
    }),
    rows: fc.array(fc.array(fc.option(text), { minLength: n, maxLength: n }), { maxLength: 5 }),
    maxCellWidth: fc.integer({ min: 1, max: 30 }),
  }),
);

// The character starting at display column `col` of `line`; undefined when a wide character straddles it.
function columnAt(line: string, col: number): string | undefined {
  let at = 0;
  for (const ch of line) {
    if (at === col) return ch;
    at += displayWidth(ch);
    if (at > col) return undefined;
  }
  return undefined;
}

test('property: no line is wider than the ruler, separators line up, headers fill the width', () => {
  fc.assert(
    fc.property(table, (t) => {
      const out = renderTable({ ...t, totalRows: t.rows.length, maxRows: 10 });
      const lines = out.split('\r\n');
      assert.deepEqual(lines.slice(-2), ['', '']);
      const body = lines.slice(0, -3); // footer, blank line, and what follows the last "\r\n"
      const rulerAt = body.findIndex((l) => l.startsWith('-'));
      const ruler = body[rulerAt]!;
      assert.match(ruler, /^-[-+]*-$/);
      const width = ruler.length;
      const seps = [...ruler].flatMap((c, i) => (c === '+' ? [i] : []));
      assert.equal(seps.length, t.columns.length - 1);
      for (const [i, line] of body.entries()) {
        if (i === rulerAt) continue;
        const w = displayWidth(line);
        if (i < rulerAt) assert.equal(w, width, `header line ${JSON.stringify(line)}`);
        else assert.ok(w <= width, `line ${JSON.stringify(line)} wider than ${width}`);
        for (const s of seps) assert.equal(columnAt(line, s), '|', `line ${JSON.stringify(line)} at ${s}`);
      }
    }),
  );
});

const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('property: output holds no control character but its "\\r\\n" line ends', () => {
  fc.assert(
    fc.property(table, (t) => {
      const out = renderTable({ ...t, totalRows: t.rows.length + 3, maxRows: 10 });
      assert.ok(out.endsWith('\r\n'));
      for (const line of out.split('\r\n')) assert.doesNotMatch(line, UNSAFE);
      assert.doesNotMatch(out, /\t/);
    }),
  );
});
