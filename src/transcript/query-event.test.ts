import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_PARAMS, MAX_PARAM_BYTES, MAX_TEXT_BYTES, cutUtf8, queryEvent } from './query-event.js';

test('a query event carries only the fields given', () => {
  assert.deepEqual(queryEvent({ text: 'select 1', durationMs: 1.23456 }), { type: 'query', text: 'select 1', durationMs: 1.235 });
  const full = queryEvent({
    text: 'insert into t values ($1, $2)',
    params: ['42', null],
    durationMs: 3,
    rows: 1,
    tag: 'INSERT 0 1',
    database: 'app',
  });
  assert.deepEqual(full, {
    type: 'query',
    database: 'app',
    text: 'insert into t values ($1, $2)',
    params: ['42', null],
    durationMs: 3,
    rows: 1,
    tag: 'INSERT 0 1',
  });
  assert.deepEqual(queryEvent({ text: 'x', durationMs: -1, error: { message: 'syntax error' } }), {
    type: 'query',
    text: 'x',
    durationMs: 0,
    error: { message: 'syntax error' },
  });
  assert.deepEqual(queryEvent({ text: 'x', durationMs: NaN, error: { code: '42601', message: 'e' }, truncated: false }), {
    type: 'query',
    text: 'x',
    durationMs: 0,
    error: { code: '42601', message: 'e' },
  });
});

test('text is cut at 64 KiB of UTF-8 on a character boundary and marked truncated', () => {
  const e = queryEvent({ text: 'é'.repeat(40000), durationMs: 1 });
  assert.equal(e.truncated, true);
  assert.equal(new TextEncoder().encode(e.text).length, MAX_TEXT_BYTES);
  assert.equal(e.text, 'é'.repeat(MAX_TEXT_BYTES / 2));
  assert.deepEqual(cutUtf8('a😀😀', 4), { text: 'a', cut: true });
  assert.deepEqual(cutUtf8('a😀😀', 6), { text: 'a😀', cut: true });
  assert.deepEqual(cutUtf8('a😀😀', 9), { text: 'a😀😀', cut: false });
  assert.equal(queryEvent({ text: 'select 1', durationMs: 1, truncated: true }).truncated, true);
  assert.equal('truncated' in queryEvent({ text: 'x'.repeat(MAX_TEXT_BYTES), durationMs: 1 }), false);
});

test('params are capped at 64 entries of 1 KiB each', () => {
  const e = queryEvent({ text: 'x', params: Array.from({ length: 100 }, (_, i) => (i === 1 ? 'y'.repeat(5000) : null)), durationMs: 0 });
  assert.equal(e.params?.length, MAX_PARAMS);
  assert.equal(e.params?.[1], 'y'.repeat(MAX_PARAM_BYTES));
  assert.equal(e.paramCount, 100);
  assert.equal(e.truncated, true);
  const small = queryEvent({ text: 'x', params: ['a'.repeat(MAX_PARAM_BYTES)], durationMs: 0 });
  assert.equal('paramCount' in small || 'truncated' in small, false);
});

test('property: events have no undefined fields and survive JSON', () => {
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  fc.assert(
    fc.property(
      fc.record({
        text: fc.string({ unit: 'binary' }),
        params: opt(fc.array(fc.option(fc.string()))),
        durationMs: fc.double(),
        rows: opt(fc.integer()),
        tag: opt(fc.string()),
        error: opt(fc.record({ code: opt(fc.string()), message: fc.string() })),
        truncated: opt(fc.boolean()),
        database: opt(fc.string()),
      }),
      (q) => {
        const e = queryEvent(q);
        const walk = (v: unknown): void => {
          assert.notEqual(v, undefined);
          if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x);
        };
        walk(e);
        assert.equal(e.type, 'query');
        assert.ok(Number.isFinite(e.durationMs) && e.durationMs >= 0);
        assert.deepEqual(JSON.parse(JSON.stringify(e)).type, 'query');
      },
    ),
  );
});
