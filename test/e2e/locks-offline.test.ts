/**
 * Locks without a running gateway: `sessions locks` and `unlock` read and
 * write `<dataDir>/locks.json` themselves, so an operator can lift a lock
 * before the gateway starts again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LockStore } from '../../src/admission/locks.js';
import { GatewayHome } from '../fixtures/gateway-env.js';

let home: GatewayHome;
before(async () => {
  home = await GatewayHome.create();
  await home.writeConfig();
});
after(() => home?.remove());

test('with no gateway running, locks are listed from the file and lifted in it; expired ones are not shown', async () => {
  const store = LockStore.inDataDir(home.dataDir);
  const at = new Date().toISOString();
  const future = new Date(Date.now() + 3600_000).toISOString();
  await store.add({ user: 'alice', scope: 'gateway', until: future, message: 'audit \u001b[31mred', by: 'root', at });
  await store.add({ user: 'bob', scope: 'target', target: 'pg01', until: new Date(Date.now() + 50).toISOString(), message: 'short', by: 'root', at });
  await new Promise((r) => setTimeout(r, 100));

  const json = await home.cli(['sessions', 'locks', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { user: string; message: string }[];
  assert.deepEqual(rows.map((r) => r.user), ['alice'], "bob's lock has expired");
  assert.equal(rows[0]!.message, 'audit \u001b[31mred');
  assert.match(json.stdout, /\\u001b\[31m/, 'escaped in JSON');
  const table = await home.cli(['sessions', 'locks']);
  assert.match(table.stdout, /^alice\s+gateway\s+\d{4}-.*audit \\x1B\[31mred\s+root/m, 'control characters shown escaped');

  const target = await home.cli(['sessions', 'unlock', 'alice', '--target', 'pg01']);
  assert.equal(target.code, 1, 'a gateway-wide lock is not lifted by naming a target');
  assert.equal(target.stderr, 'recgate: no active lock on alice for pg01\n');
  const all = await home.cli(['sessions', 'unlock', 'alice']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^unlocked alice on the whole gateway until /);
  assert.equal((await home.cli(['sessions', 'locks'])).stdout, 'no active locks\n');
});
