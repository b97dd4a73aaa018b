import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureLimiter } from './limiter.js';

test('an attempt counts from its start: a burst beyond the limit is refused before any is checked', () => {
  const limiter = new FailureLimiter({ maxFailures: 10 });
  const started = Array.from({ length: 25 }, () => limiter.begin('10.0.0.1'));
  assert.equal(started.filter((a) => a !== null).length, 10);
  assert.equal(limiter.allowed('10.0.0.1'), false);
  assert.ok(limiter.begin('10.0.0.2'), 'another address is not affected');
  for (const a of started) a?.fail();
  assert.equal(limiter.begin('10.0.0.1'), null, 'ten failures block the address');
});

test('failures block an address until the window has passed since the last one; a success clears them', () => {
  let now = 0;
  const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000 }, () => now);
  assert.equal(limiter.begin('a')!.fail(), false);
  assert.equal(limiter.begin('a')!.fail(), false);
  assert.equal(limiter.begin('a')!.fail(), true, 'the third failure is the one that blocks');
  assert.equal(limiter.begin('a'), null);
  now = 1500;
  const ok = limiter.begin('a');
  assert.ok(ok);
  limiter.begin('a')!.fail();
  ok.succeed();
  limiter.begin('a')!.fail();
  limiter.begin('a')!.fail();
  assert.equal(limiter.allowed('a'), true, 'the success cleared the failure before it');
});

test('an attempt ends once; an abandoned one counts as a failure', () => {
  const limiter = new FailureLimiter({ maxFailures: 2 });
  const a = limiter.begin('x')!;
  a.fail();
  a.fail();
  a.succeed();
  assert.equal(limiter.allowed('x'), true, 'one failure, counted once');
  limiter.begin('x')!.abandon();
  assert.equal(limiter.allowed('x'), false);
});

test('memory stays bounded: the address seen longest ago with nothing under way is forgotten', () => {
  const limiter = new FailureLimiter({ maxFailures: 1, maxAddresses: 2 });
  const pending = limiter.begin('a')!;
  limiter.begin('b')!.fail();
  limiter.begin('c')!.fail();
  assert.equal(limiter.allowed('b'), true, 'b was forgotten');
  assert.equal(limiter.allowed('c'), false);
  assert.equal(limiter.allowed('a'), false, 'a, with an attempt under way, was kept');
  pending.fail();
});
