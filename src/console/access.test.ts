import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ConsoleAccount } from '../config/index.js';
import { hasRight, maySee, visibilityFilter } from './access.js';
import { decodeCursor, encodeCursor } from './routes-recordings.js';
import { SessionTable } from './sessions.js';

const account = (role: ConsoleAccount['role'], users: string[] = [], targets: string[] = []): ConsoleAccount => ({
  name: 'x',
  password: '',
  role,
  recipient: 'officer',
  users,
  targets,
});

test('auditors see what both their users and targets lists allow; officers and admins see all', () => {
  const a = account('auditor', ['alice'], ['web01', 'web02']);
  assert.equal(maySee(a, { user: 'alice', target: 'web01' }), true);
  assert.equal(maySee(a, { user: 'bob', target: 'web01' }), false);
  assert.equal(maySee(a, { user: 'alice', target: 'db01' }), false);
  assert.equal(maySee(account('auditor', ['*']), { user: 'bob', target: 'db01' }), true);
  assert.deepEqual(visibilityFilter(a), { users: ['alice'], targets: ['web01', 'web02'] });
  assert.deepEqual(visibilityFilter(account('auditor', ['*'], ['web01'])), { targets: ['web01'] });
  for (const role of ['officer', 'admin'] as const) {
    assert.equal(maySee(account(role), { user: 'bob', target: 'db01' }), true);
    assert.deepEqual(visibilityFilter(account(role)), {});
  }
  assert.equal(hasRight(account('auditor', ['*']), 'audit-log'), false);
  assert.equal(hasRight(account('officer'), 'audit-log'), false);
  assert.equal(hasRight(account('admin'), 'audit-log'), true);
});

test('paging cursors round-trip and anything else is refused, never thrown', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (startedAt, id) => {
      assert.deepEqual(decodeCursor(encodeCursor({ startedAt, id })), { startedAt, id });
    }),
  );
  fc.assert(
    fc.property(fc.string(), (text) => {
      const c = decodeCursor(text);
      assert.ok(c === null || (typeof c.startedAt === 'string' && typeof c.id === 'string'));
    }),
  );
});

test('sessions end on sign-out and after the idle time; ids and CSRF tokens are unguessable and distinct', () => {
  let now = 0;
  const table = new SessionTable(() => 1000, () => now);
  const a = table.create('audrey');
  const b = table.create('audrey');
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.csrf, a.id);
  assert.ok(Buffer.from(a.id, 'base64url').length >= 32);
  now = 900;
  assert.equal(table.get(a.id), a, 'activity keeps it alive');
  now = 1800;
  assert.equal(table.get(a.id), a);
  now = 2801;
  assert.equal(table.get(a.id), undefined, 'idle too long');
  assert.equal(table.get(b.id), undefined);
  const c = table.create('ada');
  table.end(c.id);
  assert.equal(table.get(c.id), undefined);
  assert.equal(table.get(undefined), undefined);
});
