import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { INTERRUPTED, MAX_PARAMS, queryEvent, queryEventJson, type QueryInput } from './query-event.js';

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
