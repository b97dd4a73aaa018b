/**
 * Console benchmark, in one run:
 *
 * - one page of the recordings list deep into a large index, keyset paging
 *   (what the console does) beside OFFSET paging on the same SQLite table;
 * - a filtered page of that list, in the index and through the real console
 *   (HTTP round trip on loopback: an upper bound of the server's time);
 * - in a real headless Chromium against a real gateway, with recordings
 *   made by the gateway's own recorder and sealer (bench/console-recorder.ts):
 *   Play to the first frame of a --mb MiB recording, and a seek to an event
 *   of a one-hour recording until the player shows it;
 * - opening chunks in the page (libsodium wasm) beside sodium-native.
 *
 *   node dist/bench/console.js [--rows N] [--page N] [--runs N] [--mb N] [--plays N] [--seeks N] [--decrypt MiB]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import { encodeCursor } from '../src/console/routes-recordings.js';
import { SqliteIndex } from '../src/store/sqlite-index.js';
import type { ListFilter } from '../src/store/types.js';
import { launchBrowser } from '../test/fixtures/browser.js';
import { ACCOUNTS, ConsoleClient, startConsoleGateway } from '../test/fixtures/console-gateway.js';
import type { GatewayHome } from '../test/fixtures/gateway-env.js';
import { parseOptions } from './common.js';
import { machineLine } from './report.js';
import { clickUntilShown, decryptThroughput, showTarget, signInAndUnlock } from './console-page.js';

const options = parseOptions({ rows: 100_000, page: 50, runs: 20, mb: 100, plays: 3, seeks: 5, decrypt: 64 });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(runs: number, fn: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 0)} ms`;

/** Runs bench/console-recorder.js against the home's config; resolves with the recording id. */
function record(home: GatewayHome, kind: 'busy' | 'long'): Promise<string> {
  const script = fileURLToPath(new URL('./console-recorder.js', import.meta.url));
  const child = spawn(process.execPath, ['--no-warnings', script, home.configPath, kind, String(options.mb)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const id = /^id (\S+)$/m.exec(out)?.[1];
      if (code === 0 && id && out.includes('ended true')) resolve(id);
      else reject(new Error(`console-recorder ${kind} exited ${code}: ${out}`));
    }),
  );
}

