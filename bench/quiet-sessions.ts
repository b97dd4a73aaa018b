/**
 * What many quiet recordings cost: N recordings open at once, each given a
 * database statement's transcript and event a few times a second (a pgbench
 * or sysbench client among hundreds), sealed into one LocalStore as the
 * gateway does. Their chunks are stored by the flush timer (1 s), not by
 * filling up, and every recording checkpoints every 10 s: this bench shows
 * what that fixed work per session and second costs, in alternated rounds
 * with both timers as by default, with one of them only, and with neither
 * within the run (its interval longer than the run).
 *
 *   node dist/bench/quiet-sessions.js [--sessions 500] [--rate 14] [--seconds 10] [--rounds 2]
 *                                     [--timers both,flush,checkpoint,none] [--io direct,pool]
 *                                     [--sync file,filesystem]
 *
 * Per round: this process's CPU (all threads: the event loop, and libuv's
 * pool doing the store's writes and fsyncs) per second and per statement,
 * its system share, and the chunks sealed per second. `--sync` picks how the
 * store's checkpoints sync (store/sync-group.ts; `filesystem` syncs the whole
 * filesystem of the temporary directory, whatever else is on it). The
 * recordings are started one after another, as a pool of clients connects:
 * their checkpoints share the grid points of those first seconds. 500 sessions at 14
 * statements a second is where pgbench -S with 500 clients runs the gateway
 * on a 2-core machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchArgs } from './args.js';
import { silentLogger } from '../src/log.js';
import { DEFAULT_RECORDER_OPTIONS, Recorder, type RecorderOptions } from '../src/recording/recorder.js';
import { generateAuditorKey } from '../src/seal/keys.js';
import { generateSigningKey } from '../src/seal/signing.js';
import { defaultSodium } from '../src/seal/sodium.js';
import { LocalStore } from '../src/store/local.js';
import { pageCache } from '../src/store/page-cache.js';
import { machineLine } from './report.js';

const TICK_MS = 2;
const WARMUP_MS = 2000;
const TRANSCRIPT = 'SELECT abalance FROM pgbench_accounts WHERE aid = 48213;\n abalance \n----------\n        0\n(1 row)\n\n';
const EVENT = '{"type":"query","t":0,"sql":"SELECT abalance FROM pgbench_accounts WHERE aid = 48213;","rows":1,"ms":0.21,"status":"ok"}';
const NEVER = 1e9;

/** Which of the recorder's timers run within the measured seconds. */
type Timers = 'both' | 'flush' | 'checkpoint' | 'none';

const LABELS: Record<Timers, string> = {
  both: 'flush 1 s, checkpoint 10 s',
  flush: 'flush 1 s only',
  checkpoint: 'checkpoint 10 s only',
  none: 'neither',
};

/** How the store appends: from the event loop while quick (its default), or as jobs on libuv's pool. */
type Io = 'direct' | 'pool';
const IOS: Io[] = ['direct', 'pool'];

type Sync = 'file' | 'filesystem';
const SYNCS: Sync[] = ['file', 'filesystem'];

interface Round {
  timers: Timers;
  io: Io;
  sync: Sync;
  cpuMsPerSecond: number;
  usPerStatement: number;
  systemUsPerStatement: number;
  chunksPerSecond: number;
}

