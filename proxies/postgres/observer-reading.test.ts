/** A Query's text read where it lies is the text read from a Buffer of its own, whatever the bytes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { queryText, queryTextAt } from './observer-reading.js';

test('a Query read in place gives the text queryText gives, however malformed the body', () => {
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 60 }),
    fc.string({ maxLength: 60 }).map((t) => Buffer.from(`${t}\0`)),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map((t) => Buffer.from(`${t}\0`)),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 8 }), body, fc.uint8Array({ maxLength: 8 }), (before, b, after) => {
      const bytes = Buffer.concat([before, b, after]);
      assert.equal(queryTextAt(bytes, before.length, before.length + b.length), queryText(Buffer.from(b)));
    }),
    { numRuns: 2000 },
  );
});
