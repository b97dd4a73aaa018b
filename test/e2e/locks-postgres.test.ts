/**
 * Locks end to end with the real psql: an operator terminates a session with
 * `--lock`; psql's own reconnection ("Attempting reset") and every new login
 * are refused with the operator's message until the lock is lifted or expires.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ALICE_PASSWORD, BOB_PASSWORD, PgGateway } from '../fixtures/pg-gateway.js';
import { Tmux } from '../fixtures/tmux.js';

let g: PgGateway;

before(async () => {
  g = await PgGateway.start({ extraTargets: [{ name: 'pg02', lines: ['tls: disable'] }] });
});
after(() => g?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface LockRow {
  user: string;
  scope: string;
  target?: string;
  until: string;
  message: string;
  by: string;
  at: string;
}

async function sessionId(target: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = JSON.parse((await g.home.cli(['sessions', 'list', '--json'])).stdout) as { id: string; target: string }[];
    const id = list.find((s) => s.target === target)?.id;
    if (id) return id;
    await sleep(100);
  }
  throw new Error(`no live session on ${target}`);
}

async function locks(): Promise<LockRow[]> {
  const r = await g.home.cli(['sessions', 'locks', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as LockRow[];
}

test("a lock refuses psql's automatic reset and new logins with the operator's message, until unlock", async () => {
  const term = await Tmux.start(['env', `PGPASSWORD=${ALICE_PASSWORD}`, 'psql', '-X', '-d', g.conninfo('alice+pg01')], 120, 40);
  try {
    await term.waitFor(/^app=[>#]/m);
    // Without a lock psql's reset logs in again by itself.
    const first = await sessionId('pg01');
    assert.equal((await g.home.cli(['sessions', 'terminate', first, '--message', 'Just a restart'])).code, 0);
    await term.type('SELECT 1 \\g');
    await term.waitFor(/Attempting reset: Succeeded/);
    let id = await sessionId('pg01');
    for (let i = 0; i < 50 && id === first; i++, await sleep(100)) id = await sessionId('pg01');
    assert.notEqual(id, first);
    const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Locked during the audit', '--lock', '15m']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^terminated /m);
    assert.match(t.stdout, /^locked alice on pg01 until 20\d\d-/m);
    // psql learns of the end at its next statement, then tries to reconnect by itself: refused.
    await term.type('SELECT 2 \\g');
    const screen = await term.waitFor(/Attempting reset: Failed/);
    assert.match(screen, /FATAL: {2}Locked during the audit/);
    // psql does not print why its reset failed; the gateway's log does.
    assert.match(g.log, /"user":"alice","target":"pg01","scope":"target".*"msg":"session refused: locked by an operator"/);
  } finally {
    await term.stop();
  }

  const [lock] = await locks();
  assert.equal(lock?.user, 'alice');
  assert.equal(lock?.scope, 'target');
  assert.equal(lock?.target, 'pg01');
  assert.equal(lock?.message, 'Locked during the audit');
  assert.ok(lock?.by, 'who locked is kept');
  const minutes = (Date.parse(lock!.until) - Date.parse(lock!.at)) / 60_000;
  assert.ok(Math.abs(minutes - 15) < 0.1, `locked for 15 minutes, not ${minutes}`);
  assert.equal((await stat(join(g.home.dataDir, 'locks.json'))).mode & 0o777, 0o600);
  const table = await g.home.cli(['sessions', 'locks']);
  assert.match(table.stdout, /^USER\s+SCOPE\s+UNTIL\s+MESSAGE\s+BY\s+AT$/m);
  assert.match(table.stdout, /^alice\s+target pg01\s+20\d\d-.*Locked during the audit/m);

  // A new login is refused with the message, in PostgreSQL's words; the same person reaches other targets; bob is not locked.
  const refused = await g.psql(['-c', 'SELECT 1'], { conninfo: { application_name: 'after-lock' } });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /FATAL: {2}recgate: Locked during the audit \(locked out of pg01 until /);
  assert.equal((await g.psql(['-At', '-c', 'SELECT 2'], { login: 'alice+pg02' })).stdout, '2\n');
  const bob = await g.psql(['-At', '-c', 'SELECT 3'], { login: 'bob+pg01', password: BOB_PASSWORD, conninfo: { sslmode: 'require' } });
  assert.equal(bob.stdout, '3\n', bob.stderr);

  // Locked logins are not failed passwords: twelve of them (the limit is ten failures) leave the address free.
  for (let i = 0; i < 12; i++) assert.match((await g.psql(['-c', 'SELECT 1'])).stderr, /Locked during the audit/);
  assert.match(g.log, /session refused: locked by an operator/);

  const u = await g.home.cli(['sessions', 'unlock', 'alice', '--target', 'pg01']);
  assert.equal(u.code, 0, u.stderr);
  assert.match(u.stdout, /^unlocked alice on pg01 until /m);
  assert.deepEqual(await locks(), []);
  const back = await g.psql(['-At', '-c', 'SELECT 4']);
  assert.equal(back.stdout, '4\n', back.stderr);
  const again = await g.home.cli(['sessions', 'unlock', 'alice']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'recgate: no active lock on alice\n');
});

test('a gateway-wide lock keeps the person off every target; an expired lock is ignored and dropped', async () => {
  const child = g.psql(['-c', 'SELECT pg_sleep(30)'], { login: 'alice+pg02' });
  const id = await sessionId('pg02');
  const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Off the gateway for now', '--lock', '2s', '--lock-scope', 'gateway']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^locked alice on the whole gateway until /m);
  assert.match((await child).stderr, /Off the gateway for now/);
  for (const target of ['alice+pg01', 'alice+pg02']) {
    assert.match((await g.psql(['-c', 'SELECT 1'], { login: target })).stderr, /recgate: Off the gateway for now \(locked out of the gateway until /);
  }
  await sleep(2200);
  const expired = await g.psql(['-At', '-c', 'SELECT 5']);
  assert.equal(expired.stdout, '5\n', `the lock expired: ${expired.stderr}`);
  assert.deepEqual(await locks(), [], 'expired locks are not listed');
});

test('bad lock options are one clear line and exit 2, and nothing is terminated', async () => {
  const bad = await g.home.cli(['sessions', 'terminate', 'x', '--lock', 'soon']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'recgate: --lock "soon" is not a duration (use 15m, 2h, 1d or 1h30m)\n');
  const scope = await g.home.cli(['sessions', 'terminate', 'x', '--lock', '5m', '--lock-scope', 'everything']);
  assert.equal(scope.code, 2);
  assert.equal(scope.stderr, 'recgate: --lock-scope must be target or gateway, not "everything"\n');
  const zero = await g.home.cli(['sessions', 'terminate', 'x', '--lock', '0s']);
  assert.equal(zero.stderr, 'recgate: --lock "0s" must be longer than zero\n');
});
