/**
 * PostgreSQL benchmark: pgbench against one PostgreSQL server three ways in
 * the same run on this machine: directly, through PgBouncer in session mode
 * (a pooler that records nothing, the baseline), and through the gateway
 * (recording on).
 *
 *   node dist/bench/postgres.js [--seconds 15] [--clients 8] [--jobs 2] [--scale 10]
 *
 *   select-only   pgbench -S: one indexed SELECT per transaction
 *   tpcb-like     pgbench's default mix: three UPDATEs, a SELECT and an INSERT per transaction
 *
 * Besides TPS and latency it prints the CPU seconds each process spent per
 * 1000 transactions (from /proc/PID/stat, children included), so one can see
 * where time goes: the client, the proxy in the middle, the server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLI, freePort, GatewayHome, run, type RunningDaemon } from '../test/fixtures/gateway-env.js';
import { postgresBinDir, startPostgres, type Postgres } from '../test/fixtures/postgres.js';
import { pgbouncerMissing, startPgBouncer, type PgBouncer } from './pgbouncer.js';

const ALICE_PASSWORD = 'alice-gateway-pw';
const TARGET = 'pg01';

interface Route {
  name: string;
  port: number;
  user: string;
  password: string;
  /** The process in the middle, whose CPU time is the proxy's. */
  proxyPid?: number;
  /** Why this route cannot be measured. */
  failure?: string;
}

interface Measure {
  tps: number;
  latencyMs: number;
  transactions: number;
  /** CPU seconds: pgbench, the proxy (if any), the PostgreSQL server. */
  cpu: { client: number; proxy: number | undefined; server: number };
}

interface Workload {
  name: string;
  args: string[];
}

const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '(no message)';
const errorText = (err: unknown): string => firstLine(err instanceof Error ? err.message : String(err));

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces): [0] is state, [1] ppid, [11..14] utime stime cutime cstime. */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used by a process and all its descendants so far: each one's own
 * time plus that of the children it has reaped, so a child that ends between
 * two readings still counts, once.
 */
function treeCpuSeconds(root: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f) parents.set(Number(entry), Number(f[1]));
  }
  const pids = [root];
  for (let i = 0; i < pids.length; i++) for (const [pid, ppid] of parents) if (ppid === pids[i]) pids.push(pid);
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / ticksPerSecond();
}

/** CPU seconds of the children this process has waited for (pgbench, once it ends). */
function reapedChildrenCpuSeconds(): number {
  const f = statFields('self')!;
  return (Number(f[13]) + Number(f[14])) / ticksPerSecond();
}

function parsePgbench(stdout: string): { tps: number; latencyMs: number; transactions: number } | undefined {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  const transactions = /number of transactions actually processed: (\d+)/.exec(stdout);
  if (!tps || !latency || !transactions) return undefined;
  return { tps: Number(tps[1]), latencyMs: Number(latency[1]), transactions: Number(transactions[1]) };
}

function pgbenchEnv(route: Pick<Route, 'port' | 'user' | 'password'>): Record<string, string | undefined> {
  return {
    PGHOST: '127.0.0.1',
    PGPORT: String(route.port),
    PGUSER: route.user,
    PGPASSWORD: route.password,
    PGDATABASE: 'app',
    PGSSLMODE: 'disable',
    PGPASSFILE: '/dev/null',
    PGSERVICE: undefined,
    PGOPTIONS: undefined,
    PGCONNECT_TIMEOUT: '10',
  };
}

async function pgbench(pg: Postgres, route: Route, args: string[], seconds: number): Promise<Measure> {
  const client0 = reapedChildrenCpuSeconds();
  const proxy0 = route.proxyPid === undefined ? undefined : treeCpuSeconds(route.proxyPid);
  const server0 = treeCpuSeconds(pg.pid);
  // A proxy that stops answering must not hang the benchmark: coreutils timeout ends pgbench.
  const limit = String(seconds + 60);
  const r = await run('timeout', ['-k', '5', limit, 'pgbench', ...args], { env: pgbenchEnv(route) });
  const client = reapedChildrenCpuSeconds() - client0;
  const proxy = proxy0 === undefined ? undefined : treeCpuSeconds(route.proxyPid!) - proxy0;
  const server = treeCpuSeconds(pg.pid) - server0;
  const parsed = parsePgbench(r.stdout);
  if (r.code === 124 || r.code === 137) throw new Error(`pgbench did not finish within ${limit} s`);
  if (r.code !== 0 || !parsed) throw new Error(firstLine(r.stderr || r.stdout || `pgbench exited ${r.code}`));
  return { ...parsed, cpu: { client, proxy, server } };
}

