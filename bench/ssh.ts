/**
 * SSH benchmark: the gateway (recording on) beside a direct sshd and an
 * OpenSSH ProxyJump bastion (a second sshd, the no-recording baseline), all
 * measured in one run on this machine.
 *
 *   node dist/bench/ssh.js [--mib 1024] [--keys 1000] [--warmup 3000] [--sessions 200] [--runs 1]
 *                          [--quick] [--only jump,recgate] [--cpu-prof DIR] [--echo-course] [--gc]
 *
 *   throughput   `head -c N /dev/zero` through the real ssh client, timed from its first byte;
 *                the CPU seconds the route's middle process spent per MB (the target's
 *                sshd for direct, the bastion's sshd for ProxyJump, the gateway's Node.js)
 *   keystrokes   echo round trip of single keystrokes in a pty running cat (ssh2 client), and
 *                the middle process' CPU per keystroke and echo, after --warmup keystrokes on
 *                the same session that are not measured: a gateway process compiles its
 *                keystroke path during its first few thousand keystrokes
 *                (V8's optimising compiler, on background threads that take one of the two
 *                cores), which a gateway that has been up a while has long done
 *   idle memory  RSS added per idle interactive session, over N concurrent sessions
 *
 * --echo-course prints, per row, how many echoes took longer than 0.5 ms in each 1 000
 * keystrokes from the session's first (the warm-up's too): where in the session the tail is.
 * --gc adds the gateway's garbage collections during each bulk run (bench/gc-stats.ts):
 * mark-compacts, and scavenges, with their main-thread milliseconds.
 * --quick is 256 MiB, 300 keystrokes after 1 000, 50 idle sessions. --cpu-prof writes the
 * gateway's V8 CPU profile into DIR when it stops. Every row carries the
 * 1-minute load average when it was measured: the machine may be shared.
 * Runs alternate between the routes (route A, route B, route A, ...), and each
 * starts once the machine is 90 % idle over a second (at most 60 s of waiting).
 *
 * Before the first run the bench writes and deletes a file as large as all the
 * recordings it will make, beside them. On a fresh VM, the first write into a
 * page of guest memory faults it in on the host: writing 1 GiB into the page
 * cache measured 1.56 s of system time on untouched memory against 0.13–0.16 s
 * on recycled memory (a server that has run a while only has the latter). Only
 * recgate writes files, so without this its CPU per MB grew from run to run by
 * that artifact (5.2 → 9.3 ms/MB between two identical runs).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.js';
import { gcDelta, gcTotals, type GcTotals } from './gc-stats.js';
import type ssh2 from 'ssh2';
import { cpuSeconds, load, printTable, rssKiB, shellPrompt, sleep, startSshRoutes, type SshRoute } from './ssh-routes.js';

interface Throughput {
  mbps: number;
  cpuPerMB: number;
}

async function throughput(route: SshRoute, mib: number): Promise<Throughput> {
  const pids = await route.pids();
  const cpu0 = cpuSeconds(pids);
  const child = spawn('ssh', [...route.sshArgs, `head -c ${mib * 1048576} /dev/zero`], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Timed from the first byte: the login and the target shell's start-up files are not the transfer.
  let t0 = 0;
  let bytes = 0;
  child.stdout.on('data', (d: Buffer) => {
    if (bytes === 0) t0 = performance.now();
    bytes += d.length;
  });
  await new Promise((r) => child.on('close', r));
  const seconds = (performance.now() - t0) / 1000;
  if (bytes !== mib * 1048576) throw new Error(`${route.name}: got ${bytes} bytes`);
  // The bastion's per-connection sshd is counted once its listener has reaped it.
  await sleep(500);
  const cpu = cpuSeconds(pids) - cpu0;
  return { mbps: bytes / 1e6 / seconds, cpuPerMB: cpu / (bytes / 1e6) };
}

interface Echoes {
  p50: number;
  p99: number;
  /** CPU µs the route's middle process spent per measured keystroke and its echo. */
  cpuUs: number;
  /** Per 1 000 keystrokes, warm-up included, how many echoes took longer than SLOW_ECHO_MS. */
  slow: number[];
}

