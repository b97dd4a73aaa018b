/**
 * What the database benchmarks (bench/postgres.ts, bench/mysql.ts) share:
 * the routes a benchmark client is pointed at (directly, through a baseline
 * proxy, through the bare Node.js relay, through the gateway) and the
 * processes behind them, and printing the result tables. Also the way the
 * baseline proxies (bench/pgbouncer.ts, bench/haproxy.ts) start: a daemon
 * with its config in a temporary folder of its own. Running a client and
 * what is read from /proc meanwhile are in bench/measure.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.js';
import { CLI, freePort, GatewayHome, run, type RunningDaemon } from '../test/fixtures/gateway-env.js';
import { parentsByPid, type Cpu, type Steady } from './measure.js';

export { runClient, type Cpu, type Steady } from './measure.js';
import { startServerProcess, type ServerProcessOptions } from '../test/fixtures/server-process.js';

export const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '(no message)';
const errorText = (err: unknown): string => firstLine(err instanceof Error ? err.message : String(err));

// --- routes

/** One way from the benchmark client to the server. */
export interface Route {
  name: string;
  /** What the notes under the tables call it, when not its name. */
  short?: string;
  port: number;
  user: string;
  password: string;
  /** The process in the middle, whose CPU time is the proxy's. */
  proxyPid?: number;
  /** Why this route cannot be measured. */
  failure?: string;
}

/** What every benchmark measures of a run. */
export interface Measure {
  tps: number;
  transactions: number;
  cpu: Cpu;
  /** The proxy's CPU between the client's first and last progress reports, when it gives them. */
  steady?: Steady;
  /** The machine's 1-minute load average when the run ended (other work on the machine skews TPS, not CPU per transaction). */
  load: number;
  /** With several rounds: the proxy's CPU µs per transaction of each, in the order run (this is the median one). */
  rounds?: number[];
}

/** What a route goes through: a process on a loopback port. */
export interface Proxy {
  port: number;
  /** The process whose CPU time is the proxy's. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** What to stop when the benchmark ends, the last started first. */
export class Cleanup {
  private readonly stops: Array<() => Promise<void>> = [];

  add(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  async run(): Promise<void> {
    for (let stop = this.stops.pop(); stop; stop = this.stops.pop()) await stop();
  }
}

/**
 * Starts the proxy `route` goes through, points the route at it and has it
 * stopped at `cleanup`; when it is not installed (`missing` is the command
 * that installs it) or does not start, the route keeps why, to be reported
 * instead of measured.
 */
async function startRoute<P extends Proxy>(route: Route, cleanup: Cleanup, start: () => Promise<P>, missing?: string): Promise<P | undefined> {
  if (missing) {
    route.failure = `not installed (${missing})`;
    return undefined;
  }
  try {
    const proxy = await start();
    cleanup.add(() => proxy.stop());
    route.port = proxy.port;
    route.proxyPid = proxy.pid;
    return proxy;
  } catch (err) {
    route.failure = errorText(err);
    return undefined;
  }
}

/** bench/node-relay.ts in its own process, in front of the server. */
async function startNodeRelay(serverPort: number, onread = false): Promise<Proxy> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('./node-relay.js', import.meta.url)), String(port), String(serverPort), ...(onread ? ['--onread'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`node relay exited ${code}`)));
  });
  return {
    port,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

// --- the gateway

/** The gateway's one user, alice, logs in with this password. */
const ALICE_PASSWORD = 'alice-gateway-pw';

/** The benchmark's server, as the gateway's one target. */
export interface GatewayTarget {
  name: string;
  protocol: 'postgres' | 'mysql';
  port: number;
  /** The login the gateway injects. */
  user: string;
  password: string;
  /** Node options for the gateway process (--cpu-prof and its folder). */
  nodeOptions?: string[];
  /** Another build's CLI to run (compareBuild), this checkout's by default. */
  cli?: string | undefined;
}

/**
 * The gateway's node options: `--cpu-prof` into `profileDir` when given (written when it
 * stops), then `more`, space-separated (e.g. --perf-basic-prof for perf record).
 */
export function gatewayNodeOptions(profileDir: string, more: string): string[] {
  return [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...more.split(' ').filter((o) => o !== '')];
}

async function hashOf(args: string[], password: string): Promise<string> {
  const r = await run(process.execPath, [CLI, 'users', 'hash', ...args], { input: `${password}\n` });
  const out = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || out === '') throw new Error(`${['recgate users hash', ...args].join(' ')} failed: ${firstLine(r.stderr)}`);
  return out;
}

