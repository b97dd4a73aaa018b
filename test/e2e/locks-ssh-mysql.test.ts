/**
 * Locked logins in SSH's and MySQL's words, with the real ssh and mariadb
 * clients: the operator's message and until-time on ssh's stderr (exit 1),
 * and in mariadb's ERROR line; unlocking lets them in again.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { GatewayHome } from '../fixtures/gateway-env.js';
import { MyGateway } from '../fixtures/my-gateway.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';

const stops: (() => Promise<void>)[] = [];
after(() => Promise.all(stops.map((s) => s())));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function liveSession(home: GatewayHome): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = JSON.parse((await home.cli(['sessions', 'list', '--json'])).stdout) as { id: string }[];
    if (list[0]) return list[0].id;
    await sleep(100);
  }
  throw new Error('no live session');
}

test('ssh: a locked login gets the message on stderr and exit 1; after unlock it gets in', async () => {
  const g = await SshGateway.start();
  stops.push(() => g.stop());
  const running = g.ssh([...g.sshArgs(), 'sleep 30']);
  const id = await liveSession(g.home);
  const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Account under review', '--lock', '1h']);
  assert.equal(t.code, 0, t.stderr);
  assert.match((await running).stderr, /Account under review/);

  const locked = await g.ssh([...g.sshArgs(), 'echo in']);
  assert.equal(locked.code, 1);
  assert.match(locked.stderr, /^recgate: Account under review \(locked out of web01 until 20\d\d-\d\d-\d\d \d\d:\d\d UTC\)\r?$/m);
  assert.equal(locked.stdout, '');

  assert.equal((await g.home.cli(['sessions', 'unlock', 'alice'])).code, 0);
  const back = await g.ssh([...g.sshArgs(), 'echo in']);
  assert.equal(back.stdout, 'in\n', back.stderr);
});

test('mariadb: a locked login is an ERROR with the message; after unlock it gets in', async () => {
  const g = await MyGateway.start();
  stops.push(() => g.stop());
  const running = g.mariadb(['-e', 'SELECT SLEEP(30)']);
  const id = await liveSession(g.home);
  const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Account under review', '--lock', '1h', '--lock-scope', 'gateway']);
  assert.equal(t.code, 0, t.stderr);
  assert.match((await running).stderr, /Account under review/);

  const locked = await g.mariadb(['-e', 'SELECT 1']);
  assert.notEqual(locked.code, 0);
  assert.match(locked.stderr, /ERROR 1045 \(28000\).*recgate: Account under review \(locked out of the gateway until 20\d\d-\d\d-\d\d \d\d:\d\d UTC\)/);

  assert.equal((await g.home.cli(['sessions', 'unlock', 'alice'])).code, 0);
  const back = await g.mariadb(['-N', '-e', 'SELECT 7']);
  assert.equal(back.stdout, '7\n', back.stderr);
});
