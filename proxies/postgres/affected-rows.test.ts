import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { affectedRows } from './observer-reading.js';

/** What the tag says, read with regular expressions: trailing digits, after one of the counting commands. */
function byRegExp(tag: string): number {
  const m = /(\d+)$/.exec(tag);
  return m && /^(INSERT|UPDATE|DELETE|MERGE|SELECT|COPY|FETCH|MOVE) /.test(tag) ? Number(m[1]) : 0;
}

test('the rows of a command tag', () => {
  assert.equal(affectedRows('INSERT 0 5'), 5);
  assert.equal(affectedRows('UPDATE 3'), 3);
  assert.equal(affectedRows('SELECT 0'), 0);
  assert.equal(affectedRows('CREATE TABLE'), 0);
  assert.equal(affectedRows('COPY'), 0);
  assert.equal(affectedRows('BEGIN'), 0);
});

test('the rows of any tag are what the regular expressions read', () => {
  const word = fc.constantFrom('INSERT', 'UPDATE', 'DELETE', 'MERGE', 'SELECT', 'COPY', 'FETCH', 'MOVE', 'CREATE', 'INSERTS', 'select', '');
  const rest = fc.oneof(fc.string(), fc.stringMatching(/^[0-9 ]{0,12}$/), fc.constantFrom(' 0 1', ' 12', ' ', '1', ' 007', ' 1a', ' ١٢', ' 99999999999999999999999'));
  fc.assert(
    fc.property(word, rest, rest, (w, a, b) => {
      assert.equal(affectedRows(w + a + b), byRegExp(w + a + b));
    }),
    { numRuns: 5000 },
  );
});
