/**
 * `recgate sessions` against the real daemon: the control socket and its
 * token, listing, refusals, and the one-line errors when no gateway runs.
 * (Terminating a live session end to end is proven with the SSH proxy.)
 */
import assert from 'node:assert/strict';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatSessions } from '../../src/cli/sessions.js';
import { loadConfig } from '../../src/config/index.js';
import { Gateway } from '../../src/daemon/gateway.js';
import { silentLogger } from '../../src/log.js';
import type { EndReason, Session } from '../../src/session/session.js';
import { generateSigningKey } from '../../src/seal/signing.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { openStore } from '../../src/store/index.js';
import { GatewayHome, type RunningDaemon } from '../fixtures/gateway-env.js';

let home: GatewayHome;
let daemon: RunningDaemon | undefined;
let socketPath: string;
let tokenPath: string;

before(async () => {
  home = await GatewayHome.create('control: { socket: ./run/control.sock }');
  socketPath = join(home.dir, 'run', 'control.sock');
  tokenPath = join(home.dataDir, 'control.token');
});
after(async () => {
  await daemon?.stop('SIGKILL');
  await home.remove();
});

function assertOneLineError(r: { code: number | null; stderr: string; stdout: string }, expected: string): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `recgate: ${expected}\n`);
}

/** One raw request line on the control socket, one response line back. */
function ask(request: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (d: string) => {
      text += d;
      if (!text.includes('\n')) return;
      socket.destroy();
      resolve(JSON.parse(text.slice(0, text.indexOf('\n'))));
    });
    socket.write(JSON.stringify(request) + '\n');
  });
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

test('with no gateway running, sessions commands say so in one line', async () => {
  assertOneLineError(await home.cli(['sessions', 'list']), `no gateway is running (no control socket at ${socketPath})`);
  assertOneLineError(await home.cli(['sessions', 'terminate', '01ARZ3NDEKTSV4RRFFQ69G5FAV']), `no gateway is running (no control socket at ${socketPath})`);
});

test('the daemon opens a private control socket and writes its token readable by its user only', async () => {
  daemon = await home.startDaemon();
  assert.equal((await stat(socketPath)).mode & 0o777, 0o600);
  assert.equal((await stat(join(home.dir, 'run'))).mode & 0o777, 0o700);
  assert.equal((await stat(tokenPath)).mode & 0o777, 0o600);
  assert.match(await readFile(tokenPath, 'utf8'), /^[0-9a-f]{64}\n$/);
});

test('sessions list shows no live sessions, as JSON and as a table', async () => {
  const json = await home.cli(['sessions', 'list', '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), []);
  const table = await home.cli(['sessions', 'list']);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout, 'no live sessions\n');
});

test('a request with a wrong or missing token is refused and logged', async () => {
  const token = (await readFile(tokenPath, 'utf8')).trim();
  assert.deepEqual(await ask({ token: '0'.repeat(64), op: 'list' }), { ok: false, error: 'not authorized', code: 'RG_ERR_AUTH' });
  assert.deepEqual(await ask({ op: 'list' }), { ok: false, error: 'not authorized', code: 'RG_ERR_AUTH' });
  assert.deepEqual(await ask({ token: token.slice(0, 63), op: 'terminate', id: 'x' }), { ok: false, error: 'not authorized', code: 'RG_ERR_AUTH' });
  assert.deepEqual(await ask({ token, op: 'list' }), { ok: true, sessions: [] });
  await new Promise((r) => setTimeout(r, 100));
  assert.match(daemon!.log(), /control request refused: not authorized/);
  assert.doesNotMatch(daemon!.log(), new RegExp(token));
});

test('the CLI with a token that is not the gateway\'s is not authorized', async () => {
  const token = await readFile(tokenPath, 'utf8');
  await writeFile(tokenPath, 'f'.repeat(64) + '\n');
  try {
    assertOneLineError(await home.cli(['sessions', 'list']), 'not authorized');
  } finally {
    await writeFile(tokenPath, token);
  }
});

test('terminating an unknown session id is one line and a non-zero exit', async () => {
  const id = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  assertOneLineError(await home.cli(['sessions', 'terminate', id, '--message', 'bye']), `no live session ${id}`);
});

test('a second gateway on the same control socket refuses to start', async () => {
  const r = await home.cli(['start']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`recgate: another gateway is running \\(its control socket ${socketPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} answers\\)\\n$`));
  assert.ok(await exists(tokenPath), 'the running gateway keeps its token');
  assert.equal((await home.cli(['sessions', 'list', '--json'])).code, 0);
});

