/** The per-turn observation scheduler: once per relay, after the turn, in the order queued. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { observeLater, type Observable } from './observe-later.js';

function relay(name: string, log: string[], then?: () => void): Observable {
  return {
    awaitingObservation: false,
    observePending: () => {
      log.push(name);
      then?.();
    },
  };
}

test('relays queued during a turn are observed after it, once each, in the order first queued', async () => {
  const log: string[] = [];
  const a = relay('a', log);
  const b = relay('b', log);
  observeLater(a);
  observeLater(b);
  observeLater(a);
  log.push('turn done');
  await nextTurn();
  assert.deepEqual(log, ['turn done', 'a', 'b']);
  // The next turn schedules afresh.
  observeLater(b);
  await nextTurn();
  assert.deepEqual(log, ['turn done', 'a', 'b', 'b']);
});

test('a relay queued while others are observed is observed in the same pass', async () => {
  const log: string[] = [];
  const c = relay('c', log);
  const a = relay('a', log, () => observeLater(c));
  observeLater(a);
  observeLater(relay('b', log));
  await nextTurn();
  assert.deepEqual(log, ['a', 'b', 'c']);
});

test('a relay that queues itself while it is observed is observed again in the same pass', async () => {
  const log: string[] = [];
  let again = true;
  const a: Observable = relay('a', log, () => {
    if (again) observeLater(a);
    again = false;
  });
  observeLater(a);
  await nextTurn();
  assert.deepEqual(log, ['a', 'a']);
  assert.equal(a.awaitingObservation, false);
});
