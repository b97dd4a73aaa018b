/**
 * What the SSH benchmarks (bench/ssh.ts, bench/ssh-scale.ts) share: the three
 * routes to one real sshd (direct, through an OpenSSH ProxyJump bastion, and
 * through the gateway recording), and reading a route's CPU time and memory
 * from /proc, so figures are CPU seconds per MB and not only wall clock (the
 * machine is shared, and CPU time is what a route costs whatever the load).
 *
 * Linux only: CPU time and RSS are read from /proc.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import { SshGateway } from '../test/fixtures/ssh-gateway.js';
import { startSshd, type Sshd } from '../test/fixtures/sshd.js';

export interface SshRoute {
  name: string;
  /** OpenSSH client arguments that reach the target's shell through this route. */
  sshArgs: string[];
  connect: () => Promise<ssh2.Client>;
  /** The processes in the middle (the target itself for direct): CPU and memory count theirs. */
  pids: () => Promise<number[]>;
}

export interface SshRoutes {
  direct: SshRoute;
  jump: SshRoute;
  gateway: SshRoute;
  gw: SshGateway;
  stop(): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const CLOCK_TICKS = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** /proc/PID/stat after the command name (which may hold spaces): [1] is the parent, [11..14] utime stime cutime cstime. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = procStat(Number(entry));
    if (f) parents.set(Number(entry), Number(f[1]));
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parents) if (ppid === pids[i]) pids.push(pid);
  return pids;
}

/**
 * CPU seconds of these processes so far, each counting the children it
 * reaped (an sshd per connection counts in its listener once it ends).
 */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const f of pids.map(procStat)) if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks / CLOCK_TICKS;
}

export function rssKiB(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      kib += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    } catch {
      // the process ended while we looked
    }
  }
  return kib;
}

/** The 1-minute load average, printed beside every figure (other work on the machine skews wall-clock ones). */
export const load = (): string => loadavg()[0]!.toFixed(2);

export function sshClient(config: ssh2.ConnectConfig): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => resolve(c));
    c.once('error', reject);
    c.connect({ readyTimeout: 60_000, ...config });
  });
}

/**
 * Opens an interactive shell and resolves once it printed something (its
 * prompt): its start-up files have run, so ending it later interrupts nothing
 * (a shell hung up while its rc files run can leave their locks behind).
 */
export function shellPrompt(c: ssh2.Client): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) =>
    c.shell({ term: 'xterm', cols: 80, rows: 24 }, (err, s) => {
      if (err) return reject(err);
      s.once('data', () => resolve(s));
      s.once('close', () => reject(new Error('the shell closed before its prompt')));
    }),
  );
}

/** sshd's listener and every process it forked (two per session with privilege separation). */
function sshdPids(sshd: Sshd): number[] {
  return processTree(Number(readFileSync(join(sshd.dir, 'sshd.pid'), 'utf8').trim()));
}

/**
 * Starts the target sshd, the gateway in front of it and a bastion sshd.
 * With `cpuProfileDir` the gateway writes a V8 CPU profile there when it stops; with
 * `gcStatsDir`, its garbage collections' running totals (bench/gc-stats.ts).
 */
export async function startSshRoutes(options: { cpuProfileDir?: string | undefined; gcStatsDir?: string | undefined } = {}): Promise<SshRoutes> {
  // The sessions' shells read no start-up files (HOME is an empty folder): what is measured is the route, not rc files.
  const home = await mkdtemp(join(tmpdir(), 'recgate-bench-home-'));
  const limits = ['MaxStartups 2000', 'MaxSessions 2000', `SetEnv HOME=${home}`];
  const saved = { ...process.env };
  const preloads: string[] = [];
  if (options.cpuProfileDir) {
    preloads.push(`--import ${new URL('./cpu-profile.js', import.meta.url).href}`);
    process.env.BENCH_CPU_PROF_DIR = resolve(options.cpuProfileDir);
  }
  if (options.gcStatsDir) {
    preloads.push(`--import ${new URL('./gc-stats.js', import.meta.url).href}`);
    process.env.BENCH_GC_DIR = resolve(options.gcStatsDir);
  }
  if (preloads.length > 0) process.env.NODE_OPTIONS = preloads.join(' ');
  let gw: SshGateway;
  try {
    gw = await SshGateway.start({ sshdConfig: limits });
  } finally {
    for (const k of ['NODE_OPTIONS', 'BENCH_CPU_PROF_DIR', 'BENCH_GC_DIR']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
  const target = gw.sshd;
  const bastion = await startSshd([...limits, 'AllowTcpForwarding yes']);
  await writeFile(join(bastion.dir, 'authorized_keys'), readFileSync(`${target.clientKeyPath}.pub`));
  const cfg = join(target.dir, 'client_config');
  await writeFile(cfg, [`Host *`, `  IdentityFile ${target.clientKeyPath}`, '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  LogLevel ERROR', '  BatchMode yes', ''].join('\n'));
  const key = readFileSync(target.clientKeyPath);
  const direct: SshRoute = {
    name: 'direct sshd',
    sshArgs: ['-F', cfg, '-p', String(target.port), `${target.user}@127.0.0.1`],
    connect: () => sshClient({ host: '127.0.0.1', port: target.port, username: target.user, privateKey: key }),
    pids: async () => sshdPids(target),
  };
  const jump: SshRoute = {
    name: 'OpenSSH ProxyJump',
    sshArgs: ['-F', cfg, '-J', `${target.user}@127.0.0.1:${bastion.port}`, '-p', String(target.port), `${target.user}@127.0.0.1`],
    connect: async () => {
      const hop = await sshClient({ host: '127.0.0.1', port: bastion.port, username: target.user, privateKey: key });
      const sock = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
        hop.forwardOut('127.0.0.1', 0, '127.0.0.1', target.port, (err, s) => (err ? reject(err) : resolve(s))),
      );
      const c = await sshClient({ sock, username: target.user, privateKey: key });
      c.once('close', () => hop.end());
      return c;
    },
    pids: async () => sshdPids(bastion),
  };
  const gateway: SshRoute = {
    name: 'recgate (recording)',
    sshArgs: gw.sshArgs(),
    connect: () => sshClient({ host: '127.0.0.1', port: gw.port, username: 'alice+web01', privateKey: readFileSync(gw.aliceKey) }),
    pids: async () => [gw.daemonProcess!.pid!],
  };
  return {
    direct,
    jump,
    gateway,
    gw,
    // Sessions a server has not noticed closing can hold its stop; the figures are printed, so never wait long.
    stop: async () => {
      await Promise.race([Promise.all([bastion.stop(), gw.stop()]), sleep(15_000)]);
      await rm(home, { recursive: true, force: true });
    },
  };
}

export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((t) => (t[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const t of rows) console.log(line(t));
}
