import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Cell, cellLines, charWidth, formatCell as formatCellAsIs, formatCellBytes as formatCellBytesAsIs, safeLine, safeLines } from './display.js';

/** A cell's lines, whichever form it came in (a string is one line of printable ASCII). */
const formatCell = (value: string | null, cap?: number) => cellLines(formatCellAsIs(value, cap));
const formatCellBytes = (b: Buffer, start: number, end: number, cap?: number) => {
  const cell: Cell | undefined = formatCellBytesAsIs(b, start, end, cap);
  return cell === undefined ? undefined : cellLines(cell);
};

test('code point widths agree with psql 15', () => {
  // Widths psql 15.20 gave these code points in a table column.
  const psql: [number, number][] = [
    [0x41, 1], [0xad, 1], [0xe9, 1], [0x301, 0], [0x488, 0], [0x9ff, 0], [0xa00, 0], [0x61c, 1], [0x1100, 2],
    [0x1160, 1], [0x200b, 1], [0x2026, 1], [0x2600, 1], [0x3000, 2], [0x303f, 1], [0x4dbf, 2], [0x9fff, 2],
    [0xac00, 2], [0xd7a3, 2], [0xfa6e, 2], [0xfe00, 0], [0xfe10, 2], [0xfeff, 1], [0xff71, 1], [0x16fe0, 2],
    [0x1b001, 2], [0x1f300, 2], [0x1f600, 2], [0x1f6d8, 1], [0x2a6e0, 2], [0x3fffd, 2], [0xe0001, 1],
  ];
  for (const [cp, width] of psql) assert.equal(charWidth(cp), width, `U+${cp.toString(16)}`);
  assert.equal(charWidth(0x1b), -1);
  assert.equal(charWidth(0x85), -1);
});

test('cells: psql escapes, tabs to the next multiple of 8, lines split at newlines', () => {
  assert.deepEqual(formatCell('a\tb\x1b\r\x7f\x85'), [{ text: 'a       b\\x1B\\r\\x7F\\u0085', width: 25 }]);
  assert.deepEqual(formatCell('x\ny\tz'), [
    { text: 'x', width: 1 },
    { text: 'y       z', width: 9 },
  ]);
  assert.deepEqual(formatCell(null), [{ text: '', width: 0 }]);
  assert.deepEqual(formatCell('日本'), [{ text: '日本', width: 4 }]);
});

test('cells: cut with an ellipsis, never wider than the cap, idempotent at the cap', () => {
  assert.deepEqual(formatCell('abcdef', 4), [{ text: 'abc…', width: 4 }]);
  assert.deepEqual(formatCell('abcd', 4), [{ text: 'abcd', width: 4 }]);
  assert.deepEqual(formatCell('ab\x1bcd', 4), [{ text: 'ab…', width: 3 }]);
  assert.deepEqual(formatCell('a日本', 4), [{ text: 'a日…', width: 4 }]);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (s, cap) => {
      const lines = formatCell(s, cap);
      const used = lines.reduce((n, l) => n + l.width, 0) + lines.length - 1;
      assert.ok(used <= cap);
    }),
  );
});

test('cells of printable ASCII within the cap are their own text, with no array or object around it', () => {
  assert.equal(formatCellAsIs('hello'), 'hello');
  assert.equal(formatCellAsIs(null), '');
  assert.equal(formatCellBytesAsIs(Buffer.from('xxhelloyy'), 2, 7), 'hello');
  assert.equal(typeof formatCellAsIs('abcdef', 4), 'object', 'a cut cell has its ellipsis: not ASCII');
  assert.equal(typeof formatCellAsIs('x\ny'), 'object');
});

test('safe lines: bidirectional controls, line separators and lone surrogates are escaped too', () => {
  assert.equal(safeLine('a\u202eb\u2066c\u2028d\ud800e'), 'a\\u202Eb\\u2066c\\u2028d\\uD800e');
  assert.equal(safeLine('😀 ok'), '😀 ok');
  assert.equal(safeLine('a\tb'), 'a\\x09b');
  assert.equal(safeLine('a\tb', true), 'a\tb');
  assert.deepEqual(safeLines('a\r\nb\nc\rd'), ['a', 'b', 'c\\rd']);
});

test('cells from bytes: printable ASCII within the cap as formatCell lays it out, anything else left to the caller', () => {
  const b = Buffer.from('xxhello worldyy');
  assert.deepEqual(formatCellBytes(b, 2, 13), [{ text: 'hello world', width: 11 }]);
  assert.deepEqual(formatCellBytes(b, 2, 2), formatCell(''));
  assert.equal(formatCellBytes(b, 2, 13, 10), undefined);
  assert.equal(formatCellBytes(Buffer.from('a\x1bb'), 0, 3), undefined);
  assert.equal(formatCellBytes(Buffer.from('né'), 0, 3), undefined);
  assert.equal(formatCellBytes(b, 2, b.length + 1), undefined, 'past the end: left to the caller');
  assert.equal(formatCellBytes(b, 3, 2), undefined, 'backwards');
  assert.deepEqual(formatCellBytes(b.subarray(2), 0, 5), [{ text: 'hello', width: 5 }], 'a view');
  // Random bytes are seldom all printable: half the cases are printable ASCII, which must take the fast path.
  const printable = fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 50 }).map((a) => Uint8Array.from(a));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 50 }), printable), fc.integer({ min: 1, max: 40 }), fc.nat(50), (bytes, cap, from) => {
      const buf = Buffer.from(bytes);
      const start = Math.min(from, buf.length);
      const cell = formatCellBytes(buf, start, buf.length, cap);
      const fast = buf.subarray(start).every((c) => c >= 0x20 && c <= 0x7e) && buf.length - start <= cap;
      assert.equal(cell !== undefined, fast);
      if (cell !== undefined) assert.deepEqual(cell, formatCell(buf.toString('utf8', start), cap));
    }),
  );
});