/** An echo slower than this counts in the time course (--echo-course). */
const SLOW_ECHO_MS = 0.5;

async function keystrokes(route: SshRoute, count: number, warmup: number): Promise<Echoes> {
  const c = await route.connect();
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    c.shell({ term: 'dumb', cols: 80, rows: 24 }, (err, s) => (err ? reject(err) : resolve(s))),
  );
  // The echo is awaited on the channel's 'data' event, as a terminal waits in poll(): a client
  // that spun on setImmediate would take one of the machine's two cores from the processes it
  // measures, and the scheduler's tick (4 ms here) would decide when those get it back.
  let seen = '';
  let echoed: (() => void) | undefined;
  stream.on('data', (d: Buffer) => {
    seen += d.toString('latin1');
    if (echoed && seen.includes('k')) echoed();
  });
  stream.write('exec cat\n');
  await sleep(500);
  const times: number[] = [];
  const slow: number[] = [];
  let pids: number[] = [];
  let cpu0 = 0;
  for (let i = 0; i < warmup + count; i++) {
    if (i === warmup) {
      // Read now: the session's own processes (the bastion's and target's forks) exist by this time.
      pids = await route.pids();
      cpu0 = cpuSeconds(pids);
    }
    seen = '';
    const echo = new Promise<void>((resolve) => (echoed = resolve));
    const t0 = performance.now();
    stream.write('k');
    await echo;
    const ms = performance.now() - t0;
    if (i % 1000 === 0) slow.push(0);
    if (ms > SLOW_ECHO_MS) slow[slow.length - 1]!++;
    if (i >= warmup) times.push(ms);
  }
  echoed = undefined;
  const cpuUs = ((cpuSeconds(pids) - cpu0) * 1e6) / count;
  c.end();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(count * 0.5)]!, p99: times[Math.floor(count * 0.99)]!, cpuUs, slow };
}

async function idleMemory(route: SshRoute, sessions: number): Promise<number> {
  const before = rssKiB(await route.pids());
  const clients: ssh2.Client[] = [];
  for (let i = 0; i < sessions; i++) {
    const c = await route.connect();
    clients.push(c);
    await shellPrompt(c);
  }
  await sleep(2000);
  const after = rssKiB(await route.pids());
  for (const c of clients) c.end();
  await sleep(1000);
  return (after - before) / sessions;
}

/** Share of the machine's CPU time idle over `ms`, from /proc/stat. */
async function idleShare(ms: number): Promise<number> {
  const read = (): number[] => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const a = read();
  await sleep(ms);
  const b = read();
  const d = b.map((v, i) => v - a[i]!);
  const total = d.reduce((x, y) => x + y, 0);
  // idle and iowait
  return total > 0 ? (d[3]! + d[4]!) / total : 1;
}

/** Waits (at most 60 s) until the machine is at least 90 % idle over a second. */
async function settle(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (await idleShare(1000)) < 0.9);
}

