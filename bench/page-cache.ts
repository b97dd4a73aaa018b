/**
 * What the store's page-cache advice (src/store/page-cache.ts) saves: a
 * session's terminal output recorded at a steady rate through the Recorder
 * into a LocalStore, with the advice and without, in alternated rounds.
 *
 *   node dist/bench/page-cache.js [--mb-per-second 40] [--seconds 10] [--rounds 3]
 *
 * 40 MB/s is what the gateway records of sysbench's read_only at 1 000
 * transactions a second (40 KB of transcript each). Per round: this
 * process's CPU (all its threads: sealing on the event loop, the store's
 * writes on libuv's pool) per MB recorded, split into user and system time,
 * and how much of the recording's files is still in the page cache at the
 * end (`fincore`, util-linux). The time the kernel spends filling page-cache
 * pages depends on the machine: on a virtual machine that hands memory back
 * to its host, a page written for the first time costs several times the copy.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchArgs } from './args.js';
import { silentLogger } from '../src/log.js';
import { Recorder } from '../src/recording/recorder.js';
import { generateAuditorKey } from '../src/seal/keys.js';
import { generateSigningKey } from '../src/seal/signing.js';
import { defaultSodium } from '../src/seal/sodium.js';
import { LocalStore } from '../src/store/local.js';
import { pageCache } from '../src/store/page-cache.js';
import { machineLine } from './report.js';

const MB = 1e6;
const TICK_MS = 10;
const WRITE = 4096;

interface Round {
  advice: boolean;
  userNsPerByte: number;
  systemNsPerByte: number;
  residentMiB: number;
  writtenMiB: number;
}

/** Printable terminal lines, varied so that nothing downstream sees one block repeated. */
function output(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = i % 97 === 96 ? 10 : 32 + ((i * 7919) % 95);
  return out;
}

/** Bytes of the files under `dir` in the page cache, and their size. */
function resident(dir: string): { resident: number; size: number } {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.chunks'))
    .map((e) => join(e.parentPath, e.name));
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES,SIZE', ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fincore failed: ${r.stderr || r.error?.message}`);
  let res = 0;
  let size = 0;
  for (const line of r.stdout.trim().split('\n')) {
    const [a, b] = line.trim().split(/\s+/).map(Number);
    res += a ?? 0;
    size += b ?? 0;
  }
  return { resident: res, size };
}

async function round(advice: boolean, rate: number, seconds: number): Promise<Round> {
  const sodium = defaultSodium();
  const dir = await mkdtemp(join(tmpdir(), 'recgate-page-cache-'));
  const store = new LocalStore(dir, { pageCache: advice ? pageCache : null });
  try {
    const recorder = await Recorder.start(
      { store, sodium, signer: generateSigningKey(sodium), recipients: [generateAuditorKey(sodium)], log: silentLogger() },
      { user: 'bench', target: 'bench', protocol: 'ssh', clientAddress: '127.0.0.1' },
    );
    const data = output(1024 * 1024 + WRITE);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let written = 0;
    for (;;) {
      const elapsed = (performance.now() - t0) / 1000;
      if (elapsed >= seconds) break;
      while (written < elapsed * rate * MB) {
        const off = (written * 31) % (1024 * 1024);
        if (!recorder.output(data.subarray(off, off + WRITE))) await new Promise((r) => recorder.once('drain', r));
        written += WRITE;
      }
      await sleep(TICK_MS);
    }
    await recorder.end('closed');
    const cpu = process.cpuUsage(cpu0);
    const r = resident(join(dir, 'recordings'));
    return { advice, userNsPerByte: (cpu.user * 1000) / written, systemNsPerByte: (cpu.system * 1000) / written, residentMiB: r.resident / 2 ** 20, writtenMiB: r.size / 2 ** 20 };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: { 'mb-per-second': { type: 'string', default: '40' }, seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' } } });
  const rate = Number(values['mb-per-second']);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  if (!pageCache) throw new Error('the page-cache addon is not built (dist/native/page-cache.node): run npm run build with a C compiler');
  console.log(`recgate page-cache advice: ${rate} MB/s of terminal output recorded for ${seconds} s, ${rounds} alternated rounds`);
  console.log(machineLine());
  const results: Round[] = [];
  for (let i = 0; i < rounds; i++) for (const advice of [false, true]) results.push(await round(advice, rate, seconds));
  console.log('\nstore file pages            CPU ns/B (user + system)  system ns/B  left in page cache');
  for (const r of results) {
    const label = r.advice ? 'advised away (default)' : 'left cached';
    const total = (r.userNsPerByte + r.systemNsPerByte).toFixed(2);
    console.log(`${label.padEnd(26)}  ${total.padStart(24)}  ${r.systemNsPerByte.toFixed(2).padStart(11)}  ${r.residentMiB.toFixed(1)} of ${r.writtenMiB.toFixed(1)} MiB`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
