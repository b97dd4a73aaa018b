import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifyPassword } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config/index.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { ROOT, run } from '../fixtures/gateway-env.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';

test('users hash reads the password from stdin and prints an Argon2id hash the config accepts', async () => {
  const r = await run(process.execPath, [join(ROOT, 'bin', 'recgate.js'), 'users', 'hash'], { input: 'pa ss\u00e9word\n' });
  assert.equal(r.code, 0, r.stderr);
  const hash = r.stdout.trim();
  assert.match(hash, /^\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.ok(!r.stdout.includes('pa ss'));
  const s = defaultSodium();
  assert.equal(verifyPassword(s, hash, 'pa ss\u00e9word'), true);
  assert.equal(verifyPassword(s, hash, 'pa sséword '), false);

  const dir = await mkdtemp(join(tmpdir(), 'recgate-users-'));
  try {
    const config = join(dir, 'recgate.yaml');
    await writeFile(config, `users:\n  - { name: alice, password: "${hash}", targets: ["*"] }\n`);
    assert.equal(loadConfig(config).users[0]!.password, hash);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('users hash refuses an empty password', async () => {
  const r = await run(process.execPath, [join(ROOT, 'bin', 'recgate.js'), 'users', 'hash'], { input: '\n' });
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim(), 'recgate: the password must not be empty');
});

test('users hash --scram and --mysql-native print the database verifiers the config accepts', async () => {
  const cli = (flag: string) => run(process.execPath, [join(ROOT, 'bin', 'recgate.js'), 'users', 'hash', flag], { input: 'password\n' });
  const scram = await cli('--scram');
  assert.equal(scram.code, 0, scram.stderr);
  assert.match(scram.stdout, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\n$/);
  const native = await cli('--mysql-native');
  assert.equal(native.code, 0, native.stderr);
  // MySQL's own stored hash of "password".
  assert.equal(native.stdout, '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19\n');
  const dir = await mkdtemp(join(tmpdir(), 'recgate-users-'));
  try {
    const config = join(dir, 'recgate.yaml');
    await writeFile(config, `users:\n  - { name: alice, scram: "${scram.stdout.trim()}", mysqlNative: "${native.stdout.trim()}", targets: ["*"] }\n`);
    const alice = loadConfig(config).users[0]!;
    assert.deepEqual([alice.scram, alice.mysqlNative], [scram.stdout.trim(), native.stdout.trim()]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