/** Kills a `recgate start` of this process on `configPath` that never said it started. */
function killDaemonsOf(configPath: string): void {
  for (const [pid, ppid] of parentsByPid()) {
    if (ppid !== process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(configPath)) process.kill(pid, 'SIGKILL');
    } catch {
      // it ended meanwhile
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function stopDaemon(daemon: RunningDaemon): Promise<void> {
  const killer = setTimeout(() => daemon.child.kill('SIGKILL'), 10_000);
  await daemon.stop();
  clearTimeout(killer);
}

/**
 * A gateway in a home of its own with one user, alice (a SCRAM verifier too
 * for PostgreSQL, a mysql_native_password hash for MySQL), allowed to `target` only, serving the target's protocol on
 * a port of its own. Log in as `alice+NAME` with ALICE_PASSWORD.
 */
export async function startGateway(target: GatewayTarget): Promise<Proxy> {
  const home = await GatewayHome.create();
  try {
    const port = await freePort();
    const hash = await hashOf([], ALICE_PASSWORD);
    // The protocol's own verifier, so clients log in through the gateway as they do directly: SCRAM
    // for PostgreSQL, mysql_native_password for MySQL (no auth switch to caching_sha2_password, whose
    // first use races in the client library when sysbench's threads connect at once).
    const scram = target.protocol === 'postgres' ? `, scram: "${await hashOf(['--scram'], ALICE_PASSWORD)}"` : `, mysqlNative: "${await hashOf(['--mysql-native'], ALICE_PASSWORD)}"`;
    await writeFile(
      home.configPath,
      [
        'gateway: { dataDir: ./data }',
        `listen: { ${target.protocol}: "127.0.0.1:${port}", console: null }`,
        // sysbench opens all its connections at once, from one address: 500 of them would pass the
        // default cap on logins under way per address (16), and some would be refused.
        'admission: { maxPreLoginPerAddress: 1024, maxPreLogin: 1024 }',
        'recipients:',
        '  - { name: officer, publicKeyFile: ./keys/officer.key.pub }',
        'users:',
        `  - { name: alice, password: "${hash}"${scram}, targets: [${target.name}] }`,
        'targets:',
        `  - name: ${target.name}`,
        `    protocol: ${target.protocol}`,
        '    host: 127.0.0.1',
        `    port: ${target.port}`,
        '    tls: disable',
        `    login: { user: ${target.user}, password: "${target.password}" }`,
        '',
      ].join('\n'),
    );
    let daemon: RunningDaemon;
    try {
      daemon = await withTimeout(home.startDaemon(home.configPath, { nodeOptions: target.nodeOptions, cli: target.cli }), 30_000, 'recgate start');
    } catch (err) {
      killDaemonsOf(home.configPath);
      throw err;
    }
    return {
      port,
      pid: daemon.child.pid,
      stop: async () => {
        await stopDaemon(daemon);
        await home.remove();
      },
    };
  } catch (err) {
    await home.remove();
    throw err;
  }
}

export interface RoutesOptions<B extends Proxy> {
  /** The server, on 127.0.0.1, and the login the client uses on every route but the gateway's. */
  server: { port: number; user: string; password: string };
  /** The proxy that records nothing: its route's name, how to start it, and the command that installs it when it is not. */
  baseline: { name: string; start: () => Promise<B>; missing: string | undefined };
  /**
   * The gateway in front of the server, with the target `target`, and what the notes call it;
   * `start` runs this checkout's build, or the CLI given with more node options.
   */
  gateway: { target: string; start: (cli?: string, nodeOptions?: string[]) => Promise<Proxy>; short: string };
  /** Which routes to set up and measure, by the start of their names (direct, pgbouncer/haproxy, node, recgate); all when absent. */
  only?: string[];
  /** Another checkout's build (compareBuild): its gateway is measured too, as a route of its own. */
  compare?: ComparedBuild | undefined;
}

/** Another checkout's CLI and the name of its route. */
export interface ComparedBuild {
  cli: string;
  name: string;
  /** Node options its gateway runs with besides the shared ones (--compare-node-options). */
  nodeOptions: string[];
}

/**
 * The CLI of the recgate checkout at `dir`, built (`npm run build` there), for a second gateway
 * route: two builds measured in one run, their rounds alternated, where runs minutes apart
 * differ by more than most changes do (a `git worktree add DIR COMMIT` of the commit before);
 * its gateway runs with `nodeOptions` (space-separated) too. Undefined when `dir` is empty.
 */
export function compareBuild(dir: string, nodeOptions: string): ComparedBuild | undefined {
  if (dir === '') {
    if (nodeOptions !== '') throw new Error('--compare-node-options needs --compare DIR (--compare . for this build)');
    return undefined;
  }
  const cli = resolve(dir, 'bin', 'recgate.js');
  if (!existsSync(cli) || !existsSync(resolve(dir, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error(`--compare ${dir}: no built recgate there (bin/recgate.js and dist/src/cli/main.js); run npm ci and npm run build in it`);
  }
  const options = nodeOptions.split(' ').filter((o) => o !== '');
  const name = `recgate, ${basename(resolve(dir))} build${options.length > 0 ? ` ${options.join(' ')}` : ''} (recording)`;
  return { cli, name, nodeOptions: options };
}

/**
 * The routes every benchmark measures, in the order of its tables:
 * directly, through the baseline proxy, through the bare Node.js relay (as
 * most Node.js proxies are, and reading into reused buffers), and through
 * the gateway (as alice). What they go through is stopped at
 * `cleanup`; a route whose proxy cannot start says why instead.
 */
export async function startRoutes<B extends Proxy>(options: RoutesOptions<B>, cleanup: Cleanup): Promise<{ routes: Route[]; direct: Route; baseline: B | undefined }> {
  const { server } = options;
  const viaServerLogin = (name: string): Route => ({ name, port: 0, user: server.user, password: server.password });
  const direct: Route = { ...viaServerLogin('direct'), port: server.port };
  const pooled = viaServerLogin(options.baseline.name);
  const relay = viaServerLogin('node relay (no recording)');
  const reusing = viaServerLogin('node relay, onread (no recording)');
  const viaGateway = (name: string): Route => ({ name, short: options.gateway.short, port: 0, user: `alice+${options.gateway.target}`, password: ALICE_PASSWORD });
  const recgate = viaGateway('recgate (recording)');
  const other = options.compare;
  const compared = other && viaGateway(other.name);
  const wanted = (route: Route): boolean => !options.only || options.only.some((name) => route.name.startsWith(name));
  const baseline = wanted(pooled) ? await startRoute(pooled, cleanup, options.baseline.start, options.baseline.missing) : undefined;
  if (wanted(relay)) await startRoute(relay, cleanup, () => startNodeRelay(server.port));
  if (wanted(reusing)) await startRoute(reusing, cleanup, () => startNodeRelay(server.port, true));
  if (wanted(recgate)) await startRoute(recgate, cleanup, () => options.gateway.start());
  if (other && compared && wanted(compared)) await startRoute(compared, cleanup, () => options.gateway.start(other.cli, other.nodeOptions));
  return { routes: [direct, pooled, relay, reusing, recgate, ...(compared ? [compared] : [])].filter(wanted), direct, baseline };
}

// --- running

/**
 * Runs a benchmark: `main` hands what it starts to `cleanup`, which stops it
 * all at the end, however it ends; an error ends the process with status 1.
 */
export function runBenchmark(main: (cleanup: Cleanup) => Promise<void>): void {
  const cleanup = new Cleanup();
  main(cleanup)
    .finally(() => cleanup.run())
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}

/**
 * The command line's options (`--name value`): `counts`, with their defaults,
 * must be positive whole numbers; `words`, with theirs, are taken as given.
 */
export function parseOptions<C extends string, W extends string = never>(counts: Record<C, number>, words?: Record<W, string>): Record<C, number> & Record<W, string> {
  const spec: Record<string, { type: 'string'; default: string }> = {};
  for (const [name, value] of Object.entries<number | string>({ ...counts, ...words })) spec[name] = { type: 'string', default: String(value) };
  const { values } = benchArgs({ options: spec });
  const parsed: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') continue;
    if (!(name in counts)) parsed[name] = value;
    else {
      const count = Number(value);
      if (!Number.isInteger(count) || count < 1) throw new Error(`--${name} must be a positive whole number`);
      parsed[name] = count;
    }
  }
  return parsed as Record<C, number> & Record<W, string>;
}

/** A comma-separated list of positive whole numbers (`--clients 8,64`). */
export function countList(value: string, option: string): number[] {
  const counts = value.split(',').map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${option} must be positive whole numbers separated by commas`);
  return counts;
}

/** Ends the benchmark, saying how to install it, when something it needs is `missing` (the command that installs it). */
export function exitIfMissing(what: string, missing: string | undefined): void {
  if (missing) {
    console.error(`this benchmark needs ${what}; install it with: ${missing}`);
    process.exit(1);
  }
}

/** Says that the rows of `what`, a baseline proxy, are left out when it is `missing`; returns `missing`. */
export function warnIfMissing(what: string, missing: string | undefined): string | undefined {
  if (missing) console.error(`${what} is not installed, so its rows are left out; install it with: ${missing}`);
  return missing;
}

/** Whether `program` is on the PATH. */
export async function onPath(program: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${program}`])).code === 0;
}

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