/** Writes `mib` MiB into a scratch file in `dir` and deletes it: the page cache's pages have been touched once. */
function warmPageCache(dir: string, mib: number): void {
  const file = join(dir, 'page-cache-warm-up');
  const block = Buffer.alloc(1 << 20, 0x5a);
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, block);
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: {
      mib: { type: 'string' },
      keys: { type: 'string' },
      warmup: { type: 'string' },
      sessions: { type: 'string' },
      runs: { type: 'string', default: '1' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'echo-course': { type: 'boolean', default: false },
      gc: { type: 'boolean', default: false },
    },
  });
  const mib = Number(values.mib ?? (values.quick ? 256 : 1024));
  const keys = Number(values.keys ?? (values.quick ? 300 : 1000));
  const warmup = Number(values.warmup ?? (values.quick ? 1000 : 3000));
  const sessions = Number(values.sessions ?? (values.quick ? 50 : 200));
  const runs = Number(values.runs);
  const prof = values['cpu-prof'];
  const gcDir = values.gc ? mkdtempSync(join(tmpdir(), 'recgate-bench-gc-')) : undefined;
  const all = await startSshRoutes({ cpuProfileDir: prof, gcStatsDir: gcDir });
  const gatewayGc = (): GcTotals | undefined => (gcDir ? gcTotals(gcDir, all.gw.daemonProcess!.pid!) : undefined);
  try {
    const picked = values.only?.split(',') ?? ['direct', 'jump', 'recgate'];
    const routes = [all.direct, all.jump, all.gateway].filter((_r, i) => picked.includes(['direct', 'jump', 'recgate'][i]!));
    if (routes.includes(all.gateway)) warmPageCache(all.gw.home.dir, Math.ceil(mib * runs * 1.25) + 256);
    const rows: string[][] = [];
    const courses: string[] = [];
    // Runs alternate between the routes, and each waits for the machine to settle (the sessions of the
    // phase before tearing down): a route measured after another's 200 idle sessions ran 30 % slower.
    for (let i = 0; i < runs; i++) {
      for (const r of routes) {
        await settle();
        const gc0 = r === all.gateway ? gatewayGc() : undefined;
        const t = await throughput(r, mib);
        const loadT = load();
        let gc: GcTotals | undefined;
        if (gc0) {
          // The preload writes its totals every 250 ms: let the last of the transfer's land.
          await sleep(300);
          gc = gcDelta(gatewayGc()!, gc0);
        }
        const k = keys > 0 ? await keystrokes(r, keys, warmup) : undefined;
        if (k) courses.push(`${r.name.padEnd(20)} ${k.slow.join(' ')}`);
        const mem = sessions > 0 ? await idleMemory(r, sessions) : undefined;
        const gcCells = !gcDir ? [] : gc ? [`${gc.markCompacts} (${gc.markCompactMs.toFixed(0)} ms)`, `${gc.scavenges} (${gc.scavengeMs.toFixed(0)} ms)`] : ['-', '-'];
        rows.push([r.name, t.mbps.toFixed(0), (t.cpuPerMB * 1000).toFixed(2), loadT, ...gcCells, k?.p50.toFixed(3) ?? '-', k?.p99.toFixed(3) ?? '-', k?.cpuUs.toFixed(0) ?? '-', mem?.toFixed(0) ?? '-', load()]);
      }
    }
    console.log(`recgate SSH benchmark: ${mib} MiB output, ${keys} keystrokes (after ${warmup} not measured), ${sessions} idle sessions; MB = 10^6 bytes\n`);
    const gcHeads = gcDir ? ['mark-compacts', 'scavenges'] : [];
    printTable(['route', 'MB/s', 'CPU ms/MB', 'load', ...gcHeads, 'echo p50 ms', 'echo p99 ms', 'CPU µs/key', 'KiB per idle session', 'load'], rows);
    console.log('\nCPU ms/MB, CPU µs/key and KiB per idle session count the process in the middle: the target sshd and its forks for direct,');
    console.log('the bastion sshd and its forks for ProxyJump (the target behind it is the same for all three), the gateway for');
    console.log('recgate. CPU µs/key: over the measured keystrokes, each with its echo (from /proc, in 10 ms ticks: 1 000 keystrokes');
    console.log('resolve about 10 µs). load: the 1-minute load average after the throughput run and after the row (2 cores).');
    if (gcDir) console.log("mark-compacts, scavenges: the gateway's during the bulk run, with their main-thread time.");
    if (values['echo-course'] && courses.length > 0) {
      console.log(`\nEchoes slower than ${SLOW_ECHO_MS} ms per 1 000 keystrokes, from the first (warm-up included), per row:`);
      for (const c of courses) console.log(c);
    }
  } finally {
    await all.stop();
    if (gcDir) rmSync(gcDir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0)).catch((err) => {
  console.error(err);
  process.exit(1);
});