test('a clean stop removes the socket and the token', async () => {
  const r = await daemon!.stop('SIGTERM');
  daemon = undefined;
  assert.equal(r.code, 0, r.log);
  assert.equal(await exists(socketPath), false);
  assert.equal(await exists(tokenPath), false);
});

test('a socket left by a killed gateway is not a running gateway, and the next start replaces it', async () => {
  daemon = await home.startDaemon();
  await daemon.stop('SIGKILL');
  daemon = undefined;
  assert.equal(await exists(socketPath), true);
  assertOneLineError(await home.cli(['sessions', 'list']), `no gateway is running (nothing answers on the control socket at ${socketPath})`);
  daemon = await home.startDaemon();
  assert.match(daemon.log(), /removed a stale control socket/);
  assert.deepEqual(JSON.parse((await home.cli(['sessions', 'list', '--json'])).stdout), []);
  assert.equal((await daemon.stop('SIGTERM')).code, 0);
  daemon = undefined;
});

test('the session table has one row per live session, and marks an unrecorded one', () => {
  const row = { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '192.0.2.7', startedAt: '2026-11-23T14:00:00.123Z' };
  const table = formatSessions([
    { ...row, id: '01JDR5V7Q0000000000000000A', recording: true, idleMs: 75_000 },
    { ...row, id: '01JDR5V7Q0000000000000000B', target: 'prod-pg', protocol: 'postgres', recording: false, idleMs: 0 },
  ]);
  assert.equal(
    table,
    [
      'ID                          USER   TARGET   PROTOCOL  CLIENT     STARTED                            IDLE',
      '01JDR5V7Q0000000000000000A  alice  web01    ssh       192.0.2.7  2026-11-23 14:00:00Z               0:01:15',
      '01JDR5V7Q0000000000000000B  alice  prod-pg  postgres  192.0.2.7  2026-11-23 14:00:00Z (unrecorded)  0:00:00',
      '',
    ].join('\n'),
  );
});

function attach(session: Session): [EndReason, string][] {
  const told: [EndReason, string][] = [];
  session.attach({ notify: () => {}, disconnect: (reason, message) => told.push([reason, message]) });
  return told;
}

test('gateway shutdown tells every person why, ends every recording with that reason, and closes sessions still opening', async () => {
  const path = join(home.dir, 'with-target.yaml');
  const target = '  - { name: web01, protocol: ssh, host: 127.0.0.1, login: { user: root, password: unused }, recipients: [officer] }';
  await writeFile(path, `${await readFile(home.configPath, 'utf8')}targets:\n${target}\n`);
  const config = loadConfig(path);
  const store = openStore(config, silentLogger());
  const gateway = new Gateway(config, silentLogger(), defaultSodium(), store, generateSigningKey(defaultSodium()));
  const who = { user: 'alice', clientAddress: '192.0.2.7' };
  const session = await gateway.openSession(who, config.targets[0]!);
  const told = attach(session);
  assert.deepEqual(gateway.sessions.list().map((x) => [x.id, x.target, x.protocol, x.recording]), [[session.id, 'web01', 'ssh', true]]);
  const bare = await gateway.startRecording({ ...who, target: 'web01', protocol: 'ssh' });

  await gateway.endAll();
  assert.deepEqual(told, [['gateway-shutdown', 'recgate: the gateway is shutting down']]);
  assert.equal(gateway.sessions.size, 0);
  assert.equal(gateway.activeRecordings, 0);
  for (const id of [session.id, bare.id]) {
    const summary = (await store.get(id))!;
    assert.deepEqual([summary.status, summary.endReason], ['complete', 'gateway-shutdown']);
  }
  assert.deepEqual((await store.manifest(session.id)).recipients.map((r) => r.name), ['officer']);

  const late = await gateway.openSession(who, config.targets[0]!);
  assert.deepEqual(attach(late), [['gateway-shutdown', 'recgate: the gateway is shutting down']]);
  assert.equal((await late.end('closed')).reason, 'gateway-shutdown');
  await store.close();
});
