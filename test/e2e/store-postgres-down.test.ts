/**
 * `recgate start` with `store.kind: postgres` and no PostgreSQL to reach:
 * it exits with one clear line naming the store (host:port/database), never
 * the URL's password.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { GatewayHome } from '../fixtures/gateway-env.js';

test('recgate start against an unreachable PostgreSQL store exits with one clear line naming the store, not its password', async () => {
  const home = await GatewayHome.create();
  try {
    const config = await readFile(home.configPath, 'utf8');
    await writeFile(home.configPath, config.replace('store: { kind: local }', 'store: { kind: postgres, url: "postgres://app:pw-never-shown@127.0.0.1:1/recgate" }'));
    const started = await home.startDaemon().then(
      (d) => d.stop().then(() => 'started'),
      (err: Error) => err.message,
    );
    assert.match(started, /PostgreSQL store 127\.0\.0\.1:1\/recgate: preparing the schema failed: connect ECONNREFUSED/);
    assert.ok(!started.includes('pw-never-shown'));
  } finally {
    await home.remove();
  }
});
