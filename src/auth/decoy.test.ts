import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UserConfig } from '../config/index.js';
import { decoyPath, loginPath } from './decoy.js';

const secret = Buffer.alloc(32, 7);
const user = (name: string, password: boolean, scram: boolean): UserConfig => ({
  name,
  password: password ? '$argon2id$...' : null,
  scram: scram ? 'SCRAM-SHA-256$...' : null,
  mysqlNative: null,
  rdpNtHash: null,
  sshKeys: [],
  targets: ['*'],
});
const pathOf = (u: UserConfig): 'cleartext' | 'sasl' | null => (u.scram ? 'sasl' : u.password ? 'cleartext' : null);

test('a name that takes no real path gets one that real users take, stable for the name', () => {
  const users = [user('a', true, false), user('b', true, true), user('c', false, false)];
  const names = Array.from({ length: 400 }, (_, i) => `nobody${i}`);
  const paths = names.map((n) => decoyPath(secret, n, users, pathOf, 'sasl'));
  assert.deepEqual(paths, names.map((n) => decoyPath(secret, n, users, pathOf, 'sasl')), 'the same path each time');
  const cleartext = paths.filter((p) => p === 'cleartext').length;
  // Half the users with a path take each one: so do about half the unknown names.
  assert.ok(cleartext > 140 && cleartext < 260, `${cleartext} of 400`);
  assert.equal(loginPath(users[2], pathOf, { secret, loginName: 'c', users, fallback: 'sasl' }).real, false);
  assert.deepEqual(loginPath(users[0], pathOf, { secret, loginName: 'a', users, fallback: 'sasl' }), { path: 'cleartext', real: true });
});

test('with one path in use, every unknown name takes it; with none, the fallback', () => {
  const allScram = [user('a', true, true), user('b', false, true)];
  for (let i = 0; i < 50; i++) assert.equal(decoyPath(secret, `x${i}`, allScram, pathOf, 'cleartext'), 'sasl');
  assert.equal(decoyPath(secret, 'x', [user('c', false, false)], pathOf, 'sasl'), 'sasl');
});
