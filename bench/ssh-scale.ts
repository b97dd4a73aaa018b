/**
 * SSH scale benchmark: how the gateway's cost grows with the number of
 * sessions. At each level N (default 1, 10, 100, 500) N interactive sessions
 * (a pty running bash on a real sshd) type at a human rate, a command line
 * at a time, for --seconds; then a few bulk transfers (`head -c` through the
 * real ssh client) run beside them. Last, --idle sessions (default 1 000)
 * are opened and left idle, for the gateway's memory (first, on a fresh gateway).
 *
 *   node dist/bench/ssh-scale.js [--levels 1,10,100,500] [--seconds 15] [--rate 5]
 *                                [--bulk 2] [--bulk-mib 64] [--idle 1000] [--route recgate|jump] [--cpu-prof DIR]
 *
 * Per level: the gateway's RSS per open session, its CPU per keystroke while
 * N people type (every keystroke and every byte of output recorded), the echo
 * latency they see, then with the bulk transfers beside them: the bulk MB/s,
 * the typists' echo p99 and the gateway's peak RSS. Figures are CPU time read
 * from /proc (the machine may be shared; the load average is printed).
 */
import { spawn } from 'node:child_process';
import { benchArgs } from './args.js';
import type ssh2 from 'ssh2';
import { cpuSeconds, load, printTable, rssKiB, shellPrompt, sleep, startSshRoutes, type SshRoute } from './ssh-routes.js';

/** What each typist types, one character at a time: a builtin, so the target forks nothing. */
const LINE = 'echo the quick brown fox\r';

interface Typist {
  client: ssh2.Client;
  shell: ssh2.ClientChannel;
}

/** Typing statistics over a window. */
class Typing {
  keystrokes = 0;
  latencies: number[] = [];
  private running = true;
  private readonly done: Promise<void>[] = [];

  constructor(typists: Typist[], rate: number) {
    for (const t of typists) this.done.push(this.type(t, rate));
  }

  /** One person: a keystroke every 1/rate s (jittered), each timed until its echo (or the command's output) arrives. */
  private async type(t: Typist, rate: number): Promise<void> {
    let i = Math.floor(Math.random() * LINE.length);
    await sleep(Math.random() * (1000 / rate));
    while (this.running) {
      const echoed = new Promise<number>((resolve) => {
        const t0 = performance.now();
        t.shell.once('data', () => resolve(performance.now() - t0));
      });
      t.shell.write(LINE[i++ % LINE.length]!);
      this.keystrokes++;
      const ms = await Promise.race([echoed, sleep(5000).then(() => Infinity)]);
      this.latencies.push(ms);
      await sleep(Math.max(0, (1000 / rate) * (0.5 + Math.random()) - ms));
    }
  }

  /** Stops typing; resolves once every typist's last keystroke is answered. */
  async stop(): Promise<{ keystrokes: number; p50: number; p99: number }> {
    this.running = false;
    await Promise.all(this.done);
    const sorted = this.latencies.sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
    return { keystrokes: this.keystrokes, p50: at(0.5), p99: at(0.99) };
  }
}

