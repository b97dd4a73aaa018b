/**
 * How the database benchmarks measure a run: the benchmark client runs with
 * a time limit while the CPU time of the client, the proxy in the middle and
 * the server is read from /proc (all threads, children included), with the
 * proxy's read/write system calls and its resident memory; when the client
 * reports its rate every second, the proxy's CPU (and the kernel's part of
 * it) and the whole machine's are also taken over the steady part of the run
 * alone.
 *
 * Linux only: everything is read from /proc/stat and /proc/PID/stat, io and status.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { CliResult, RunOptions } from '../test/fixtures/gateway-env.js';
import type { Route } from './common.js';


const CLOCK_TICKS = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** /proc/PID/stat after the command name (which may hold spaces): [1] is the parent, [11..14] utime stime cutime cstime. */
function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Every running process's parent, by pid. */
export function parentsByPid(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = procStat(Number(entry));
    if (f) parents.set(Number(entry), Number(f[1]));
  }
  return parents;
}

/** CPU seconds: all of them, and those spent in the kernel (system calls, the network stack's work on the process' behalf). */
interface CpuSeconds {
  total: number;
  system: number;
}

/**
 * CPU seconds of `root` and its descendants so far, each counting the
 * children it reaped, so one that ends between two readings counts once.
 * All threads of a process are in its own line (mariadbd, HAProxy, Node).
 */
function treeCpu(root: number): CpuSeconds {
  const parents = parentsByPid();
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parents) if (ppid === pids[i]) pids.push(pid);
  let user = 0;
  let system = 0;
  for (const f of pids.map(procStat)) {
    if (!f) continue;
    user += Number(f[11]) + Number(f[13]);
    system += Number(f[12]) + Number(f[14]);
  }
  return { total: (user + system) / CLOCK_TICKS, system: system / CLOCK_TICKS };
}

function treeCpuSeconds(root: number): number {
  return treeCpu(root).total;
}

/**
 * CPU seconds the whole machine has been busy so far (/proc/stat: every process and the
 * kernel's own threads, such as the flusher writing dirty pages back; idle, I/O wait and
 * time stolen by the hypervisor left out).
 */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS;
}

/** Read and write system calls `pid` made so far (all threads, from /proc/PID/io), or undefined when unreadable. */
function syscalls(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const count = (name: string): number => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? NaN);
    return count('syscr') + count('syscw');
  } catch {
    return undefined;
  }
}

/** Resident memory of `pid` in bytes (VmRSS), or undefined when unreadable. */
function residentBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU seconds of the children this process has waited for (the benchmark client, once it ends). */
function reapedChildrenCpuSeconds(): number {
  const f = procStat('self')!;
  return (Number(f[13]) + Number(f[14])) / CLOCK_TICKS;
}

/** CPU seconds spent during a run: the client, the proxy (if any), the server. */
export interface Cpu {
  client: number;
  proxy: number | undefined;
  server: number;
  /** Read and write system calls of the proxy process (sockets and files alike). */
  proxySyscalls: number | undefined;
}

/**
 * Runs the benchmark client for a run of `seconds`, through coreutils timeout
 * (a proxy that stops answering must not hang the benchmark), and reads the
 * CPU seconds spent meanwhile by the client, the route's proxy and the server
 * (`serverPid` and its descendants).
 */
