import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RETRY_WINDOW_MS, TlsRetries } from './retries.js';

const key = { protocol: 'postgres', address: '192.0.2.7', loginName: 'alice+pg01' };

test("libpq's plain-text retry of a failed TLS login is a repeat, once", () => {
  let now = 1000;
  const r = new TlsRetries(RETRY_WINDOW_MS, () => now);
  assert.equal(r.isRepeat(key, true), false);
  now += 20;
  assert.equal(r.isRepeat(key, false), true);
  // The next plain failure is a new guess.
  assert.equal(r.isRepeat(key, false), false);
});

test('other shapes are counted: too late, another name, address or protocol, TLS twice, plain first', () => {
  let now = 0;
  const r = new TlsRetries(RETRY_WINDOW_MS, () => now);
  r.isRepeat(key, true);
  now += RETRY_WINDOW_MS + 1;
  assert.equal(r.isRepeat(key, false), false, 'too late');
  r.isRepeat(key, true);
  assert.equal(r.isRepeat({ ...key, loginName: 'bob+pg01' }, false), false);
  assert.equal(r.isRepeat({ ...key, address: '192.0.2.8' }, false), false);
  assert.equal(r.isRepeat({ ...key, protocol: 'mysql' }, false), false);
  assert.equal(r.isRepeat(key, true), false, 'a second TLS failure is a guess');
  const fresh = new TlsRetries(RETRY_WINDOW_MS, () => now);
  assert.equal(fresh.isRepeat(key, false), false);
  assert.equal(fresh.isRepeat(key, true), false);
});
