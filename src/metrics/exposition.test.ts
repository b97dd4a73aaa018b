/**
 * The exposition writer, read back with the strict text-format parser a
 * scraper stands in for: counters, gauges, histograms, escaping of any
 * label value and help text (fuzzed), and the declarations it refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fc from 'fast-check';
import { parseExposition, sampleValue } from '../../test/fixtures/prom-text.js';
import { Registry } from './exposition.js';

test('counters, gauges and a histogram render as the text format and parse back', () => {
  const r = new Registry();
  const started = r.counter('recgate_sessions_started_total', 'Sessions opened.', ['protocol']);
  const live = r.gauge('recgate_sessions_live', 'Sessions running now.', ['protocol']);
  const latency = r.histogram('recgate_store_write_seconds', 'Store write latency.', ['op'], [0.001, 0.01, 0.1]);
  const plain = r.counter('recgate_plain_total', 'No labels.');
  started.inc({ protocol: 'ssh' });
  started.inc({ protocol: 'ssh' });
  started.inc({ protocol: 'postgres' }, 3);
  live.set(2, { protocol: 'ssh' });
  for (const v of [0.0005, 0.002, 0.002, 0.5]) latency.observe(v, { op: 'append' });
  const text = r.render();
  const families = parseExposition(text);
  assert.equal(families.get('recgate_sessions_started_total')?.type, 'counter');
  assert.equal(families.get('recgate_sessions_started_total')?.help, 'Sessions opened.');
  assert.equal(sampleValue(families, 'recgate_sessions_started_total', { protocol: 'ssh' }), 2);
  assert.equal(sampleValue(families, 'recgate_sessions_started_total', { protocol: 'postgres' }), 3);
  assert.equal(sampleValue(families, 'recgate_sessions_live', { protocol: 'ssh' }), 2);
  assert.equal(sampleValue(families, 'recgate_plain_total'), 0, 'a metric without labels shows 0 from the start');
  assert.equal(families.get('recgate_store_write_seconds')?.type, 'histogram');
  const bucket = (le: string): number | undefined => sampleValue(families, 'recgate_store_write_seconds_bucket', { op: 'append', le });
  assert.deepEqual([bucket('0.001'), bucket('0.01'), bucket('0.1'), bucket('+Inf')], [1, 3, 3, 4]);
  assert.equal(sampleValue(families, 'recgate_store_write_seconds_count', { op: 'append' }), 4);
  assert.ok(Math.abs(sampleValue(families, 'recgate_store_write_seconds_sum', { op: 'append' })! - 0.5045) < 1e-9);
  assert.match(text, /^# HELP recgate_sessions_started_total Sessions opened\.\n# TYPE recgate_sessions_started_total counter\nrecgate_sessions_started_total\{protocol="ssh"\} 2\n/);
});

test('any label value and help text survive escaping', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (value, help) => {
      const r = new Registry();
      r.gauge('g', help, ['v']).set(1, { v: value });
      const families = parseExposition(r.render());
      assert.equal(families.get('g')?.help, help);
      assert.equal(families.get('g')?.samples[0]?.labels['v'], value);
    }),
    { numRuns: 300 },
  );
});

test('a mirrored total never goes down, and inc refuses a negative step', () => {
  const r = new Registry();
  const c = r.counter('spooled_total', 'Counted by the store.');
  c.mirror(5);
  c.mirror(3);
  assert.equal(c.get(), 5);
  assert.throws(() => c.inc(undefined, -1), /only goes up/);
});

test('collectors run before each render', () => {
  const r = new Registry();
  const g = r.gauge('now_live', 'Set at scrape time.', ['protocol']);
  let n = 0;
  r.onCollect(() => {
    g.reset();
    g.set(++n, { protocol: 'ssh' });
  });
  assert.equal(sampleValue(parseExposition(r.render()), 'now_live', { protocol: 'ssh' }), 1);
  assert.equal(sampleValue(parseExposition(r.render()), 'now_live', { protocol: 'ssh' }), 2);
});

test('bad names, missing or extra labels and a name given twice are refused', () => {
  const r = new Registry();
  assert.throws(() => r.counter('1bad', 'x'), /invalid metric name/);
  assert.throws(() => r.counter('ok_total', 'x', ['__reserved']), /invalid label name/);
  assert.throws(() => r.histogram('h', 'x', ['le'], [1]), /invalid label name/);
  assert.throws(() => r.histogram('h2', 'x', [], [2, 1]), /increasing/);
  const c = r.counter('c_total', 'x', ['protocol']);
  assert.throws(() => c.inc(), /takes labels/);
  assert.throws(() => c.inc({ protocol: 'ssh', user: 'alice' }), /takes labels/);
  assert.throws(() => r.gauge('c_total', 'again'), /declared twice/);
});