/** Index rows beside the real recordings: users, targets, protocols and statuses in known shares. */
function fillIndex(file: string): void {
  const raw = new Database(file);
  const insert = raw.prepare(
    "INSERT INTO recordings (id, user, target, protocol, client_address, started_at, status, recipients) VALUES (?, ?, ?, ?, '10.0.0.1', ?, ?, '[]')",
  );
  const started = performance.now();
  raw.exec('BEGIN');
  for (let i = 0; i < options.rows; i++) {
    const protocol = i % 50 === 3 ? 'rdp' : i % 10 === 0 ? 'postgres' : 'ssh';
    const status = i % 1000 === 999 ? 'interrupted' : 'complete';
    insert.run(`rec-${String(i).padStart(8, '0')}`, `user${i % 50}`, `target${i % 200}`, protocol, new Date(Date.UTC(2025, 0, 1) + i * 7_000).toISOString(), status);
  }
  raw.exec('COMMIT');
  raw.close();
  process.stderr.write(`filled ${options.rows} rows in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

function listTable(file: string): void {
  const index = new SqliteIndex(file);
  const raw = new Database(file);
  const all = index.list({ descending: true });
  console.log(`\nrecordings list, ${all.length} rows, ${options.page} per page, newest first, median of ${options.runs}`);
  console.log('position   keyset (console)   OFFSET (baseline)');
  for (const share of [0, 0.5, 0.9, 1]) {
    const offset = Math.min(all.length - options.page, Math.floor(share * all.length));
    const before = offset === 0 ? undefined : all[offset - 1]!;
    const keyset = time(options.runs, () =>
      index.list({ descending: true, limit: options.page, ...(before ? { after: { startedAt: before.startedAt, id: before.id } } : {}) }),
    );
    const byOffset = raw.prepare('SELECT * FROM recordings ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?');
    const baseline = time(options.runs, () => byOffset.all(options.page, offset));
    console.log(`${`${Math.round(share * 100)} %`.padEnd(10)} ${ms(keyset).padEnd(18)} ${ms(baseline)}`);
  }
  raw.close();
  index.close();
}

const FILTERS: [string, Record<string, string>][] = [
  ['user (2 %)', { user: 'user7' }],
  ['target (0.5 %)', { target: 'target42' }],
  ['protocol rdp (2 %)', { protocol: 'rdp' }],
  ['status interrupted (0.1 %)', { status: 'interrupted' }],
  ['one day', { from: '2025-01-03T00:00:00.000Z', to: '2025-01-04T00:00:00.000Z' }],
  ['user + protocol, no match', { user: 'user8', protocol: 'rdp' }],
  ['user, 90 % deep', { user: 'user7', deep: '0.9' }],
];

async function filteredTable(file: string, base: string): Promise<void> {
  const index = new SqliteIndex(file);
  const client = new ConsoleClient(base);
  if ((await client.signIn(ACCOUNTS.officer)) !== 200) throw new Error('the officer could not sign in');
  console.log(`\nfiltered list page (${options.page} rows, newest first), median of ${options.runs}: goal <= 50 ms`);
  console.log('filter                        rows   index      console (HTTP)');
  for (const [name, q] of FILTERS) {
    const filter: ListFilter = { descending: true, limit: options.page + 1 };
    if (q.user) filter.user = q.user;
    if (q.target) filter.target = q.target;
    if (q.protocol) filter.protocol = q.protocol;
    if (q.status) filter.status = q.status as ListFilter['status'];
    if (q.from) filter.since = q.from;
    if (q.to) filter.until = q.to;
    const matching = index.list({ ...filter, limit: undefined });
    if (q.deep && matching.length > 0) {
      const at = matching[Math.floor(Number(q.deep) * matching.length) - 1]!;
      filter.after = { startedAt: at.startedAt, id: at.id };
    }
    const local = time(options.runs, () => index.list(filter));
    const params = new URLSearchParams({ limit: String(options.page) });
    for (const [k, v] of Object.entries(q)) if (k !== 'deep') params.set(k, v);
    if (filter.after) params.set('after', encodeCursor(filter.after));
    const samples: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const start = performance.now();
      const r = await client.request('GET', `/api/recordings?${params.toString()}`);
      samples.push(performance.now() - start);
      if (r.status !== 200) throw new Error(`list ${params.toString()} answered ${r.status}: ${r.bytes.toString()}`);
    }
    console.log(`${name.padEnd(29)} ${String(matching.length).padStart(5)}  ${ms(local).padEnd(10)} ${ms(median(samples))}`);
  }
  index.close();
}

async function playerTable(base: string, home: GatewayHome): Promise<void> {
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    await signInAndUnlock(page, base, home.key('officer'));
    const play: number[] = [];
    for (let i = 0; i < options.plays; i++) {
      await showTarget(page, 'busy01');
      play.push(await clickUntilShown(page, '#rows button', 'RG-BENCH-START', 300_000));
      await page.click('#back');
    }
    await showTarget(page, 'long01');
    const firstLong = await clickUntilShown(page, '#rows button', 'RG-BENCH-START', 300_000);
    await page.waitForSelector('#events button');
    const marks = ['45', '15', '30', '55', '05', '50', '25', '10', '35', '40'].slice(0, options.seeks);
    const seeks: number[] = [];
    for (const mm of marks) {
      const button = `#events li:nth-child(${Number(mm) / 5}) button`;
      seeks.push(await clickUntilShown(page, button, `RG-SEEK-${mm}`, 60_000));
    }
    console.log(`\nplayer in headless Chromium (${await browser.context.browser()?.version() ?? 'chromium'}), goal <= 200 ms`);
    console.log(`Play to first frame, ${options.mb} MiB recording   median ${ms(median(play))}, max ${ms(Math.max(...play))} (${play.length} runs)`);
    console.log(`Play to first frame, one-hour recording  ${ms(firstLong)}`);
    console.log(`seek to an event, one-hour recording     median ${ms(median(seeks))}, max ${ms(Math.max(...seeks))} (${seeks.length} seeks)`);
    const t = await decryptThroughput(page, options.decrypt);
    console.log(`\nopening ${options.decrypt} MiB in 64 KiB chunks (XChaCha20-Poly1305)`);
    console.log(`page (libsodium wasm)     ${t.wasm.toFixed(0)} MB/s`);
    console.log(`gateway (sodium-native)   ${t.native.toFixed(0)} MB/s`);
  } finally {
    await browser.close();
  }
}

console.log(machineLine());
const gw = await startConsoleGateway(async (home) => {
  const started = performance.now();
  const busy = await record(home, 'busy');
  const long = await record(home, 'long');
  process.stderr.write(`recorded ${busy} (${options.mb} MiB) and ${long} (one hour) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  fillIndex(join(home.dataDir, 'index.db'));
});
try {
  const file = join(gw.home.dataDir, 'index.db');
  listTable(file);
  await filteredTable(file, gw.base);
  await playerTable(gw.base, gw.home);
} finally {
  await gw.stop();
}
