import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UserConfig } from '../config/index.js';
import { defaultSodium } from '../seal/sodium.js';
import { hashPassword } from './passwords.js';
import { checkPassword, hasSshKey, parseLoginName } from './users.js';

const s = defaultSodium();
const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIGZ1b2Jhcl9rZXlfZm9yX3Rlc3RzX29ubHlfMDAwMDAw';
const alice: UserConfig = { name: 'alice', password: hashPassword(s, 'pw'), scram: null, mysqlNative: null, rdpNtHash: null, sshKeys: [`ssh-ed25519 ${ED25519} alice@laptop`], targets: ['web01'] };
const root: UserConfig = { name: 'root', password: null, scram: null, mysqlNative: null, rdpNtHash: null, sshKeys: [], targets: ['*'] };

test('login names split at the first plus', () => {
  assert.deepEqual(parseLoginName('alice+web01'), { user: 'alice', target: 'web01' });
  assert.deepEqual(parseLoginName('alice+web+01'), { user: 'alice', target: 'web+01' });
  for (const bad of ['alice', '+web01', 'alice+', '']) assert.equal(parseLoginName(bad), null);
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
