import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PreLoginGuard, type Eviction } from './guard.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('caps connections before login per address and in all', () => {
  const guard = new PreLoginGuard({ maxTotal: 4, maxPerAddress: 2, graceMs: 60_000 });
  const a1 = guard.enter('a', () => undefined);
  const a2 = guard.enter('a', () => undefined);
  assert.ok(a1 && a2);
  assert.equal(guard.enter('a', () => undefined), null, 'a third from one address is refused');
  a1.loggedIn();
  assert.ok(guard.enter('a', () => undefined), 'a place freed by a login is taken again');
  assert.ok(guard.enter('b', () => undefined));
  assert.ok(guard.enter('b', () => undefined));
  assert.equal(guard.size, 4);
  assert.equal(guard.enter('b', () => undefined), null);
});

test('a full guard makes room for a quieter address at the busiest one\'s expense', () => {
  const guard = new PreLoginGuard({ maxTotal: 4, maxPerAddress: 4, graceMs: 60_000 });
  const closed: string[] = [];
  for (let i = 0; i < 4; i++) assert.ok(guard.enter('flood', (why) => closed.push(`flood${i}:${why}`)));
  const quiet = guard.enter('quiet', () => closed.push('quiet'));
  assert.ok(quiet, 'the newcomer gets in');
  assert.deepEqual(closed, ['flood0:displaced'], 'the flooder\'s oldest connection goes');
  assert.equal(guard.size, 4);
  assert.ok(guard.enter('quiet', () => undefined), 'still quieter than the flooder');
  assert.equal(guard.enter('flood', () => undefined), null, 'the flooder cannot displace anyone');
});

test('a connection that has not logged in within the grace time is closed', async () => {
  const guard = new PreLoginGuard({ maxTotal: 10, maxPerAddress: 10, graceMs: 50 });
  const why: Eviction[] = [];
  guard.enter('a', (w) => why.push(w));
  const logged = guard.enter('a', (w) => why.push(w));
  logged!.loggedIn();
  await sleep(120);
  assert.deepEqual(why, ['grace-expired']);
  assert.equal(guard.size, 0);
});
