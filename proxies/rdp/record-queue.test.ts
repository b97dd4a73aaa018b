import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { RecordQueue } from './record-queue.js';

test('queued work runs after the current I/O turn, once each, in the order it was added', async () => {
  const ran: number[] = [];
  const q = new RecordQueue(() => assert.fail('nothing throws'));
  for (let i = 0; i < 5; i++) q.add(() => ran.push(i));
  assert.equal(ran.length, 0, 'nothing runs while the caller is still relaying');
  assert.equal(q.size, 5);
  await turn();
  assert.deepEqual(ran, [0, 1, 2, 3, 4]);
  assert.equal(q.size, 0);
  q.add(() => ran.push(5));
  await turn();
  await turn();
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5]);
});

test('drain runs what is queued at once, and the scheduled turn then finds nothing to repeat', async () => {
  const ran: string[] = [];
  const q = new RecordQueue(() => assert.fail('nothing throws'));
  q.add(() => ran.push('a'));
  q.add(() => ran.push('b'));
  q.drain();
  assert.deepEqual(ran, ['a', 'b']);
  await turn();
  assert.deepEqual(ran, ['a', 'b']);
});

test('work that throws is reported and the rest still runs; a drain from the report goes on where it was', async () => {
  const ran: string[] = [];
  const errors: string[] = [];
  const q = new RecordQueue((err) => {
    errors.push((err as Error).message);
    q.drain();
  });
  q.add(() => ran.push('before'));
  q.add(() => {
    throw new Error('bad bitmap');
  });
  q.add(() => ran.push('after'));
  q.add(() => ran.push('last'));
  await turn();
  assert.deepEqual(errors, ['bad bitmap']);
  assert.deepEqual(ran, ['before', 'after', 'last'], 'each piece once, in order');
  assert.equal(q.size, 0);
});

test('work added while draining runs in the same pass', () => {
  const ran: string[] = [];
  const q = new RecordQueue(() => assert.fail('nothing throws'));
  q.add(() => {
    ran.push('first');
    q.add(() => ran.push('added'));
  });
  q.drain();
  assert.deepEqual(ran, ['first', 'added']);
});

const busy = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

test('a long backlog is recorded in slices with I/O in between, all of it, in order', async () => {
  const ran: number[] = [];
  const q = new RecordQueue(() => assert.fail('nothing throws'), { sliceMs: 5 });
  for (let i = 0; i < 20; i++) q.add(() => (busy(1), ran.push(i)));
  // What another read would do meanwhile: it must get a turn before the backlog is through.
  let readAt = -1;
  setImmediate(() => setImmediate(() => (readAt = ran.length)));
  while (q.size > 0) await turn();
  assert.deepEqual(ran, Array.from({ length: 20 }, (_, i) => i));
  assert.ok(readAt > 0 && readAt < 20, `a turn of the event loop came between slices (after ${readAt} of 20)`);
});

test('past maxBytes waiting the queue is backlogged; whenDrained calls back once it is not', async () => {
  const q = new RecordQueue(() => assert.fail('nothing throws'), { sliceMs: 1, maxBytes: 1000 });
  let resumed = 0;
  q.whenDrained(() => resumed++);
  assert.equal(resumed, 1, 'not backlogged: at once');
  for (let i = 0; i < 10; i++) q.add(() => busy(0.5), 300);
  assert.ok(q.backlogged, '3000 bytes waiting');
  q.whenDrained(() => resumed++);
  assert.equal(resumed, 1, 'held while backlogged');
  while (q.backlogged) await turn();
  assert.equal(resumed, 2, 'called back when the backlog fell to maxBytes');
  q.drain();
  assert.equal(q.size, 0);
  assert.equal(q.backlogged, false);
});
