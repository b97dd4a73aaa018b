import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msOf } from './seconds.js';

test('a time in whole milliseconds given as seconds comes back as those milliseconds', () => {
  // Plain `s * 1000` falls short for about one value in a hundred (5001 among them).
  assert.ok(Array.from({ length: 10_000 }, (_, t) => (t / 1000) * 1000 < t).some(Boolean));
  for (let t = 0; t < 200_000; t++) assert.equal(msOf(t / 1000), t);
  assert.equal(msOf(1.2345), 1234.5);
});