/** Opens `n` interactive sessions, `parallel` at a time, each at its prompt. */
async function openSessions(route: SshRoute, n: number, parallel = 8): Promise<Typist[]> {
  const typists: Typist[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const client = await route.connect();
      typists.push({ client, shell: await shellPrompt(client) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return typists;
}

async function closeSessions(typists: Typist[]): Promise<void> {
  await Promise.all(
    typists.map(
      (t) =>
        new Promise<void>((resolve) => {
          t.client.once('close', () => resolve());
          t.client.end();
          setTimeout(resolve, 5000).unref();
        }),
    ),
  );
}

/** Bulk transfers through the real ssh client: the aggregate MB/s, and how many did not arrive whole. */
async function bulk(route: SshRoute, count: number, mib: number): Promise<{ mbps: number; failed: number }> {
  const t0 = performance.now();
  let total = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      const child = spawn('ssh', [...route.sshArgs, `head -c ${mib * 1048576} /dev/zero`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let bytes = 0;
      child.stdout.on('data', (d: Buffer) => (bytes += d.length));
      await new Promise((r) => child.on('close', r));
      total += bytes;
      if (bytes !== mib * 1048576) failed++;
    }),
  );
  return { mbps: total / 1e6 / ((performance.now() - t0) / 1000), failed };
}

/** Samples the RSS of `pids` every 250 ms until stopped; returns the peak. */
function peakRss(pids: number[]): () => number {
  let peak = rssKiB(pids);
  const timer = setInterval(() => (peak = Math.max(peak, rssKiB(pids))), 250);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssKiB(pids));
  };
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: {
      levels: { type: 'string', default: '1,10,100,500' },
      seconds: { type: 'string', default: '15' },
      rate: { type: 'string', default: '5' },
      bulk: { type: 'string', default: '2' },
      'bulk-mib': { type: 'string', default: '64' },
      idle: { type: 'string', default: '1000' },
      route: { type: 'string', default: 'recgate' },
      'cpu-prof': { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  const all = await startSshRoutes({ cpuProfileDir: values['cpu-prof'] });
  const route = values.route === 'jump' ? all.jump : all.gateway;
  const rows: string[][] = [];
  let idleRow: string[] | undefined;
  try {
    // Idle sessions first, on a fresh gateway: its RSS is not yet raised by the heap the busy levels grew.
    const idle = Number(values.idle);
    if (idle > 0) {
      const rss0 = rssKiB(await route.pids());
      const sessions = await openSessions(route, idle, 16);
      await sleep(3000);
      const rss = rssKiB(await route.pids());
      idleRow = [String(idle), ((rss - rss0) / idle).toFixed(0), (rss0 / 1024).toFixed(0), (rss / 1024).toFixed(0), load()];
      await closeSessions(sessions);
      await sleep(2000);
    }
    for (const n of values.levels.split(',').filter(Boolean).map(Number)) {
      const rss0 = rssKiB(await route.pids());
      const typists = await openSessions(route, n);
      await sleep(2000);
      const pidsNow = await route.pids();
      const perSession = (rssKiB(pidsNow) - rss0) / n;
      // Typing alone.
      const cpu0 = cpuSeconds(pidsNow);
      const typing = new Typing(typists, rate);
      await sleep(seconds * 1000);
      const alone = await typing.stop();
      const cpu = cpuSeconds(await route.pids()) - cpu0;
      const loadTyping = load();
      // Typing beside bulk transfers.
      const peak = peakRss(await route.pids());
      const beside = new Typing(typists, rate);
      const transfers = Number(values.bulk) > 0 ? await bulk(route, Number(values.bulk), Number(values['bulk-mib'])) : { mbps: NaN, failed: 0 };
      const mixed = await beside.stop();
      const peakKiB = peak();
      rows.push([
        String(n),
        perSession.toFixed(0),
        ((1e6 * cpu) / alone.keystrokes).toFixed(0),
        ((100 * cpu) / seconds).toFixed(1),
        (alone.keystrokes / seconds).toFixed(0),
        alone.p50.toFixed(2),
        alone.p99.toFixed(2),
        loadTyping,
        transfers.failed ? `${transfers.mbps.toFixed(0)} (${transfers.failed} failed)` : transfers.mbps.toFixed(0),
        mixed.p99.toFixed(2),
        (peakKiB / 1024).toFixed(0),
        load(),
      ]);
      await closeSessions(typists);
      await sleep(2000);
    }
  } finally {
    await all.stop();
  }
  console.log(`recgate SSH scale benchmark, ${route.name}: typing ${rate} keystrokes/s per session for ${seconds} s, then beside ${values.bulk} × ${values['bulk-mib']} MiB bulk transfers\n`);
  printTable(
    ['sessions', 'KiB/session', 'CPU µs/keystroke', 'CPU % of a core', 'keys/s', 'echo p50 ms', 'echo p99 ms', 'load', 'bulk MB/s', 'echo p99 ms (bulk)', 'peak RSS MiB', 'load'],
    rows,
  );
  if (idleRow) {
    console.log('');
    printTable(['idle sessions', 'KiB/session', 'RSS MiB before', 'RSS MiB with them (whole process)', 'load'], [idleRow]);
  }
  console.log('\nCPU and RSS are the process in the middle (the gateway, or the bastion sshd and its forks). A keystroke is one');
  console.log('character typed into bash at its prompt; every 25th is Enter (bash runs the echo builtin); its echo is timed.');
}

main().then(() => process.exit(0)).catch((err) => {
  console.error(err);
  process.exit(1);
});
