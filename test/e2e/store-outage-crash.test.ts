/**
 * A gateway killed (SIGKILL) while the PostgreSQL store is down and its
 * writes wait in the spool: the next `recgate start` replays the spool into
 * the store before anything else, recovery marks the recording interrupted,
 * and it verifies and exports with what the person saw before the kill.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startStoreDatabases, storeUrl, type StoreDatabases } from '../fixtures/pg-store.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { readZip } from '../fixtures/zip.js';

let dbs: StoreDatabases;
let g: SshGateway;

before(async () => {
  dbs = await startStoreDatabases();
  const { name } = await dbs.create();
  g = await SshGateway.start({ top: `store: { kind: postgres, url: "${storeUrl(dbs.server, name)}" }\nrecording: { checkpointInterval: 1s }` });
});
after(async () => {
  await g?.stop();
  await dbs?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForLog(pattern: RegExp, from: number, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!pattern.test(g.log.slice(from))) {
    if (Date.now() > until) throw new Error(`the gateway never logged ${pattern}:\n${g.log.slice(from)}`);
    await sleep(100);
  }
}

test('SIGKILL while spooling: the next start replays the spool, the recording is marked interrupted, verifies and holds what was spooled', async () => {
  const client = spawn('ssh', [...g.sshArgs(), 'for i in $(seq 1 400); do echo line-$i; sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  client.stdout.on('data', (d: Buffer) => (seen += d.toString()));
  const closed = new Promise((r) => client.on('close', r));
  try {
    // The target's login shell may take a while to start on a loaded machine.
    for (const until = Date.now() + 120_000; !seen.includes('line-10\n'); await sleep(20)) if (Date.now() > until) throw new Error('no output');
    const mark = g.log.length;
    await dbs.server.stopServer();
    await waitForLog(/store unreachable: writes go to the local spool/, mark);
    // Well over a second of output goes to the spool only.
    const atOutage = Math.max(...[...seen.matchAll(/line-(\d+)\n/g)].map((m) => Number(m[1])));
    while (!seen.includes(`line-${atOutage + 60}\n`)) await sleep(20);
    const last = Math.max(...[...seen.matchAll(/line-(\d+)\n/g)].map((m) => Number(m[1])));
    g.daemonProcess!.kill('SIGKILL');
    await closed;
    const spoolDir = join(g.home.dir, 'data', 'spool');
    assert.ok((await readdir(spoolDir)).some((n) => n.endsWith('.spool')), 'the killed gateway left its spool');

    await dbs.server.startServer();
    await g.startDaemon();
    assert.match(g.log, /the spool holds writes a previous run could not store/);
    assert.deepEqual((await readdir(spoolDir)).filter((n) => n.endsWith('.spool')), [], 'the spool was replayed at start');
    const rec = (await g.recordings()).at(-1)!;
    assert.equal(rec.status, 'interrupted');
    const v = await g.home.cli(['recordings', 'verify', rec.id]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const out = join(g.home.dir, 'killed.zip');
    const e = await g.home.cli(['recordings', 'export', rec.id, '--key', g.home.key('officer'), '--out', out]);
    assert.equal(e.code, 0, e.stderr);
    const tys = (await readZip(out)).get(`${rec.id}.tys`)!.toString();
    // 20 lines a second: all but the last second before the kill was spooled and is in the recording.
    for (let i = 1; i <= last - 22; i++) assert.ok(tys.includes(`line-${i}\n`), `line-${i} (the client saw up to ${last}, the store went at ${atOutage})`);
  } finally {
    client.kill();
  }
});
