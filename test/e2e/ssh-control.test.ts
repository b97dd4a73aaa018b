/**
 * Ending SSH sessions from outside: `recgate sessions terminate` with a
 * message, the idle timeout, and a gateway killed with SIGKILL mid-session.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { Tmux } from '../fixtures/tmux.js';
import { readZip } from '../fixtures/zip.js';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { freePort } from '../fixtures/gateway-env.js';

const gateways: SshGateway[] = [];
after(() => Promise.all(gateways.map((g) => g.stop())));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function started(options: Parameters<typeof SshGateway.start>[0] = {}): Promise<SshGateway> {
  const g = await SshGateway.start(options);
  gateways.push(g);
  return g;
}

async function events(g: SshGateway, id: string): Promise<Record<string, unknown>[]> {
  const out = join(g.home.dir, `${id}.zip`);
  const r = await g.home.cli(['recordings', 'export', id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const files = await readZip(out);
  return files.get(`${id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function waitForStatus(g: SshGateway, id: string, status: string): Promise<{ endReason: string | null }> {
  for (let i = 0; i < 100; i++) {
    const rec = (await g.recordings()).find((r) => r.id === id);
    if (rec?.status === status) return rec;
    await sleep(100);
  }
  throw new Error(`recording ${id} never became ${status}`);
}

test('sessions terminate ends a live SSH session with the message shown in the client', async () => {
  const g = await started();
  const term = await Tmux.start(['ssh', ...g.sshArgs()], 100, 30);
  try {
    await term.waitFor(/:~[#$]/);
    const list = await g.home.cli(['sessions', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const sessions = JSON.parse(list.stdout) as { id: string; user: string; target: string }[];
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.user, 'alice');
    const id = sessions[0]!.id;
    const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Maintenance window: please log in again at 18:00']);
    assert.equal(t.code, 0, t.stderr);
    await term.waitFor(/Maintenance window: please log in again at 18:00/);
    const rec = await waitForStatus(g, id, 'complete');
    assert.equal(rec.endReason, 'terminated');
    const ev = await events(g, id);
    assert.ok(ev.some((e) => e.type === 'terminate' && e.message === 'Maintenance window: please log in again at 18:00'));
    assert.equal(ev.at(-1)!.type, 'end');
    assert.equal(ev.at(-1)!.reason, 'terminated');
  } finally {
    await term.stop();
  }
  assert.deepEqual(JSON.parse((await g.home.cli(['sessions', 'list', '--json'])).stdout), []);
});

test('an idle session is warned, then closed with a message, and the recording says why', async () => {
  // Long enough that a login slowed by a loaded machine still reaches the prompt inside it.
  const g = await started({ target: 'limits: { idleTimeout: 8s }' });
  const term = await Tmux.start(['ssh', ...g.sshArgs()], 100, 30);
  try {
    await term.waitFor(/:~[#$]/);
    // With an 8 s limit the warning comes at half of it.
    await term.waitFor(/closed in 4 seconds for inactivity/, 10_000);
    await term.waitFor(/session closed after 8 seconds of inactivity/, 10_000);
  } finally {
    await term.stop();
  }
  const rec = (await g.recordings()).at(-1)!;
  const done = await waitForStatus(g, rec.id, 'complete');
  assert.equal(done.endReason, 'idle-timeout');
});

test('SIGKILL of the gateway mid-session: the recording verifies and holds all but the last second', async () => {
  const g = await started({ top: 'recording: { checkpointInterval: 1s }' });
  const client = spawn('ssh', [...g.sshArgs(), 'for i in $(seq 1 100); do echo line-$i; sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  client.stdout.on('data', (d: Buffer) => (seen += d.toString()));
  while (!seen.includes('line-70\n')) await sleep(20);
  const last = Math.max(...[...seen.matchAll(/line-(\d+)\n/g)].map((m) => Number(m[1])));
  g.daemonProcess!.kill('SIGKILL');
  await new Promise((r) => client.on('close', r));
  const rec = (await g.recordings()).at(-1)!;
  const v = await g.home.cli(['recordings', 'verify', rec.id]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  const out = join(g.home.dir, 'killed.zip');
  const e = await g.home.cli(['recordings', 'export', rec.id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(e.code, 0, e.stderr);
  const tys = (await readZip(out)).get(`${rec.id}.tys`)!.toString();
  // 20 lines a second: everything the client had seen more than a second before the kill is recorded.
  for (let i = 1; i <= last - 22; i++) assert.ok(tys.includes(`line-${i}\n`), `line-${i} (client saw up to ${last})`);
  await g.startDaemon();
  await waitForStatus(g, rec.id, 'interrupted');
});

/** A TCP server on loopback that answers each line with its upper-case form. */
async function upperServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((sock) => sock.on('data', (d) => sock.write(d.toString().toUpperCase())));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

/** Opens `ssh -N -L`, sends `text` through the forward, returns what came back ('' when refused). */
async function throughForward(g: SshGateway, destPort: number, text: string): Promise<string> {
  const local = await freePort();
  const ssh = spawn('ssh', ['-N', '-L', `127.0.0.1:${local}:127.0.0.1:${destPort}`, ...g.sshArgs()], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((r) => connect(local, '127.0.0.1').once('connect', function (this: Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
      if (ok) break;
      await sleep(100);
    }
    return await new Promise<string>((resolve) => {
      let got = '';
      const sock = connect(local, '127.0.0.1', () => sock.write(text));
      sock.on('data', (d) => {
        got += d.toString();
        if (got.length >= text.length) sock.end();
      });
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
      setTimeout(() => sock.destroy(), 5000).unref();
    });
  } finally {
    ssh.kill('SIGTERM');
    await new Promise((r) => ssh.on('close', r));
  }
}

test('port forwarding is refused unless the target allows it; allowed forwards are events with byte counts', async () => {
  const upper = await upperServer();
  try {
    const refusing = await started();
    assert.equal(await throughForward(refusing, upper.port, 'hello\n'), '');
    for (let i = 0; i < 40 && !/port forwarding refused/.test(refusing.log); i++) await sleep(50);
    assert.match(refusing.log, /port forwarding refused/);

    const allowing = await started({ target: 'portForwarding: true' });
    assert.equal(await throughForward(allowing, upper.port, 'hello through the target\n'), 'HELLO THROUGH THE TARGET\n');
    const rec = (await allowing.recordings()).at(-1)!;
    await waitForStatus(allowing, rec.id, 'complete');
    const ev = await events(allowing, rec.id);
    assert.ok(ev.some((e) => e.type === 'forward' && e.port === upper.port));
    // The last forward is the one that carried the text (readiness probes open empty ones).
    const closed = ev.filter((e) => e.type === 'forward-closed').at(-1);
    assert.ok(closed, JSON.stringify(ev));
    assert.equal(closed.bytesIn, 25);
    assert.equal(closed.bytesOut, 25);
  } finally {
    await upper.close();
  }
});
