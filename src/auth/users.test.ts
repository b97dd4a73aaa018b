import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config, UserConfig } from '../config/index.js';
import { defaultSodium } from '../seal/sodium.js';
import { hashPassword } from './passwords.js';
import { LoginRateLimiter } from './rate-limit.js';
import { checkPassword, hasSshKey, parseLoginName, route } from './users.js';

const s = defaultSodium();
const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIGZ1b2Jhcl9rZXlfZm9yX3Rlc3RzX29ubHlfMDAwMDAw';
const alice: UserConfig = { name: 'alice', password: hashPassword(s, 'pw'), scram: null, mysqlNative: null, sshKeys: [`ssh-ed25519 ${ED25519} alice@laptop`], targets: ['web01'] };
const root: UserConfig = { name: 'root', password: null, scram: null, mysqlNative: null, sshKeys: [], targets: ['*'] };
const config = {
  users: [alice, root],
  targets: [
    { name: 'web01', protocol: 'ssh' },
    { name: 'db01', protocol: 'postgres' },
    { name: 'web02', protocol: 'ssh' },
  ],
} as unknown as Config;

test('login names split at the first plus', () => {
  assert.deepEqual(parseLoginName('alice+web01'), { user: 'alice', target: 'web01' });
  assert.deepEqual(parseLoginName('alice+web+01'), { user: 'alice', target: 'web+01' });
  for (const bad of ['alice', '+web01', 'alice+', '']) assert.equal(parseLoginName(bad), null);
});

test('routing: unknown target, wrong protocol, not allowed, allowed, wildcard', () => {
  assert.deepEqual(route(config, alice, 'nope', 'ssh'), { ok: false, user: alice, why: 'unknown-target', target: 'nope' });
  assert.equal((route(config, alice, 'db01', 'ssh') as { why: string }).why, 'wrong-protocol');
  assert.equal((route(config, alice, 'web02', 'ssh') as { why: string }).why, 'not-allowed');
  assert.equal(route(config, alice, 'web01', 'ssh').ok, true);
  assert.equal(route(config, root, 'web02', 'ssh').ok, true);
});

test('passwords: right, wrong, and a user without a password or no user at all', async () => {
  assert.equal(await checkPassword(s, alice, 'pw'), true);
  assert.equal(await checkPassword(s, alice, 'pW'), false);
  assert.equal(await checkPassword(s, root, 'pw'), false);
  assert.equal(await checkPassword(s, undefined, 'pw'), false);
});

test('ssh keys match on algorithm and key data, not on the comment', () => {
  const blob = Buffer.from(ED25519, 'base64');
  assert.equal(hasSshKey(alice, 'ssh-ed25519', blob), true);
  assert.equal(hasSshKey(alice, 'ssh-rsa', blob), false);
  assert.equal(hasSshKey(alice, 'ssh-ed25519', Buffer.concat([blob, Buffer.of(0)])), false);
  assert.equal(hasSshKey(root, 'ssh-ed25519', blob), false);
});

test('failed logins block an address after the limit, until the window passes', () => {
  let now = 0;
  const limiter = new LoginRateLimiter({ maxFailures: 3, windowMs: 1000 }, () => now);
  assert.equal(limiter.allowed('10.0.0.1'), true);
  assert.equal(limiter.fail('10.0.0.1'), false);
  assert.equal(limiter.fail('10.0.0.1'), false);
  assert.equal(limiter.fail('10.0.0.1'), true);
  assert.equal(limiter.allowed('10.0.0.1'), false);
  assert.equal(limiter.allowed('10.0.0.2'), true);
  now = 1500;
  assert.equal(limiter.allowed('10.0.0.1'), true);
  limiter.fail('10.0.0.2');
  limiter.succeed('10.0.0.2');
  limiter.fail('10.0.0.2');
  limiter.fail('10.0.0.2');
  assert.equal(limiter.allowed('10.0.0.2'), true, 'a success clears the count');
});

test('the limiter forgets the oldest addresses beyond its bound', () => {
  const limiter = new LoginRateLimiter({ maxFailures: 1, maxAddresses: 2 });
  limiter.fail('a');
  limiter.fail('b');
  limiter.fail('c');
  assert.equal(limiter.allowed('a'), true);
  assert.equal(limiter.allowed('c'), false);
});
