import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { GatewayError } from '../errors.js';
import { activeLocks, findLock, formatLocks, LockStore, parseLockDuration, parseLocks, withLock, withoutLocks, type Lock } from './locks.js';
import { lockedMessage } from './refusal.js';

const T0 = Date.parse('2026-12-03T05:00:00.000Z');
const lock = (over: Partial<Lock> = {}): Lock => ({
  user: 'alice',
  scope: 'target',
  target: 'pg01',
  until: new Date(T0 + 15 * 60_000).toISOString(),
  message: 'audit',
  by: 'root',
  at: new Date(T0).toISOString(),
  ...over,
});

test('lock durations: the forms operators write, in milliseconds; zero, nonsense and over a year refused', () => {
  assert.equal(parseLockDuration('15m'), 900_000);
  assert.equal(parseLockDuration('1h30m'), 5_400_000);
  assert.equal(parseLockDuration('2d'), 172_800_000);
  assert.equal(parseLockDuration('90s'), 90_000);
  assert.throws(() => parseLockDuration('0m'), /must be longer than zero/);
  assert.throws(() => parseLockDuration('soon'), /"soon" is not a duration \(use 15m, 2h, 1d or 1h30m\)/);
  assert.throws(() => parseLockDuration('-5m'), /is not a duration/);
  assert.throws(() => parseLockDuration('400d'), /longer than a year/);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 525_600 }), (minutes) => parseLockDuration(`${minutes}m`) === minutes * 60_000),
  );
});

test('a target lock holds on its target only; a gateway lock on every target; neither on other people', () => {
  const locks = [lock(), lock({ user: 'bob', scope: 'gateway', target: undefined, message: 'off' })];
  assert.equal(findLock(locks, 'alice', 'pg01', T0)?.message, 'audit');
  assert.equal(findLock(locks, 'alice', 'pg02', T0), undefined);
  assert.equal(findLock(locks, 'bob', 'anything', T0)?.message, 'off');
  assert.equal(findLock(locks, 'carol', 'pg01', T0), undefined);
});

test('an expired lock is ignored, and dropped when locks are written', () => {
  const old = lock({ until: new Date(T0 - 1).toISOString() });
  assert.equal(findLock([old], 'alice', 'pg01', T0), undefined);
  assert.deepEqual(activeLocks([old], T0), []);
  assert.deepEqual(withLock([old], lock({ user: 'bob' }), T0).map((l) => l.user), ['bob']);
  const atTheSecond = lock({ until: new Date(T0).toISOString() });
  assert.equal(findLock([atTheSecond], 'alice', 'pg01', T0), undefined, 'a lock ends at its until-time');
});

test('a gateway lock wins over a target lock; a new lock on the same place replaces the old', () => {
  const both = [lock(), lock({ scope: 'gateway', target: undefined, message: 'everywhere' })];
  assert.equal(findLock(both, 'alice', 'pg01', T0)?.message, 'everywhere');
  const replaced = withLock([lock()], lock({ message: 'again' }), T0);
  assert.deepEqual(replaced.map((l) => l.message), ['again']);
});

test('unlock with a target lifts that one only; without, every lock of the person', () => {
  const locks = [lock(), lock({ target: 'pg02' }), lock({ scope: 'gateway', target: undefined }), lock({ user: 'bob' })];
  const one = withoutLocks(locks, 'alice', 'pg01', T0);
  assert.deepEqual(one.lifted.map((l) => l.target), ['pg01']);
  assert.equal(one.locks.length, 3);
  const all = withoutLocks(locks, 'alice', undefined, T0);
  assert.equal(all.lifted.length, 3);
  assert.deepEqual(all.locks.map((l) => l.user), ['bob']);
});

test('the refusal says the operator\'s message, the place and the until-time in UTC', () => {
  assert.equal(lockedMessage(lock()), 'audit (locked out of pg01 until 2026-12-03 05:15 UTC)');
  assert.equal(lockedMessage(lock({ message: 'recgate: session terminated by an operator' })), 'session terminated by an operator (locked out of pg01 until 2026-12-03 05:15 UTC)');
  assert.equal(lockedMessage(lock({ scope: 'gateway', target: undefined, message: ' ' })), 'locked out by an operator (locked out of the gateway until 2026-12-03 05:15 UTC)');
});

test('a damaged locks file is an error naming the file and the field', () => {
  assert.throws(() => parseLocks('{', '/d/locks.json'), /^Error: \/d\/locks\.json: not JSON$|locks\.json: not JSON/);
  assert.throws(() => parseLocks('{"version":1,"locks":[{"user":"a","scope":"room"}]}', '/d/locks.json'), /\/d\/locks\.json: locks\.0\.scope: /);
  assert.throws(() => parseLocks('{"version":2,"locks":[]}', '/d/locks.json'), /version/);
});

test('the store: 0600 file, atomic replace, re-read only when the file changed, and another writer seen', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-locks-'));
  try {
    const store = LockStore.inDataDir(join(dir, 'data'));
    assert.deepEqual(await store.read(), [], 'no file: no locks');
    await store.add(lock(), T0);
    assert.equal((await stat(store.path)).mode & 0o777, 0o600);
    assert.equal((await store.find('alice', 'pg01', T0))?.message, 'audit');
    const first = await store.read();
    assert.equal(await store.read(), first, 'unchanged file: the cached list');
    // Another process (the CLI) lifts the lock: the next login sees it gone.
    const other = new LockStore(store.path);
    assert.equal((await other.remove('alice', undefined, T0)).length, 1);
    assert.equal(await store.find('alice', 'pg01', T0), undefined);
    assert.deepEqual(JSON.parse(await readFile(store.path, 'utf8')), { version: 1, locks: [] });
    await writeFile(store.path, 'garbage');
    await assert.rejects(store.read(), /locks\.json: not JSON/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('locks.json: what is written reads back the same; any other text is a clear error, never a crash', () => {
  const arbLock = fc.record({
    user: fc.string({ minLength: 1 }),
    scope: fc.constantFrom('target' as const, 'gateway' as const),
    target: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    until: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
    message: fc.string(),
    by: fc.string(),
    at: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  });
  fc.assert(
    fc.property(fc.array(arbLock, { maxLength: 5 }), (locks) => {
      const clean = locks.map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) as unknown as Lock);
      assert.deepEqual(parseLocks(formatLocks(clean), 'l.json'), clean);
    }),
  );
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      try {
        parseLocks(text, 'l.json');
      } catch (err) {
        assert.ok(err instanceof GatewayError, String(err));
        assert.match(err.message, /^l\.json: /);
      }
    }),
  );
});
