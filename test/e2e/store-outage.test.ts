/**
 * The PostgreSQL store goes away under a running gateway (`recgate start`
 * with store.kind postgres, a real PostgreSQL, the real ssh client): stopped
 * for 30 s mid-session, restarted, its connections killed with
 * pg_terminate_backend. The session goes on, the spool replays, and the
 * export is byte-identical to what the client saw, and verifies.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { startStoreDatabases, storeUrl, type StoreDatabases } from '../fixtures/pg-store.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { readZip } from '../fixtures/zip.js';

let dbs: StoreDatabases;
let g: SshGateway;

before(async () => {
  dbs = await startStoreDatabases();
  const { name } = await dbs.create();
  g = await SshGateway.start({ top: `store: { kind: postgres, url: "${storeUrl(dbs.server, name)}" }` });
});
after(async () => {
  await g?.stop();
  await dbs?.stop();
});

/** An interactive ssh session through the gateway, typed into over time. */
function shell(): { type(line: string): void; waitFor(text: string, ms?: number): Promise<void>; done: Promise<{ code: number | null; out: Buffer }> } {
  const child = spawn('ssh', ['-tt', ...g.sshArgs()], { stdio: ['pipe', 'pipe', 'pipe'] });
  const parts: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise<{ code: number | null; out: Buffer }>((resolve) => child.once('close', (code) => resolve({ code, out: Buffer.concat(parts) })));
  return {
    type: (line) => void child.stdin.write(`${line}\n`),
    async waitFor(text, ms = 15_000) {
      const until = Date.now() + ms;
      while (!Buffer.concat(parts).includes(text)) {
        if (Date.now() > until || child.exitCode !== null) {
          child.kill();
          throw new Error(`no ${JSON.stringify(text)} from the session: ${Buffer.concat(parts).toString()}\n--- gateway log:\n${g.log.slice(-4000)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    done,
  };
}

async function waitForLog(pattern: RegExp, from: number, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!pattern.test(g.log.slice(from))) {
    if (Date.now() > until) throw new Error(`the gateway never logged ${pattern}:\n${g.log.slice(from)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Exports the recording, replays its typescript and compares it with what the client saw; then verifies it. */
async function assertWhole(id: string, clientSaw: Buffer): Promise<void> {
  const out = join(g.home.dir, `${id}.zip`);
  const r = await g.home.cli(['recordings', 'export', id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const files = await readZip(out);
  const dir = join(g.home.dir, `replay-${id}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'r.tm'), files.get(`${id}.tm`)!);
  await writeFile(join(dir, 'r.tys'), files.get(`${id}.tys`)!);
  const replay = await run('scriptreplay', ['--maxdelay', '0.0001', '-t', join(dir, 'r.tm'), join(dir, 'r.tys')]);
  assert.equal(replay.code, 0, replay.stderr);
  // scriptreplay adds one newline of its own at the end.
  assert.ok(replay.stdoutBytes.subarray(0, -1).equals(clientSaw), `replayed ${replay.stdoutBytes.length - 1} bytes, the client saw ${clientSaw.length}`);
  const v = await g.home.cli(['recordings', 'verify', id]);
  assert.equal(v.code, 0, `${v.stdout}${v.stderr}`);
}

/** Resolves once the gateway holds a store connection (its pool's application name is "recgate"). */
async function untilStoreConnection(): Promise<void> {
  const sessions = (): ReturnType<typeof dbs.server.psql> =>
    dbs.server.psql(['-Atc', 'SELECT application_name FROM pg_stat_activity WHERE backend_type = $$client backend$$'], { user: 'postgres', database: 'postgres' });
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    if ((await sessions()).stdout.split('\n').includes('recgate')) return;
  }
  const last = await sessions();
  throw new Error(`the gateway opened no store connection within 15 s; the server's client sessions:\n${last.stdout}${last.stderr}`);
}

/**
 * Ends the gateway's store connections with pg_terminate_backend once it holds
 * one: after a kill, the pool opens its next connection only when a write comes.
 */
async function killStoreConnections(): Promise<void> {
  await untilStoreConnection();
  assert.ok((await dbs.server.terminateBackends('recgate')) > 0, 'the gateway holds store connections');
}

/** The newest recording once it is complete: its end may wait in the spool until the store takes writes again (backoff up to 2 s, slower on a loaded machine). */
async function latest(): Promise<{ id: string; status: string }> {
  let seen: { id: string; status: string } | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    seen = (await g.recordings()).at(-1);
    if (seen?.status === 'complete') return seen;
  }
  const problems = g.log.split('\n').filter((line) => /"level":(40|50)/.test(line));
  throw new Error(`no complete recording within 60 s (the newest: ${JSON.stringify(seen)}); the gateway's warnings and errors:\n${problems.join('\n').slice(-6000)}`);
}

test('PostgreSQL stopped for 30 s mid-session: the session goes on, the spool drains, the export is whole and verifies', async () => {
  const s = shell();
  s.type('echo BEFORE-$((40+2))');
  // The target's login shell may take a while to start on a loaded machine.
  await s.waitFor('BEFORE-42', 120_000);
  const mark = g.log.length;
  await dbs.server.stopServer();
  try {
    // Typed during the outage: the session answers as ever.
    for (let i = 1; i <= 6; i++) {
      s.type(`echo DURING-$((${i}*111))`);
      await s.waitFor(`DURING-${i * 111}`);
      await new Promise((r) => setTimeout(r, 5000));
    }
    await waitForLog(/store unreachable: writes go to the local spool/, mark);
  } finally {
    await dbs.server.startServer();
  }
  await waitForLog(/spool replayed into the store/, mark, 30_000);
  s.type('echo AFTER-$((7*6))');
  await s.waitFor('AFTER-42');
  s.type('exit');
  const { code, out } = await s.done;
  assert.equal(code, 0);
  const rec = await latest();
  await assertWhole(rec.id, out);
});

test('a restart of PostgreSQL and store connections killed with pg_terminate_backend: logged, nothing lost', async () => {
  const s = shell();
  s.type('echo ONE-$((1+1))');
  await s.waitFor('ONE-2', 120_000);
  const mark = g.log.length;
  await killStoreConnections();
  for (let i = 0; i < 5; i++) {
    s.type(`seq ${i * 100} ${i * 100 + 99} | tr '\\n' ' '; echo KILL-${i}`);
    await s.waitFor(`KILL-${i}\r`);
    // The output's write may land on a connection opened after the last kill: kill that one too.
    await killStoreConnections();
    await new Promise((r) => setTimeout(r, 300));
  }
  await waitForLog(/idle connection failed|store unreachable/, mark);
  // Output flows while the server restarts: writes meet the restart.
  const restartMark = g.log.length;
  s.type('for i in $(seq 1 30); do echo TICK-$i; sleep 0.1; done');
  await s.waitFor('TICK-5\r');
  // A restart is the gateway's to notice only through a connection it holds or a write it tries.
  await untilStoreConnection();
  await dbs.server.restart();
  await s.waitFor('TICK-30\r');
  s.type('echo TWO-$((2+2))');
  await s.waitFor('TWO-4');
  await waitForLog(/idle connection failed|store unreachable/, restartMark);
  s.type('exit');
  const { code, out } = await s.done;
  assert.equal(code, 0);
  const rec = await latest();
  await assertWhole(rec.id, out);
  assert.doesNotMatch(g.log, new RegExp(dbs.server.password), 'the store password never reaches the log');
});
