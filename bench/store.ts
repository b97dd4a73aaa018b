/**
 * Store benchmark: the PostgreSQL store against the local store.
 *
 *   npm run bench:store -- [--mib N] [--recordings N] [--sessions 1,10,100] [--parts writes,rotation]
 *
 * Tables:
 *   writes    Recorder-shaped writes: per session one recording, one tty
 *             stream, 64 KiB sealed-size chunks appended one call at a time,
 *             a checkpoint every 8 chunks, finalize at the end; 1, 10 and 100
 *             sessions at once sharing --mib MiB. Chunks/s, MB/s, the
 *             gateway's CPU per MB (this process: driver, framing, fs calls)
 *             and the store server's CPU per MB (PostgreSQL's processes).
 *             PostgreSQL runs with fsync and synchronous_commit on, as a
 *             store must; the local store fsyncs at each checkpoint.
 *   list      --recordings finished recordings in PostgreSQL: listing with
 *             a user filter, a page of 50 newest, a day, and everything.
 *   rotation  rotateRecordings (what `recgate keys rotate` does) over the
 *             same --recordings recordings: goal 100 000 in ≤ 10 s. Wall
 *             time, and the CPU time of this process (worker threads
 *             included) and of PostgreSQL, which on a shared machine say
 *             more than the wall time. `--parts rotation` skips the writes
 *             (the list table comes with the rotation's seeding).
 *
 * Linux only (CPU time from /proc).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.js';
import { Secret } from '../src/config/secret.js';
import { silentLogger } from '../src/log.js';
import { toBase64 } from '../src/seal/encoding.js';
import { generateAuditorKey } from '../src/seal/keys.js';
import { MANIFEST_FORMAT, type Manifest } from '../src/seal/manifest.js';
import { nativeSodium } from '../src/seal/sodium-native.js';
import { newRecordingId } from '../src/store/ids.js';
import { LocalStore } from '../src/store/local.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { rotateRecordings } from '../src/store/rotation.js';
import { rotateRecipient } from '../src/seal/rotate.js';
import type { RecordingStore } from '../src/store/types.js';
import { startPostgres, type Postgres } from '../test/fixtures/postgres.js';
import { seedRecordings, storeUrl } from '../test/fixtures/pg-store.js';
import { machineLine } from './report.js';

const CHUNK = 64 * 1024;
const CHECKPOINT_EVERY = 8;
const MB = 1e6;

const CLOCK_TICKS = 100;
function treeCpuSeconds(root: number): number {
  const stat = (pid: number): string[] | undefined => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined;
    }
  };
  const parents = new Map<number, number>();
  for (const e of readdirSync('/proc')) if (/^\d+$/.test(e)) parents.set(Number(e), Number(stat(Number(e))?.[1]));
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parents) if (ppid === pids[i]) pids.push(pid);
  let ticks = 0;
  for (const f of pids.map(stat)) if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks / CLOCK_TICKS;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function manifestFor(i: number): Manifest {
  const startedAt = new Date().toISOString();
  const id = newRecordingId();
  return {
    format: MANIFEST_FORMAT,
    id,
    meta: { id, user: `user-${i % 10}`, target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1', startedAt },
    signer: 'AAAA',
    streams: [{ id: 1, name: 'tty', kind: 'tty', channel: 0, noncePrefix: 'AAAA' }],
    recipients: [{ kid: '0011223344556677', sealedKey: 'AAAA' }],
  };
}

/** One session: a recording written the way the Recorder writes it. */
async function session(store: RecordingStore, i: number, chunks: number, pool: Uint8Array[]): Promise<void> {
  const m = manifestFor(i);
  await store.create(m);
  const cp = (seq: number) => ({ recording: m.id, seq, at: new Date().toISOString(), metaHash: 'x', streams: [], signature: 's' });
  let seq = 0;
  for (let c = 0; c < chunks; c++) {
    await store.appendChunks(m.id, 1, c, [pool[(i + c) % pool.length]!]);
    if ((c + 1) % CHECKPOINT_EVERY === 0) await store.checkpoint(m.id, cp(seq++));
  }
  await store.finalize(m.id, cp(seq), { endedAt: new Date().toISOString(), endReason: 'closed' });
}