/** pgbench's own pre-run step (-n skips it), done directly so every route starts alike. */
async function vacuum(pg: Postgres): Promise<void> {
  const r = await pg.psql(['-q', '-v', 'ON_ERROR_STOP=1', '-c', 'vacuum pgbench_branches', '-c', 'vacuum pgbench_tellers', '-c', 'truncate pgbench_history']);
  if (r.code !== 0) throw new Error(`vacuum failed: ${r.stderr}`);
}

async function hashOf(args: string[], password: string): Promise<string> {
  const r = await run(process.execPath, [CLI, 'users', 'hash', ...args], { input: `${password}\n` });
  const out = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || out === '') throw new Error(`recgate users hash ${args.join(' ')} failed: ${firstLine(r.stderr)}`);
  return out;
}

/** Kills any `recgate start` this process left running on `configPath` (when it never said it started). */
function killDaemonsOf(configPath: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (!f || Number(f[1]) !== process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(configPath)) process.kill(Number(entry), 'SIGKILL');
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

interface Gateway {
  home: GatewayHome;
  daemon: RunningDaemon;
  port: number;
}

/** A gateway with one user, alice, allowed to the target pg01: the benchmark's server. */
async function startGateway(pg: Postgres, home: GatewayHome): Promise<Gateway> {
  const port = await freePort();
  const hash = await hashOf([], ALICE_PASSWORD);
  const scram = await hashOf(['--scram'], ALICE_PASSWORD);
  await writeFile(
    home.configPath,
    [
      'gateway: { dataDir: ./data }',
      `listen: { postgres: "127.0.0.1:${port}", console: null }`,
      'recipients:',
      '  - { name: officer, publicKeyFile: ./keys/officer.key.pub }',
      'users:',
      `  - { name: alice, password: "${hash}", scram: "${scram}", targets: [${TARGET}] }`,
      'targets:',
      `  - name: ${TARGET}`,
      '    protocol: postgres',
      '    host: 127.0.0.1',
      `    port: ${pg.port}`,
      '    tls: disable',
      `    login: { user: ${pg.user}, password: "${pg.password}" }`,
      '',
    ].join('\n'),
  );
  try {
    const daemon = await withTimeout(home.startDaemon(), 30_000, 'recgate start');
    return { home, daemon, port };
  } catch (err) {
    killDaemonsOf(home.configPath);
    throw err;
  }
}

async function stopGateway(gw: Gateway): Promise<void> {
  const killer = setTimeout(() => gw.daemon.child.kill('SIGKILL'), 10_000);
  await gw.daemon.stop();
  clearTimeout(killer);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** bench/node-relay.ts in its own process, in front of the server. */
async function startNodeRelay(serverPort: number): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('./node-relay.js', import.meta.url)), String(port), String(serverPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`node relay exited ${code}`)));
  });
  return { port, child };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '15' },
      clients: { type: 'string', default: '8' },
      jobs: { type: 'string', default: '2' },
      scale: { type: 'string', default: '10' },
    },
  });
  const seconds = Number(values.seconds);
  const clients = Number(values.clients);
  for (const [name, value] of Object.entries({ seconds, clients, jobs: Number(values.jobs), scale: Number(values.scale) })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  }
  const pgbenchPath = (await run('sh', ['-c', 'command -v pgbench'])).stdout.trim();
  if (pgbenchPath === '' || !existsSync(pgbenchPath)) {
    console.error('this benchmark needs pgbench; install it with: sudo apt-get install -y postgresql');
    process.exit(1);
  }
  const bouncerMissing = pgbouncerMissing();
  if (bouncerMissing) console.error(`PgBouncer is not installed, so its rows are left out; install it with: ${bouncerMissing}`);

  const pg = await startPostgres({
    conf: ['shared_buffers = 256MB', 'max_wal_size = 4GB', 'checkpoint_timeout = 30min', `max_connections = ${Math.max(100, 3 * clients + 20)}`],
  });
  let bouncer: PgBouncer | undefined;
  let gateway: Gateway | undefined;
  let home: GatewayHome | undefined;
  let nodeRelay: { port: number; child: ChildProcess } | undefined;
  try {
    const init = await run('pgbench', ['-i', '-q', '-s', values.scale!], { env: pgbenchEnv({ port: pg.port, user: pg.user, password: pg.password }) });
    if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

    const direct: Route = { name: 'direct', port: pg.port, user: pg.user, password: pg.password };
    const pooled: Route = { name: 'pgbouncer (session)', port: 0, user: pg.user, password: pg.password };
    if (bouncerMissing) pooled.failure = `not installed (${bouncerMissing})`;
    else {
      try {
        bouncer = await startPgBouncer({ serverPort: pg.port, database: pg.database, user: pg.user, password: pg.password, poolMode: 'session', poolSize: Math.max(20, clients) });
        pooled.port = bouncer.port;
        pooled.proxyPid = bouncer.pid;
      } catch (err) {
        pooled.failure = errorText(err);
      }
    }
    const recgate: Route = { name: 'recgate (recording)', port: 0, user: `alice+${TARGET}`, password: ALICE_PASSWORD };
    try {
      home = await GatewayHome.create();
      gateway = await startGateway(pg, home);
      recgate.port = gateway.port;
      recgate.proxyPid = gateway.daemon.child.pid;
    } catch (err) {
      recgate.failure = errorText(err);
    }
    const relay: Route = { name: 'node relay (no recording)', port: 0, user: pg.user, password: pg.password };
    try {
      nodeRelay = await startNodeRelay(pg.port);
      relay.port = nodeRelay.port;
      relay.proxyPid = nodeRelay.child.pid;
    } catch (err) {
      relay.failure = errorText(err);
    }
    const routes = [direct, pooled, relay, recgate];

    // Warm the server's caches so the first route measured is not the cold one.
    await vacuum(pg);
    await run('pgbench', ['-n', '-S', '-c', String(clients), '-j', values.jobs!, '-T', String(Math.min(3, seconds))], { env: pgbenchEnv(direct) });

    const workloads: Workload[] = [
      { name: 'select-only (pgbench -S)', args: ['-S'] },
      { name: 'tpcb-like (pgbench default)', args: [] },
    ];
    const common = ['-n', '-c', String(clients), '-j', values.jobs!, '-T', String(seconds), '-M', 'simple'];
    const results = new Map<string, Map<Route, Measure | string>>();
    for (const w of workloads) {
      const byRoute = new Map<Route, Measure | string>();
      results.set(w.name, byRoute);
      for (const route of routes) {
        if (route.failure) {
          byRoute.set(route, route.failure);
          continue;
        }
        await vacuum(pg);
        try {
          byRoute.set(route, await pgbench(pg, route, [...common, ...w.args], seconds));
        } catch (err) {
          byRoute.set(route, errorText(err));
        }
      }
    }

    const pgVersion = firstLine((await run(join(postgresBinDir(), 'postgres'), ['--version'])).stdout);
    const bouncerVersion = bouncer ? firstLine((await run('/usr/sbin/pgbouncer', ['-V'])).stdout) : 'PgBouncer not run';
    const cpu = cpus();
    console.log('recgate PostgreSQL benchmark: pgbench against one server, directly, through PgBouncer and through the gateway');
    console.log(`machine: ${availableParallelism()} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}); client, proxy and server share them`);
    console.log(`${pgVersion}; ${bouncerVersion}; data in ${pg.dir} (fsync off)`);
    console.log(`pgbench: scale ${values.scale}, ${common.join(' ')} (simple query protocol), sslmode=disable, one connection per client for the whole run\n`);
    const head = ['route', 'TPS', 'avg latency ms', '% of direct', 'proxy CPU s/1k tx', 'server CPU s/1k tx', 'pgbench CPU s/1k tx'];
    const failures: string[] = [];
    for (const w of workloads) {
      const byRoute = results.get(w.name)!;
      const base = byRoute.get(direct);
      const rows = routes.map((route) => {
        const m = byRoute.get(route);
        if (m === undefined || typeof m === 'string') {
          failures.push(`${route === recgate ? 'gateway' : route.name}: failed — ${m ?? 'not run'}`);
          return [route.name, 'failed', '-', '-', '-', '-', '-'];
        }
        const per1k = (s: number | undefined): string => (s === undefined ? '-' : ((1000 * s) / m.transactions).toFixed(3));
        return [
          route.name,
          m.tps.toFixed(0),
          m.latencyMs.toFixed(3),
          typeof base === 'object' ? `${((100 * m.tps) / base.tps).toFixed(0)}%` : '-',
          per1k(m.cpu.proxy),
          per1k(m.cpu.server),
          per1k(m.cpu.client),
        ];
      });
      console.log(w.name);
      console.log(table(head, rows));
      console.log('');
    }
    for (const f of [...new Set(failures)]) console.log(f);
    if (failures.length > 0) console.log('');
    console.log('CPU s/1k tx: CPU seconds (user + system, children included, from /proc/PID/stat) per 1000 transactions;');
    console.log('proxy is PgBouncer, the bare Node.js relay or the gateway process, server is the postmaster and its backends,');
    console.log('pgbench is the client. The node relay forwards bytes only: the floor of any proxy on this runtime.');
  } finally {
    nodeRelay?.child.kill('SIGTERM');
    if (gateway) await stopGateway(gateway);
    await home?.remove();
    await bouncer?.stop();
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
