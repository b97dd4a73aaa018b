/**
 * Measuring every route of every workload, in alternated rounds, and the
 * tables the database benchmarks print: TPS, latency, CPU per transaction of
 * the proxy, the server and the client, memory per connection, load.
 */
import { availableParallelism, cpus } from 'node:os';
import { errorText, type Measure, type Route } from './common.js';

/** Results by workload, then by route: what was measured, or why not. */
export type Results<W, M> = Map<W, Map<Route, M | string>>;

/**
 * Measures each workload over each route in turn, `before` each run; a route
 * that could not be set up gives its failure, a run that fails its error.
 *
 * With `rounds` above 1, each workload's routes are run that many times,
 * alternating (every other round in reverse order, so no route always runs
 * first or after the same one), and each route keeps its median run by the
 * proxy's CPU per transaction: on this shared 2-core machine one run of a
 * route moves by ±20 %, the median of alternated runs much less. Every
 * round's figure is kept in `rounds` for the report.
 */
export async function measureAll<W, M extends Measure>(
  workloads: W[],
  routes: Route[],
  measure: (workload: W, route: Route) => Promise<M>,
  before?: () => Promise<void>,
  rounds = 1,
): Promise<Results<W, M>> {
  const results: Results<W, M> = new Map();
  for (const w of workloads) {
    const runs = new Map<Route, M[]>();
    const failed = new Map<Route, string>();
    for (let round = 0; round < rounds; round++) {
      for (const route of round % 2 === 0 ? routes : [...routes].reverse()) {
        if (route.failure) {
          failed.set(route, route.failure);
          continue;
        }
        if (failed.has(route)) continue;
        await before?.();
        try {
          const m = await measure(w, route);
          runs.set(route, [...(runs.get(route) ?? []), m]);
        } catch (err) {
          failed.set(route, errorText(err));
        }
      }
    }
    const byRoute = new Map<Route, M | string>();
    for (const route of routes) byRoute.set(route, failed.get(route) ?? medianRun(runs.get(route) ?? []) ?? 'not run');
    results.set(w, byRoute);
  }
  return results;
}

/** The proxy's CPU µs per transaction: over the steady part of the run when known, else over all of it. */
export function proxyCpuPerTx(m: Measure): number | undefined {
  if (m.steady && m.steady.transactions > 0) return (1e6 * m.steady.proxyCpu) / m.steady.transactions;
  return m.cpu.proxy === undefined ? undefined : (1e6 * m.cpu.proxy) / m.transactions;
}