async function measureWrites(name: string, open: () => RecordingStore, serverPid: number | undefined, sessions: number, mib: number): Promise<string[]> {
  const pool = Array.from({ length: 64 }, () => new Uint8Array(randomBytes(CHUNK)));
  const perSession = Math.max(1, Math.ceil((mib * 16) / sessions));
  const store = open();
  await store.list({ limit: 1 }); // opens (migrates) outside the timing
  const cpu0 = process.cpuUsage();
  const server0 = serverPid ? treeCpuSeconds(serverPid) : 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: sessions }, (_, i) => session(store, i, perSession, pool)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu = serverPid ? treeCpuSeconds(serverPid) - server0 : undefined;
  await store.close();
  const chunks = perSession * sessions;
  const mb = (chunks * CHUNK) / MB;
  const gatewayMs = (cpu.user + cpu.system) / 1000;
  return [
    name,
    String(sessions),
    String(chunks),
    (chunks / seconds).toFixed(0),
    (mb / seconds).toFixed(1),
    (gatewayMs / mb).toFixed(2),
    serverCpu === undefined ? '(in-process fs)' : ((serverCpu * 1000) / mb).toFixed(2),
  ];
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: {
      mib: { type: 'string', default: '64' },
      recordings: { type: 'string', default: '100000' },
      sessions: { type: 'string', default: '1,10,100' },
      parts: { type: 'string', default: 'writes,rotation' },
    },
  });
  const parts = new Set(values.parts.split(','));
  const mib = Number(values.mib);
  const count = Number(values.recordings);
  const sessionCounts = values.sessions.split(',').map(Number);
  console.log(`recgate store benchmark: node ${process.version}; MB = 10^6 bytes`);
  console.log(machineLine());
  const server: Postgres = await startPostgres({ conf: ['fsync = on', 'synchronous_commit = on', 'full_page_writes = on', 'shared_buffers = 128MB'] });
  const dirs: string[] = [];
  try {
    const url = new Secret(storeUrl(server), 'bench');
    const rows: string[][] = [];
    for (const sessions of parts.has('writes') ? sessionCounts : []) {
      const dir = await mkdtemp(join(tmpdir(), 'recgate-bench-store-'));
      dirs.push(dir);
      rows.push(await measureWrites('local', () => new LocalStore(dir), undefined, sessions, mib));
      rows.push(await measureWrites('postgres', () => new PostgresStore(url, { nodeId: 'bench', log: silentLogger() }), server.pid, sessions, mib));
    }
    if (rows.length > 0) {
      console.log(`\nwrites: ${mib} MiB of 64 KiB chunks per row, a checkpoint every ${CHECKPOINT_EVERY} chunks per session`);
      console.log(table(['store', 'sessions', 'chunks', 'chunks/s', 'MB/s', 'gateway CPU ms/MB', 'server CPU ms/MB'], rows));
    }
    if (!parts.has('rotation')) return;

    const store = new PostgresStore(url, { nodeId: 'bench', log: silentLogger() });
    const s = nativeSodium();
    const old = generateAuditorKey(s);
    const next = generateAuditorKey(s);
    const sealedKeys = Array.from({ length: 1000 }, () => toBase64(s.boxSeal(s.randomBytes(32), old.publicKey)));
    await store.list({ limit: 1 });
    const loadBefore = loadavg()[0]!.toFixed(1);
    const seeded = await timed(() => seedRecordings(store.pool, { count, kid: old.kid, sealedKeys, from: Date.parse('2025-01-01T00:00:00Z') }));
    await store.pool.query('ANALYZE');
    const day = { since: '2025-01-01T01:00:00Z', until: '2025-01-01T02:00:00Z' };
    const lists: [string, Parameters<RecordingStore['list']>[0]][] = [
      ['user = user-7 (1 in 100)', { user: 'user-7' }],
      ['user = user-7, 50 newest', { user: 'user-7', descending: true, limit: 50 }],
      ['one hour (since/until)', day],
      ['everything', {}],
    ];
    const listRows: string[][] = [];
    for (const [what, filter] of lists) {
      await store.list(filter); // warm
      const r = await timed(() => store.list(filter));
      listRows.push([what, String(r.value.length), r.ms.toFixed(0)]);
    }
    const total = (await store.list({ limit: 1 })).length > 0 ? count : 0;
    console.log(`\nlist: ${total} recordings in PostgreSQL (seeded in ${(seeded.ms / 1000).toFixed(1)} s)`);
    console.log(table(['filter', 'rows', 'ms'], listRows));

    // CPU seconds as well as wall time: on a shared machine the wall time says more about the neighbours.
    const cpu0 = process.cpuUsage();
    const server0 = treeCpuSeconds(server.pid);
    const rotation = await timed(() => rotateRecordings(s, store, old, { publicKey: next.publicKey, name: 'next' }));
    const cpu = process.cpuUsage(cpu0);
    const serverCpu = treeCpuSeconds(server.pid) - server0;
    console.log(`\nrotation (keys rotate) of ${rotation.value.rotated} recordings in PostgreSQL (goal ≤ 10 s for 100 000):`);
    console.log(
      table(
        ['wall s', 'gateway CPU s (all threads)', 'server CPU s', 'load average before'],
        [[(rotation.ms / 1000).toFixed(1), ((cpu.user + cpu.system) / 1e6).toFixed(1), serverCpu.toFixed(1), loadBefore]],
      ),
    );
    // The floor: the re-sealing alone (open K, seal K for the new key), one thread, no store.
    const sample = (await store.recipientsMany((await store.list({ limit: 2000 })).map((r) => r.id))) as unknown as Manifest[];
    const alone0 = process.cpuUsage();
    for (const m of sample) rotateRecipient(s, m, next, old);
    const alone = process.cpuUsage(alone0);
    const perRecording = (alone.user + alone.system) / sample.length;
    console.log(`re-sealing alone: ${perRecording.toFixed(0)} µs CPU a recording on one thread = ${((perRecording * count) / 1e6).toFixed(1)} s CPU for ${count}`);
    await store.close();
  } finally {
    await server.stop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
