/**
 * The spool's limits with the PostgreSQL store down, end to end (`recgate
 * start`, a real PostgreSQL, the real ssh client): a spool full at
 * `store.spool.maxBytes` ends a session whose recording is required, with
 * the message the person sees; a full disk under the spool (a 64 KiB tmpfs
 * mounted for the test) is logged clearly and the session goes on. Either
 * way what the spool acknowledged reaches the store once it is back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { startStoreDatabases, storeUrl, type StoreDatabases } from '../fixtures/pg-store.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { Tmux } from '../fixtures/tmux.js';

let dbs: StoreDatabases;
const gateways: SshGateway[] = [];
let mountPoint: string | undefined;

before(async () => {
  dbs = await startStoreDatabases();
});
after(async () => {
  for (const g of gateways) await g.stop();
  if (mountPoint) {
    await run('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  }
  await dbs?.stop();
});

async function gateway(spool: string, target = ''): Promise<{ g: SshGateway; database: string }> {
  const { name } = await dbs.create();
  const g = await SshGateway.start({ top: `store: { kind: postgres, url: "${storeUrl(dbs.server, name)}", spool: ${spool} }`, target });
  gateways.push(g);
  return { g, database: name };
}

async function waitForLog(g: SshGateway, pattern: RegExp, from: number, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!pattern.test(g.log.slice(from))) {
    if (Date.now() > until) throw new Error(`the gateway never logged ${pattern}:\n${g.log.slice(from)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Chunks the store holds of a recording, counted in PostgreSQL itself. */
async function storedChunks(database: string, id: string): Promise<number> {
  const r = await dbs.server.psql(['-qAt', '-d', database, '-c', `SELECT count(*) FROM chunks WHERE recording = '${id}'`]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('recording required and the spool full: the session is ended with a message the person sees; what was spooled reaches the store', async () => {
  const { g, database } = await gateway('{ maxBytes: 8KiB }', 'recording: { required: true }');
  const term = await Tmux.start(['ssh', ...g.sshArgs()], 100, 30);
  try {
    // The target's login shell may take a while on a loaded machine.
    await term.waitFor(/:~[#$]/, 120_000);
    const mark = g.log.length;
    await dbs.server.stopServer();
    try {
      term.type('echo SPOOLED-$((6*7))');
      await term.waitFor(/SPOOLED-42/);
      await waitForLog(g, /store unreachable: writes go to the local spool/, mark);
      // More than the spool may hold.
      await term.type('head -c 9000 /dev/zero | od -An -v | head -c 12000; echo');
      const screens: string[] = [];
      const watching = setInterval(() => void term.screen().then((x) => screens.push(x)), 50);
      await term.waitFor(/recording of this session failed; session ended/, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${[...new Set(screens)].slice(-2).map((x) => x.trimEnd().split('\n').slice(-8).join('\n')).join('\n-----\n')}`);
      }).finally(() => clearInterval(watching));
      await waitForLog(g, /the spool is full/, mark);
      await waitForLog(g, /recording failed; closing the session/, mark);
    } finally {
      await dbs.server.startServer();
    }
    await waitForLog(g, /spool replayed into the store/, mark);
  } finally {
    await term.stop();
  }
  const rec = (await g.recordings()).at(-1)!;
  assert.ok((await storedChunks(database, rec.id)) > 0, 'the acknowledged chunks are in the store');
});

test('a full disk under the spool: a clear log line, the session goes on, what was spooled reaches the store', async () => {
  mountPoint = await mkdtemp(join(tmpdir(), 'recgate-spool-tmpfs-'));
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mountPoint]);
  assert.equal(mounted.code, 0, `mounting a tmpfs needs root: ${mounted.stderr}`);
  const { g, database } = await gateway(`{ dir: ${mountPoint} }`);
  const mark = g.log.length;
  await dbs.server.stopServer();
  let r: Awaited<ReturnType<typeof run>>;
  try {
    // Some 10 KB/s for 15 s: more than the 64 KiB disk holds, in many writes.
    r = await g.ssh(['-tt', ...g.sshArgs(), 'for i in $(seq 1 150); do head -c 750 /dev/urandom | base64 -w 100; sleep 0.1; done; echo STILL-HERE'], { input: '' });
  } finally {
    await dbs.server.startServer();
  }
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /STILL-HERE/);
  await waitForLog(g, /cannot spool a write/, mark);
  assert.match(g.log.slice(mark), /ENOSPC|no space left/i);
  await waitForLog(g, /recording failed; the session goes on unrecorded/, mark);
  await waitForLog(g, /spool replayed into the store/, mark);
  const rec = (await g.recordings()).at(-1)!;
  assert.ok((await storedChunks(database, rec.id)) > 0, 'the acknowledged chunks are in the store');
});
