/**
 * Operating a node: `/metrics` read with a strict text-format parser while
 * a real ssh session and a failed login go through the gateway, `/healthz`
 * and `/readyz`, and the drain on SIGTERM (a running session keeps working,
 * a new connection is refused, a session that ends by itself ends normally,
 * the rest are ended with the message at the deadline, every recording is
 * complete and verifies). Ctrl-C (SIGINT) still ends sessions at once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../fixtures/gateway-env.js';
import { parseExposition, parseWithPrometheusClient, sampleValue, type Family } from '../fixtures/prom-text.js';
import { ALICE_PASSWORD, SshGateway } from '../fixtures/ssh-gateway.js';
import { readZip } from '../fixtures/zip.js';

const DRAIN_SECONDS = 6;
let g: SshGateway;
let ops: string;
const clients: ChildProcess[] = [];
/** Every daemon this file started: one that a failed test left running is killed at the end. */
const daemons: ChildProcess[] = [];

before(async () => {
  const port = await freePort();
  ops = `http://127.0.0.1:${port}`;
  g = await SshGateway.start({ metrics: `127.0.0.1:${port}`, gateway: `drainTimeout: ${DRAIN_SECONDS}s` });
  daemons.push(g.daemonProcess!);
});
after(async () => {
  for (const c of [...clients, ...daemons]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await g?.stop();
});

async function scrape(): Promise<{ families: Map<string, Family>; text: string }> {
  const r = await fetch(`${ops}/metrics`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await r.text();
  return { families: parseExposition(text), text };
}

async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue((await scrape()).families, name, labels) ?? 0;
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `ssh alice+web01 <command>` left running, its output collected. */
function openSession(command: string): { child: ChildProcess; out: () => string; err: () => string; echo: (line: string) => Promise<void> } {
  const child = spawn('ssh', [...g.sshArgs(), command], { stdio: ['pipe', 'pipe', 'pipe'] });
  clients.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const echo = async (line: string): Promise<void> => {
    child.stdin!.write(`${line}\n`);
    await until(`"${line}" echoed through the session (ssh said: ${err})`, () => out.includes(`${line}\n`));
  };
  return { child, out: () => out, err: () => err, echo };
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : once(child, 'exit').then(([code]) => code as number | null);
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test('/healthz and /readyz answer 200 while the node serves; other paths and methods are refused', async () => {
  const health = await fetch(`${ops}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok', recording: 0 });
  const ready = await fetch(`${ops}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready' });
  assert.equal((await fetch(`${ops}/readyz`, { method: 'HEAD' })).status, 200);
  assert.equal((await fetch(`${ops}/`)).status, 404);
  assert.equal((await fetch(`${ops}/metrics`, { method: 'POST', body: 'x' })).status, 405);
});

test('/metrics parses, and its counters move with a real ssh session and a failed login', async () => {
  const { families, text } = await scrape();
  for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
    assert.ok(families.has(name), `${name} is exposed`);
  }
  assert.ok(sampleValue(families, 'process_resident_memory_bytes')! > 1e6);
  assert.equal(sampleValue(families, 'recgate_sessions_live', { protocol: 'ssh' }), 0);
  assert.equal(sampleValue(families, 'recgate_node_phase', { phase: 'serving' }), 1);
  assert.equal(sampleValue(families, 'recgate_store_state', { state: 'up' }), 1);
  assert.match(text, /^# TYPE recgate_store_write_seconds histogram$/m);
  // Prometheus' own client parser reads the same samples with the same values.
  const theirs = parseWithPrometheusClient(text);
  const ours = [...families.values()].flatMap((f) => f.samples);
  assert.equal(theirs.length, ours.length, 'the same number of samples');
  for (const s of theirs) assert.equal(sampleValue(families, s.name, s.labels), s.value, `${s.name} ${JSON.stringify(s.labels)}`);
  const base = {
    started: await value('recgate_sessions_started_total', { protocol: 'ssh' }),
    failures: await value('recgate_login_failures_total', { protocol: 'ssh' }),
    tty: await value('recgate_recorded_bytes_total', { protocol: 'ssh', stream: 'tty' }),
    stored: await value('recgate_stored_bytes_total'),
    chunks: await value('recgate_chunks_written_total'),
    appends: await value('recgate_store_write_seconds_count', { op: 'appendChunks' }),
    finals: await value('recgate_store_write_seconds_count', { op: 'finalize' }),
  };

  const output = 'ops-metrics-marker\n'.repeat(2000);
  const r = await g.ssh([...g.sshArgs(), "yes ops-metrics-marker | head -n 2000"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, output);
  // The session's end is counted once its recording is finalized.
  await until('the session counted as ended', async () => (await value('recgate_sessions_ended_total', { protocol: 'ssh', reason: 'closed' })) >= 1);
  assert.equal(await value('recgate_sessions_started_total', { protocol: 'ssh' }), base.started + 1);
  assert.ok((await value('recgate_recorded_bytes_total', { protocol: 'ssh', stream: 'tty' })) >= base.tty + output.length, 'the output is counted as recorded plaintext');
  assert.ok((await value('recgate_stored_bytes_total')) >= base.stored + output.length, 'its ciphertext is counted as stored');
  assert.ok((await value('recgate_chunks_written_total')) > base.chunks);
  assert.ok((await value('recgate_store_write_seconds_count', { op: 'appendChunks' })) > base.appends);
  assert.equal(await value('recgate_store_write_seconds_count', { op: 'finalize' }), base.finals + 1);
  assert.equal(await value('recgate_sessions_live', { protocol: 'ssh' }), 0);
  assert.equal(await value('recgate_login_failures_total', { protocol: 'ssh' }), base.failures, 'a key login is no failure');

  const wrong = await g.sshWithPassword('alice+web01', 'not-alices-password', 'true');
  assert.notEqual(wrong.code, 0);
  await until('the failed login counted', async () => (await value('recgate_login_failures_total', { protocol: 'ssh' })) === base.failures + 1);
  const after = (await scrape()).text;
  for (const secret of ['alice', 'web01', ALICE_PASSWORD, 'not-alices-password', 'ops-metrics-marker']) {
    assert.ok(!after.includes(secret), `/metrics does not mention ${secret}`);
  }
});

test('SIGTERM drains: sessions go on, new connections are refused, the rest end with the message at the deadline', async () => {
  const before = (await g.recordings()).length;
  const kept = openSession('cat');
  await kept.echo('before-the-drain');
  const leaving = openSession('cat -u');
  await leaving.echo('second-session');
  await until('two live sessions', async () => (await value('recgate_sessions_live', { protocol: 'ssh' })) === 2);
  const daemon = g.daemonProcess!;
  const daemonExit = exited(daemon);
  daemon.kill('SIGTERM');
  await until('the drain to start', () => g.log.includes('"msg":"draining: new connections are refused'));
  assert.match(g.log, /"sessions":2,"drainTimeout":6000,"deadline":"[^"]+"/);

  const ready = await fetch(`${ops}/readyz`);
  assert.equal(ready.status, 503);
  assert.deepEqual(await ready.json(), { status: 'not ready', reason: 'draining' });
  assert.equal((await fetch(`${ops}/healthz`)).status, 200);
  assert.equal(await value('recgate_node_phase', { phase: 'draining' }), 1);
  assert.equal(await value('recgate_sessions_live', { protocol: 'ssh' }), 2);
  assert.equal(await refused(g.port), true, 'a new connection is refused');
  await until('the warning shown to each person', () => kept.err().includes(`recgate: the gateway is shutting down; this session will be ended in ${DRAIN_SECONDS} seconds`));

  await kept.echo('typed-during-the-drain');
  leaving.child.stdin!.end();
  assert.equal(await exited(leaving.child), 0, leaving.err());
  await until('the leaving session logged', () => g.log.includes('"msg":"session ended during the drain"'));
  assert.equal(kept.child.exitCode, null, 'the other session still runs');
  await kept.echo('still-there');

  assert.notEqual(await exited(kept.child), 0);
  assert.match(kept.err(), /recgate: the gateway is shutting down/);
  assert.equal(await daemonExit, 0, g.log);
  assert.match(g.log, /"msg":"drain deadline reached: ending the remaining sessions with the shutdown message"/);
  assert.match(g.log, /"recordings":2,"failed":0,"msg":"every recording flushed to the store"/);
  assert.match(g.log, /"msg":"stopped"/);

  const recs = (await g.recordings()).slice(before);
  assert.deepEqual(recs.map((r) => r.status), ['complete', 'complete']);
  const ended = recs.find((r) => r.endReason === 'gateway-shutdown');
  assert.ok(ended, `one recording ended by the shutdown: ${JSON.stringify(recs)}`);
  assert.ok(recs.some((r) => r.endReason === 'closed'), 'the session that ended by itself ended normally');
  for (const rec of recs) {
    const v = await g.home.cli(['recordings', 'verify', rec.id]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  }
  const out = join(g.home.dir, `${ended.id}.zip`);
  const x = await g.home.cli(['recordings', 'export', ended.id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(x.code, 0, x.stderr);
  const tys = (await readZip(out)).get(`${ended.id}.tys`)!.toString('utf8');
  for (const line of ['before-the-drain', 'typed-during-the-drain', 'still-there']) assert.ok(tys.includes(line), `${line} is in the recording`);
});

test('Ctrl-C (SIGINT) ends running sessions at once, with the message, without a drain', async () => {
  await g.startDaemon();
  daemons.push(g.daemonProcess!);
  const s = openSession('cat');
  await s.echo('before-ctrl-c');
  const daemon = g.daemonProcess!;
  const daemonExit = exited(daemon);
  daemon.kill('SIGINT');
  assert.notEqual(await exited(s.child), 0);
  assert.match(s.err(), /recgate: the gateway is shutting down/);
  assert.equal(await daemonExit, 0, g.log);
  assert.doesNotMatch(g.log, /draining/);
  assert.match(g.log, /"msg":"ending the running sessions with the shutdown message"/);
  const rec = (await g.recordings()).at(-1)!;
  assert.deepEqual([rec.status, rec.endReason], ['complete', 'gateway-shutdown']);
});
