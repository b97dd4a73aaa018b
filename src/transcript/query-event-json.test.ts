import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { INTERRUPTED, jsonMillis, MAX_PARAMS, queryEvent, queryEventJson, type QueryInput } from './query-event.js';

// Strings of every kind JSON escapes or keeps: quotes, backslashes, controls, DEL, C1, U+2028, astral, lone surrogates.
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\r', '\t', '\b', '\f', '\0', '\x1f', '\x7f', '\x85', '\u2028', '\ud800', '\udc00', '😀', 'a', ' ', '/') }),
);
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, -Infinity));

const input: fc.Arbitrary<QueryInput> = fc.record(
  {
    text,
    params: fc.array(fc.option(text), { maxLength: MAX_PARAMS + 3 }),
    durationMs: number,
    rows: number,
    tag: text,
    error: fc.record({ code: text, message: text }, { requiredKeys: ['message'] }),
    truncated: fc.boolean(),
    database: text,
  },
  { requiredKeys: ['text', 'durationMs'] },
);

test('a query event as JSON is what JSON.stringify gives, byte for byte', () => {
  fc.assert(
    fc.property(input, (q) => {
      const e = queryEvent(q);
      assert.equal(queryEventJson(e), JSON.stringify(e));
    }),
    { numRuns: 2000 },
  );
});

test('the query events the observers build, as JSON', () => {
  const events = [
    queryEvent({ text: 'SELECT 1;', durationMs: 0, rows: 1, tag: 'SELECT 1', database: 'app' }),
    queryEvent({ text: 'SELECT c FROM t WHERE id=?', params: ['42', null], durationMs: 1.5, rows: 0 }),
    queryEvent({ text: 'x', durationMs: 3, rows: 0, error: { code: '42601', message: 'syntax error at "x"' }, truncated: true }),
    queryEvent({ text: 'y', durationMs: 3, error: { message: INTERRUPTED } }),
    queryEvent({ text: 'z', params: Array.from({ length: MAX_PARAMS + 1 }, String), durationMs: 0 }),
  ];
  for (const e of events) assert.equal(queryEventJson(e), JSON.stringify(e));
});

test('a duration is written as String() writes it: every microsecond of the first two seconds, and at random up to 35 years', () => {
  for (let us = 0; us <= 2_000_000; us++) {
    const ms = us / 1000;
    if (jsonMillis(ms) !== String(ms)) assert.equal(jsonMillis(ms), String(ms), `${us} µs`);
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 * 1000 }), (us) => {
      const ms = queryEvent({ text: 'x', durationMs: us / 1000 }).durationMs;
      assert.equal(jsonMillis(ms), String(ms));
    }),
    { numRuns: 20000 },
  );
  // Not a whole number of microseconds, or past the range: String()'s own.
  for (const n of [0.0001, 1 / 3, 2 ** 40, 2 ** 52 + 0.5, 1e21, 1e-7, NaN, Infinity]) assert.equal(jsonMillis(n), Number.isFinite(n) ? String(n) : 'null');
});
