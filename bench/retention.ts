/**
 * Retention benchmark: what moving recordings to the archive tier and
 * deleting them by crypto-shredding cost, per store kind.
 *
 *   node dist/bench/retention.js [--recordings N] [--mib M] [--skip-postgres]
 *
 * N finished recordings of M MiB each (64 KiB chunks of random bytes, a
 * checkpoint per 160 chunks) are written to the hot store, then:
 *   move     moveRecording to the archive: copy, compare every byte with the
 *            original, delete the original (the log entry is left out)
 *   delete   store.delete on the archived copies: keys destroyed (durably),
 *            then the chunks
 * Pairs: local → local (two data directories in tmpdir), postgres → postgres
 * (two databases of one server from test/fixtures/postgres.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.js';
import { silentLogger } from '../src/log.js';
import { MANIFEST_FORMAT, type Checkpoint, type Manifest } from '../src/seal/manifest.js';
import { moveRecording } from '../src/store/archive.js';
import { newRecordingId } from '../src/store/ids.js';
import { LocalStore } from '../src/store/local.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import type { RecordingStore } from '../src/store/types.js';
import { startStoreDatabases } from '../test/fixtures/pg-store.js';

const CHUNK = 64 * 1024;
const MIB = 1024 * 1024;
const CHECKPOINT_EVERY = 160;
const BATCH = 16;

const { values } = benchArgs({
  options: { recordings: { type: 'string', default: '20' }, mib: { type: 'string', default: '8' }, 'skip-postgres': { type: 'boolean', default: false } },
});
const count = Number(values.recordings);
const mib = Number(values.mib);

function manifestFor(id: string): Manifest {
  const startedAt = new Date().toISOString();
  return {
    format: MANIFEST_FORMAT,
    id,
    meta: { id, user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1', startedAt },
    signer: 'AAAA',
    streams: [{ id: 1, name: 'tty', kind: 'tty', channel: 0, noncePrefix: 'AAAA' }],
    recipients: [{ kid: '0011223344556677', sealedKey: randomBytes(80).toString('base64') }],
  };
}

const checkpointAt = (id: string, seq: number, chunks: number): Checkpoint => ({
  recording: id,
  seq,
  at: new Date().toISOString(),
  metaHash: 'x',
  streams: [{ id: 1, name: 'tty', noncePrefix: 'AAAA', chunks, hash: 'h', digests: [] }],
  signature: 's',
});

async function fill(store: RecordingStore): Promise<string[]> {
  const ids: string[] = [];
  const body = randomBytes(CHUNK);
  const chunks = (mib * MIB) / CHUNK;
  for (let r = 0; r < count; r++) {
    const id = newRecordingId();
    await store.create(manifestFor(id));
    let seq = 0;
    for (let i = 0; i < chunks; i += BATCH) {
      const n = Math.min(BATCH, chunks - i);
      await store.appendChunks(id, 1, i, Array.from({ length: n }, () => body));
      if ((i + n) % CHECKPOINT_EVERY === 0 && i + n < chunks) await store.checkpoint(id, checkpointAt(id, seq++, i + n));
    }
    await store.finalize(id, checkpointAt(id, seq, chunks), { endedAt: new Date().toISOString(), endReason: 'closed' });
    ids.push(id);
  }
  return ids;
}

interface Row {
  stores: string;
  operation: string;
  amount: string;
  seconds: string;
  rate: string;
}

async function measure(label: string, hot: RecordingStore, archive: RecordingStore): Promise<Row[]> {
  const ids = await fill(hot);
  const journal = { archived: async () => undefined };
  const log = silentLogger();
  let t = performance.now();
  for (const id of ids) await moveRecording(hot, archive, id, { journal, reason: 'bench', archive: 'bench', log });
  const move = (performance.now() - t) / 1000;
  t = performance.now();
  for (const id of ids) await archive.delete(id);
  const del = (performance.now() - t) / 1000;
  const total = count * mib;
  return [
    { stores: label, operation: 'move', amount: `${count} × ${mib} MiB`, seconds: move.toFixed(2), rate: `${(total / move).toFixed(1)} MiB/s, ${((move / count) * 1000).toFixed(0)} ms/recording` },
    { stores: label, operation: 'delete', amount: `${count} recordings`, seconds: del.toFixed(2), rate: `${((del / count) * 1000).toFixed(1)} ms/recording` },
  ];
}

const rows: Row[] = [];
const dirs = await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'recgate-bench-retention-'))));
try {
  const [a, b] = [new LocalStore(dirs[0]!), new LocalStore(dirs[1]!)];
  rows.push(...(await measure('local → local', a, b)));
  await a.close();
  await b.close();
} finally {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
if (!values['skip-postgres']) {
  const dbs = await startStoreDatabases();
  try {
    const [hot, archive] = [await dbs.create(), await dbs.create()];
    const a = new PostgresStore(hot.url, { nodeId: 'bench', log: silentLogger() });
    const b = new PostgresStore(archive.url, { nodeId: 'bench', log: silentLogger() });
    rows.push(...(await measure('postgres → postgres', a, b)));
    await a.close();
    await b.close();
  } finally {
    await dbs.stop();
  }
}
console.table(rows);