async function round(timers: Timers, io: Io, sync: Sync, sessions: number, rate: number, seconds: number): Promise<Round> {
  const sodium = defaultSodium();
  const auditor = generateAuditorKey(sodium);
  const signer = generateSigningKey(sodium);
  const dir = await mkdtemp(join(tmpdir(), 'recgate-quiet-'));
  const store = new LocalStore(dir, { log: silentLogger(), pageCache, directWrites: io === 'direct', sync });
  const d = DEFAULT_RECORDER_OPTIONS;
  const options: RecorderOptions = {
    ...d,
    flushInterval: timers === 'both' || timers === 'flush' ? d.flushInterval : NEVER,
    checkpointInterval: timers === 'both' || timers === 'checkpoint' ? d.checkpointInterval : NEVER,
  };
  let chunks = 0;
  try {
    const recorders: Recorder[] = [];
    for (let k = 0; k < sessions; k++) {
      const deps = { store, sodium, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger(), onSealed: () => chunks++ };
      recorders.push(await Recorder.start(deps, { user: 'bench', target: 'db', protocol: 'postgres', clientAddress: '127.0.0.1' }, options));
    }
    // Each session's statements come at its own steady pace, the sessions' phases spread over a period.
    const period = 1000 / rate;
    const t0 = performance.now();
    const due = recorders.map((_, k) => t0 + (k * period) / sessions);
    let statements = 0;
    let cpu0 = process.cpuUsage();
    let counted = { statements: 0, chunks: 0 };
    for (let measuring = false; ; ) {
      const now = performance.now();
      if (!measuring && now - t0 >= WARMUP_MS) {
        measuring = true;
        cpu0 = process.cpuUsage();
        counted = { statements, chunks };
      }
      if (now - t0 >= WARMUP_MS + seconds * 1000) break;
      for (let k = 0; k < sessions; k++) {
        while (due[k]! <= now) {
          recorders[k]!.outputText(TRANSCRIPT);
          recorders[k]!.eventJson('query', EVENT);
          due[k]! += period;
          statements++;
        }
      }
      await sleep(TICK_MS);
    }
    const cpu = process.cpuUsage(cpu0);
    const n = statements - counted.statements;
    const sealed = chunks - counted.chunks;
    await Promise.all(recorders.map((r) => r.end('closed')));
    return {
      timers,
      io,
      sync,
      cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / seconds,
      usPerStatement: (cpu.user + cpu.system) / n,
      systemUsPerStatement: cpu.system / n,
      chunksPerSecond: sealed / seconds,
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: {
      sessions: { type: 'string', default: '500' },
      rate: { type: 'string', default: '14' },
      seconds: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      timers: { type: 'string', default: 'both,flush,checkpoint,none' },
      io: { type: 'string', default: 'direct' },
      sync: { type: 'string', default: 'file' },
    },
  });
  const sessions = Number(values.sessions);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  console.log(`recgate quiet sessions: ${sessions} recordings, ${rate} statements a second each, ${seconds} s measured after ${WARMUP_MS / 1000} s, ${rounds} alternated rounds`);
  console.log(machineLine());
  const results: Round[] = [];
  const all = values.timers.split(',') as Timers[];
  for (const t of all) if (!(t in LABELS)) throw new Error(`--timers: ${t} is not one of ${Object.keys(LABELS).join(', ')}`);
  const ios = values.io.split(',') as Io[];
  for (const io of ios) if (!IOS.includes(io)) throw new Error(`--io: ${io} is not one of ${IOS.join(', ')}`);
  const syncs = values.sync.split(',') as Sync[];
  for (const sync of syncs) if (!SYNCS.includes(sync)) throw new Error(`--sync: ${sync} is not one of ${SYNCS.join(', ')}`);
  for (let i = 0; i < rounds; i++) {
    for (const timers of all) for (const io of ios) for (const sync of syncs) results.push(await round(timers, io, sync, sessions, rate, seconds));
  }
  console.log('\ntimers in the run             io      sync        CPU ms/s  µs/statement  of it system  chunks/s');
  for (const r of results) {
    console.log(
      `${LABELS[r.timers].padEnd(27)}  ${r.io.padEnd(6)}  ${r.sync.padEnd(10)}  ${r.cpuMsPerSecond.toFixed(1).padStart(8)}  ${r.usPerStatement.toFixed(2).padStart(12)}  ${r.systemUsPerStatement.toFixed(2).padStart(12)}  ${r.chunksPerSecond.toFixed(0).padStart(8)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
