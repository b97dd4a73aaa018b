import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckpointClock, checkpointClock, PER_TURN } from './checkpoint-clock.js';

const GRID = 40;

/** Waits until the clock's grid step just began, so that tasks added now share their first step. */
async function stepStart(): Promise<void> {
  while (performance.now() % GRID > GRID / 4) await sleep(1);
}

test('tasks added apart but due at one grid point run in one callback, in the order added', async () => {
  const clock = new CheckpointClock(GRID);
  const ran: string[] = [];
  let between = false;
  await stepStart();
  const stopA = clock.every(10 * GRID, () => {
    ran.push('a');
    // Another timer's callback would see this microtask run first.
    queueMicrotask(() => (between = true));
  });
  const stopB = clock.every(10 * GRID, () => ran.push(between ? 'b after a microtask' : 'b'));
  await sleep(12 * GRID);
  stopA();
  stopB();
  assert.deepEqual(ran, ['a', 'b']);
});

test('more tasks due at one point than a callback runs go in the next turns, before later ones', async () => {
  const clock = new CheckpointClock(GRID);
  const callbacks: number[][] = [];
  let current: number[] | undefined;
  const run = (k: number) => (): void => {
    if (!current) {
      callbacks.push((current = []));
      // The callback ends before this microtask runs: the next task that runs starts a new group.
      queueMicrotask(() => (current = undefined));
    }
    current.push(k);
  };
  await stepStart();
  const stops = Array.from({ length: PER_TURN + 2 }, (_, k) => clock.every(10 * GRID, run(k)));
  await sleep(GRID);
  stops.push(clock.every(10 * GRID, run(99)));
  await sleep(11 * GRID);
  for (const stop of stops) stop();
  assert.deepEqual(callbacks, [
    Array.from({ length: PER_TURN }, (_, k) => k),
    [PER_TURN, PER_TURN + 1],
    [99],
  ]);
});

test('a task runs every interval on the grid, and not after it is stopped', async () => {
  const clock = new CheckpointClock(10);
  const times: number[] = [];
  const started = performance.now();
  const stop = clock.every(100, () => times.push(performance.now() - started));
  await sleep(360);
  stop();
  const count = times.length;
  await sleep(150);
  assert.equal(times.length, count, 'stopped');
  assert.ok(count === 3 || count === 4, `${count} runs in 360 ms`);
  for (let i = 1; i < times.length; i++) assert.ok(Math.abs(times[i]! - times[i - 1]! - 100) < 40, `run ${i} at ${times[i]} ms`);
});

test('tasks due at different points run at their own times, and a stopped one leaves the others alone', async () => {
  const clock = new CheckpointClock(10);
  const ran: string[] = [];
  const stopEarly = clock.every(60, () => ran.push('early'));
  await sleep(30);
  const stopLate = clock.every(60, () => ran.push('late'));
  await sleep(40);
  assert.deepEqual(ran, ['early']);
  stopEarly();
  await sleep(60);
  stopLate();
  assert.deepEqual(ran.filter((r) => r === 'early'), ['early']);
  assert.ok(ran.includes('late'));
});

test('a task that stops every task, in a callback late enough for several steps, ends the callback cleanly', async () => {
  let skew = 0;
  const clock = new CheckpointClock(10, () => performance.now() + skew);
  const ran: string[] = [];
  let stopLater = (): void => {};
  const stopFirst = clock.every(40, () => {
    ran.push('first');
    stopFirst();
    stopLater();
  });
  stopLater = clock.every(60, () => ran.push('later'));
  // The callback due for the first task comes when the later one is due too.
  skew = 100;
  await sleep(80);
  assert.deepEqual(ran, ['first']);
});

test('a task due later than a timer can wait neither runs nor makes the timer overflow', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.name);
  process.on('warning', onWarning);
  const clock = new CheckpointClock(100);
  let ran = 0;
  const stop = clock.every(40 * 24 * 3600 * 1000, () => ran++);
  await sleep(50);
  stop();
  process.off('warning', onWarning);
  assert.equal(ran, 0);
  assert.deepEqual(warnings, [], 'no TimeoutOverflowWarning (such a timer fires at once, again and again)');
});

test('the shared clocks: a tenth of a short interval, 100 ms for longer ones', () => {
  assert.equal(checkpointClock(10_000).grid, 100);
  assert.equal(checkpointClock(1_000).grid, 100);
  assert.equal(checkpointClock(200).grid, 20);
  assert.equal(checkpointClock(5).grid, 1);
  assert.equal(checkpointClock(10_000), checkpointClock(60_000), 'one clock for every interval on the same grid');
});
