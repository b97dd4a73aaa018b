import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdleCuts } from './idle-cuts.js';

test('pauses longer than the cap are cut to it; the wait for the first picture goes whole', () => {
  const c = new IdleCuts(1000);
  for (const t of [500, 800, 5800, 6000]) c.change(t);
  c.end(10_000);
  assert.deepEqual(c.cuts, [[0, 500], [1800, 5800], [7000, 10_000]]);
  assert.equal(c.videoTime(10_000), 2500);
  assert.equal(c.recordingTime(0), 500);
  assert.equal(c.recordingTime(1300), 1800 + 4000);
  assert.equal(c.videoTime(3000), 1300);
  for (const vt of [0, 100, 1299, 1301, 2000, 2500]) assert.equal(c.videoTime(c.recordingTime(vt)), vt);
});

test('without a cap nothing is cut', () => {
  const c = new IdleCuts(Infinity);
  c.change(3000);
  c.end(60_000);
  assert.deepEqual(c.cuts, []);
  assert.equal(c.recordingTime(1234), 1234);
});