export async function runClient(
  command: string,
  args: string[],
  options: RunOptions,
  seconds: number,
  route: Route,
  serverPid: number,
  progress?: (line: string) => number | undefined,
): Promise<{ result: CliResult; cpu: Cpu; load: number; steady?: Steady }> {
  const client0 = reapedChildrenCpuSeconds();
  const proxy0 = route.proxyPid === undefined ? undefined : treeCpuSeconds(route.proxyPid);
  const syscalls0 = syscalls(route.proxyPid);
  const server0 = treeCpuSeconds(serverPid);
  const limit = String(seconds + 60);
  const window = progress ? new SteadyWindow(route.proxyPid, progress, residentBytes(route.proxyPid)) : undefined;
  const result = await runStreaming('timeout', ['-k', '5', limit, command, ...args], options, (line) => window?.line(line));
  const client = reapedChildrenCpuSeconds() - client0;
  const proxy = proxy0 === undefined ? undefined : treeCpuSeconds(route.proxyPid!) - proxy0;
  const syscalls1 = syscalls(route.proxyPid);
  const proxySyscalls = syscalls0 === undefined || syscalls1 === undefined ? undefined : syscalls1 - syscalls0;
  const server = treeCpuSeconds(serverPid) - server0;
  if (result.code === 124 || result.code === 137) throw new Error(`${command} did not finish within ${limit} s`);
  const steady = window?.result();
  return { result, cpu: { client, proxy, server, proxySyscalls }, load: loadavg()[0]!, ...(steady ? { steady } : {}) };
}

/** The proxy's CPU over the steady part of a run: from the client's first progress report to its last. */
export interface Steady {
  /** Transactions in the window, from the reported rates. */
  transactions: number;
  proxyCpu: number;
  /** Of proxyCpu, the seconds in the kernel: what sockets cost, the same for any proxy relaying the same bytes. */
  proxySystemCpu: number;
  /** CPU seconds of the whole machine: client, proxy, server and the kernel's own threads. */
  machineCpu: number;
  proxySyscalls: number | undefined;
  /** The proxy's resident memory at the last progress report less before the run (bytes), when readable. */
  proxyGrowth: number | undefined;
}

/**
 * Reads the proxy's CPU time at each progress line of the client (one a
 * second: pgbench -P 1, sysbench --report-interval=1) and adds up the
 * transactions the lines report, so the CPU per transaction leaves out what
 * connecting cost (logins through the gateway are made expensive on purpose).
 */
class SteadyWindow {
  private first: { at: number; cpu: CpuSeconds; machine: number; syscalls: number | undefined } | undefined;
  private last: { at: number; cpu: CpuSeconds; machine: number; syscalls: number | undefined } | undefined;
  private lastRss: number | undefined;
  private transactions = 0;

  constructor(
    private readonly pid: number | undefined,
    private readonly rate: (line: string) => number | undefined,
    private readonly rssBefore: number | undefined,
  ) {}

  line(text: string): void {
    const tps = this.rate(text);
    if (tps === undefined || this.pid === undefined) return;
    const now = { at: performance.now(), cpu: treeCpu(this.pid), machine: machineBusySeconds(), syscalls: syscalls(this.pid) };
    if (this.last) this.transactions += (tps * (now.at - this.last.at)) / 1000;
    this.first ??= now;
    this.last = now;
    this.lastRss = residentBytes(this.pid);
  }

  result(): Steady | undefined {
    if (!this.first || !this.last || this.transactions < 1) return undefined;
    const syscallsUsed = this.first.syscalls === undefined || this.last.syscalls === undefined ? undefined : this.last.syscalls - this.first.syscalls;
    const growth = this.rssBefore === undefined || this.lastRss === undefined ? undefined : this.lastRss - this.rssBefore;
    return {
      transactions: this.transactions,
      proxyCpu: this.last.cpu.total - this.first.cpu.total,
      proxySystemCpu: this.last.cpu.system - this.first.cpu.system,
      machineCpu: this.last.machine - this.first.machine,
      proxySyscalls: syscallsUsed,
      proxyGrowth: growth,
    };
  }
}

/** `run`, with each line of standard output and error handed to `onLine` as it arrives. */
function runStreaming(command: string, args: string[], options: RunOptions, onLine: (line: string) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const texts = { stdout: '', stderr: '' };
    const pending = { stdout: '', stderr: '' };
    for (const name of ['stdout', 'stderr'] as const) {
      child[name].setEncoding('utf8');
      child[name].on('data', (d: string) => {
        texts[name] += d;
        const lines = (pending[name] + d).split('\n');
        pending[name] = lines.pop()!;
        for (const l of lines) onLine(l);
      });
    }
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: texts.stdout, stderr: texts.stderr }));
  });
}