// --- printing

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
  const head = ['route', 'TPS', ...latency.map(([h]) => h), '% of direct', 'proxy CPU µs/tx', 'steady', 'proxy KiB/conn', 'proxy syscalls/tx', 'server CPU µs/tx', `${client} CPU µs/tx`, 'load'];
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
  console.log('proxy KiB/conn: the proxy\'s resident memory at the last progress report less before the run, per connection.');
  console.log('proxy syscalls/tx: read and write system calls of the proxy process per transaction (/proc/PID/io).');
  console.log('load: the 1-minute load average at the end of the run (the machine is shared: TPS moves with it, CPU per transaction much less).');
  if ([...results.values()].some((byRoute) => [...byRoute.values()].some((m) => typeof m === 'object' && m.rounds !== undefined))) {
    console.log('rounds: each route was run that many times, the routes alternated, and the row is its run with the median');
    console.log('proxy CPU per transaction (steady); the last column gives every round\'s figure in the order run.');
  }
}

// --- baseline proxies

/** A baseline proxy as its module hands it out. */
export interface Daemon {
  port: number;
  /** Its temporary folder, with its config. */
  dir: string;
  pid: number;
  /** Everything it logged so far. */
  log(): string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/**
 * A daemon on an ephemeral loopback port with its config in a temporary
 * folder of its own (recgate-NAME-…): `configure` writes the config for that
 * folder and port and says how to run the daemon there. The folder is
 * removed when the daemon stops, or fails to start.
 */
export async function startDaemon(
  name: string,
  configure: (dir: string, port: number) => Promise<Omit<ServerProcessOptions, 'name' | 'dir'>>,
): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), `recgate-${name}-`));
  try {
    const port = await freePort();
    const server = await startServerProcess({ name, dir, ...(await configure(dir, port)) });
    return {
      port,
      dir,
      pid: server.pid,
      log: () => server.log(),
      async stop() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
