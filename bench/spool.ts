/**
 * Spool benchmark: how fast writes go to the spool while PostgreSQL is down
 * (each append written and fsynced before it is acknowledged), and how fast
 * the spool is replayed into PostgreSQL once it is back.
 *
 *   node dist/bench/spool.js [--mib N] [--sessions N]
 *
 * A real PostgreSQL (the test fixture) and the real PostgresStore; N
 * recordings created while the store is up, then the server stopped, then
 * `--mib` MiB of 64 KiB chunks appended one per call, the sessions' appends
 * interleaved (as concurrent sessions do); then the server started and the
 * replay timed until the store is `up` again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './args.js';
import { silentLogger } from '../src/log.js';
import { MANIFEST_FORMAT, type Manifest } from '../src/seal/manifest.js';
import { newRecordingId } from '../src/store/ids.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { SpoolingStore } from '../src/store/spool/spooling-store.js';
import { startStoreDatabases } from '../test/fixtures/pg-store.js';

const CHUNK = 64 * 1024;

function manifest(): Manifest {
  const id = newRecordingId();
  return {
    format: MANIFEST_FORMAT,
    id,
    meta: { id, user: 'bench', target: 'db01', protocol: 'ssh', clientAddress: '127.0.0.1', startedAt: new Date().toISOString() },
    signer: Buffer.alloc(32, 1).toString('base64'),
    streams: [{ id: 1, name: 'tty', kind: 'tty', channel: 0, noncePrefix: Buffer.alloc(16, 2).toString('base64') }],
    recipients: [{ kid: '0011223344556677', sealedKey: Buffer.alloc(80, 3).toString('base64') }],
  };
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: { mib: { type: 'string', default: '64' }, sessions: { type: 'string', default: '10' } } });
  const chunks = Math.max(1, Math.round((Number(values.mib) * 1024 * 1024) / CHUNK));
  const sessions = Math.max(1, Number(values.sessions));
  const dbs = await startStoreDatabases();
  const dir = await mkdtemp(join(tmpdir(), 'recgate-bench-spool-'));
  try {
    const { url } = await dbs.create();
    const store = await SpoolingStore.open(new PostgresStore(url, { nodeId: 'bench', log: silentLogger() }), { dir, maxBytes: 8 * 1024 ** 3, log: silentLogger() });
    const ids: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const m = manifest();
      await store.create(m);
      ids.push(m.id);
    }
    await dbs.server.stopServer();
    const data = new Uint8Array(CHUNK).map((_, i) => i % 251);
    const next = ids.map(() => 0);
    const t0 = performance.now();
    // Each session appends its chunks in order; the sessions run side by side.
    await Promise.all(ids.map(async (id, s) => {
      for (let n = s; n < chunks; n += sessions) await store.appendChunks(id, 1, next[s]!++, [data]);
    }));
    const spoolMs = performance.now() - t0;
    const spooled = store.health();
    await dbs.server.startServer();
    const t1 = performance.now();
    while (store.health().state !== 'up') await new Promise((r) => setTimeout(r, 5));
    const drainMs = performance.now() - t1;
    const mib = (chunks * CHUNK) / 1024 ** 2;
    console.log(`spool benchmark: ${chunks} chunks of 64 KiB (${mib.toFixed(0)} MiB) from ${sessions} sessions`);
    console.log('phase                     seconds   MiB/s   chunks/s');
    console.log(`spool (store down)      ${(spoolMs / 1000).toFixed(2).padStart(9)} ${(mib / (spoolMs / 1000)).toFixed(1).padStart(7)} ${(chunks / (spoolMs / 1000)).toFixed(0).padStart(10)}`);
    console.log(`replay into PostgreSQL  ${(drainMs / 1000).toFixed(2).padStart(9)} ${(mib / (drainMs / 1000)).toFixed(1).padStart(7)} ${(chunks / (drainMs / 1000)).toFixed(0).padStart(10)}`);
    console.log(`(spooled ${spooled.spooledChunks} chunks, ${(spooled.spooledBytes / 1024 ** 2).toFixed(1)} MiB on disk; replayed ${store.health().drainedChunks})`);
    await store.close();
  } finally {
    await dbs.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