/** The run with the median proxy CPU per transaction (the lower middle of an even count), the others' figures in `rounds`. */
function medianRun<M extends Measure>(runs: M[]): M | undefined {
  if (runs.length <= 1) return runs[0];
  const cost = (m: M): number => proxyCpuPerTx(m) ?? 0;
  const sorted = [...runs].sort((a, b) => cost(a) - cost(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { ...median, rounds: runs.map(cost) };
}


/** The line saying what the machine is. */
export function machineLine(): string {
  return `machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}); client, proxy and server share them`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export interface ReportOptions<M> {
  routes: Route[];
  /** The connections of each workload's run, for memory per session. */
  connections?: (workloadName: string) => number;
  /** The route the others are a percentage of. */
  direct: Route;
  /** The latency columns, after TPS: heading and cell. */
  latency: Array<[string, (m: M) => string]>;
  /** The benchmark client's name. */
  client: string;
  /** The note's words for the baseline proxy and for the server's processes. */
  baseline: string;
  server: string;
}

/**
 * Prints a table per workload (TPS, latency, share of the direct route's
 * TPS, CPU microseconds per transaction, load average), then why any route failed, then
 * what the CPU columns mean.
 */
export function printResults<W extends { name: string }, M extends Measure>(results: Results<W, M>, options: ReportOptions<M>): void {
  const { routes, direct, latency, client } = options;
  const head = ['route', 'TPS', ...latency.map(([h]) => h), '% of direct', 'proxy CPU µs/tx', 'steady', 'of it kernel', 'machine', 'proxy KiB/conn', 'proxy syscalls/tx', 'server CPU µs/tx', `${client} CPU µs/tx`, 'load'];
  const failures: string[] = [];
  for (const [w, byRoute] of results) {
    const base = byRoute.get(direct);
    const rounds = [...byRoute.values()].some((m) => typeof m === 'object' && m.rounds !== undefined);
    const rows = routes.map((route) => {
      const m = byRoute.get(route);
      if (m === undefined || typeof m === 'string') {
        failures.push(`${route.short ?? route.name}: failed — ${m ?? 'not run'}`);
        return [route.name, 'failed', ...head.slice(2).map(() => '-')];
      }
      const perTx = (s: number | undefined): string => (s === undefined ? '-' : ((1e6 * s) / m.transactions).toFixed(1));
      return [
        route.name,
        m.tps.toFixed(0),
        ...latency.map(([, cell]) => cell(m)),
        typeof base === 'object' ? `${((100 * m.tps) / base.tps).toFixed(0)}%` : '-',
        perTx(m.cpu.proxy),
        m.steady && m.cpu.proxy !== undefined ? ((1e6 * m.steady.proxyCpu) / m.steady.transactions).toFixed(1) : '-',
        m.steady && m.cpu.proxy !== undefined ? ((1e6 * m.steady.proxySystemCpu) / m.steady.transactions).toFixed(1) : '-',
        m.steady ? ((1e6 * m.steady.machineCpu) / m.steady.transactions).toFixed(1) : '-',
        m.steady?.proxyGrowth !== undefined && options.connections ? (m.steady.proxyGrowth / 1024 / options.connections(w.name)).toFixed(0) : '-',
        m.cpu.proxySyscalls === undefined ? '-' : (m.cpu.proxySyscalls / m.transactions).toFixed(1),
        perTx(m.cpu.server),
        perTx(m.cpu.client),
        m.load.toFixed(1),
        ...(rounds ? [m.rounds?.map((r) => r.toFixed(1)).join(' ') ?? '-'] : []),
      ];
    });
    console.log(w.name);
    console.log(table(rounds ? [...head, 'rounds: proxy CPU µs/tx'] : head, rows));
    console.log('');
  }
  for (const f of [...new Set(failures)]) console.log(f);
  if (failures.length > 0) console.log('');
  console.log('CPU µs/tx: CPU microseconds (user + system, children included, from /proc/PID/stat) per transaction;');
  console.log(`proxy is ${options.baseline}, the bare Node.js relay or the gateway process, server is ${options.server},`);
  console.log(`${client} is the client. The node relays forward bytes only: the first with pipe() (most Node.js proxies), the second`);
  console.log('reading each socket into a reused buffer (onread): the floor of any proxy on this runtime.');
  console.log('steady: the proxy\'s CPU µs/tx from the client\'s first progress report (one a second) to its last, so without');
  console.log('the logins of the run\'s connections (the gateway\'s password hashing is slow on purpose).');
  console.log('of it kernel: of the steady figure, the CPU spent in the kernel (system time): the sockets\' reads, writes and');
  console.log('wake-ups, about the same for every proxy relaying the same bytes; the rest is the proxy\'s own work.');
  console.log('machine: the CPU µs/tx of the whole machine over the same window (/proc/stat): client, proxy, server and');
  console.log('the kernel\'s own threads (the flusher writing a store\'s pages back is charged to no process).');
  console.log('proxy KiB/conn: the proxy\'s resident memory at the last progress report less before the run, per connection.');
  console.log('proxy syscalls/tx: read and write system calls of the proxy process per transaction (/proc/PID/io).');
  console.log('load: the 1-minute load average at the end of the run (the machine is shared: TPS moves with it, CPU per transaction much less).');
  if ([...results.values()].some((byRoute) => [...byRoute.values()].some((m) => typeof m === 'object' && m.rounds !== undefined))) {
    console.log('rounds: each route was run that many times, the routes alternated, and the row is its run with the median');
    console.log('proxy CPU per transaction (steady); the last column gives every round\'s figure in the order run.');
  }
}
