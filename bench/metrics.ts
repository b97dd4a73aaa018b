/**
 * Metrics benchmark: what /metrics and the store meter cost a node.
 *
 *   node scripts/bench.mjs metrics [--sessions 10,1000,10000] [--mib N]
 *
 * Rows:
 *   scrape        GatewayMetrics.render() (collectors included: live sessions
 *                 counted per protocol, the store's health, process figures)
 *                 with N live sessions, after traffic on every labelled series.
 *   Recorder      the whole recording path (4 KiB output writes, 64 KiB
 *                 chunks, sealed, appended to a LocalStore in a temporary
 *                 folder), straight to the store and through meterStore with
 *                 the plaintext hook: the meter's share of the write path.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.js';
import { silentLogger } from '../src/log.js';
import { GatewayMetrics } from '../src/metrics/gateway-metrics.js';
import { meterStore } from '../src/metrics/metered-store.js';
import { Recorder } from '../src/recording/recorder.js';
import { generateAuditorKey } from '../src/seal/keys.js';
import { generateSigningKey } from '../src/seal/signing.js';
import { defaultSodium } from '../src/seal/sodium.js';
import { LocalStore } from '../src/store/local.js';
import type { RecordingStore } from '../src/store/types.js';

const MIB = 1024 * 1024;
const PROTOCOLS = ['ssh', 'postgres', 'mysql', 'rdp'];
const REASONS = ['closed', 'terminated', 'idle-timeout', 'max-duration', 'target-closed', 'gateway-shutdown'];

function scrapeRow(sessions: number): string[] {
  const live = Array.from({ length: sessions }, (_, i) => PROTOCOLS[i % PROTOCOLS.length]!);
  const metrics = new GatewayMetrics(PROTOCOLS, { liveSessions: () => live, storeHealth: () => undefined, phase: () => 'serving' });
  for (const protocol of PROTOCOLS) {
    for (const reason of REASONS) metrics.sessionEnded(protocol, reason);
    for (const stream of ['tty', 'input', 'events', 'screen']) metrics.recorded(protocol, stream, 1000);
  }
  for (const op of ['create', 'addStream', 'appendChunks', 'checkpoint', 'finalize'] as const) metrics.write(op, 0.003, true);
  metrics.render();
  const rounds = 200;
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < rounds; i++) bytes += metrics.render().length;
  const ms = (performance.now() - t0) / rounds;
  metrics.close();
  return ['scrape', `${sessions} live sessions`, `${Math.round(bytes / rounds)} bytes`, `${ms.toFixed(3)} ms per scrape`];
}

async function recorderRow(metered: boolean, mib: number): Promise<string[]> {
  const s = defaultSodium();
  const dir = await mkdtemp(join(tmpdir(), 'recgate-bench-metrics-'));
  const metrics = new GatewayMetrics(PROTOCOLS, { liveSessions: () => [], storeHealth: () => undefined, phase: () => 'serving' });
  try {
    const local = new LocalStore(dir);
    const store: RecordingStore = metered ? meterStore(local, metrics) : local;
    const recorder = await Recorder.start(
      {
        store,
        sodium: s,
        signer: generateSigningKey(s),
        recipients: [{ name: 'officer', publicKey: generateAuditorKey(s).publicKey }],
        log: silentLogger(),
        ...(metered ? { onSealed: (stream: string, n: number) => metrics.recorded('ssh', stream, n) } : {}),
      },
      { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' },
      { flushInterval: 1000, chunkSize: 64 * 1024, checkpointInterval: 10_000, keystrokes: false },
    );
    const write = new Uint8Array(4096).fill(0x61);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let written = 0; written < mib * MIB; written += write.length) {
      if (!recorder.output(write)) await new Promise((resolve) => recorder.once('drain', resolve));
    }
    await recorder.end('closed');
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await local.close();
    const cpuPerMib = (cpu.user + cpu.system) / 1000 / mib;
    return ['Recorder', metered ? 'through meterStore' : 'straight to LocalStore', `${mib} MiB`, `${(mib / seconds).toFixed(1)} MiB/s, ${cpuPerMib.toFixed(2)} ms CPU/MiB`];
  } finally {
    metrics.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function table(rows: string[][]): string {
  const head = ['operation', 'case', 'amount', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const { values } = benchArgs({ options: { sessions: { type: 'string', default: '10,1000,10000' }, mib: { type: 'string', default: '256' } } });
const rows: string[][] = [];
for (const n of values.sessions.split(',').map(Number)) rows.push(scrapeRow(n));
const mib = Number(values.mib);
// Alternated, twice each, so a noisy neighbour weighs on both.
for (let i = 0; i < 2; i++) {
  rows.push(await recorderRow(false, mib));
  rows.push(await recorderRow(true, mib));
}
console.log(table(rows));
