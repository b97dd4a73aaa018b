/**
 * PostgreSQL benchmark: pgbench against one PostgreSQL server three ways in
 * the same run on this machine: directly, through PgBouncer in session mode
 * (a pooler that records nothing, the baseline), and through the gateway
 * (recording on).
 *
 *   node dist/bench/postgres.js [--seconds 15] [--clients 8,64] [--jobs 2] [--scale 10]
 *                               [--workloads select-only,tpcb-like] [--routes direct,pgbouncer,node,recgate]
 *                               [--rounds 1] [--protocol simple] [--cpu-prof DIR] [--compare DIR [--compare-node-options=OPTS]]
 *                               [--store-sync MODE] [--compare-store-sync MODE] [--connect session]
 *
 *   --clients    pgbench clients, one table per count and workload (scale: --clients 1,10,100,500)
 *   --workloads  which workloads to run, by the start of their names
 *   --routes     which routes to set up and measure, by the start of their names
 *   --rounds     runs per route and workload, the routes alternated; each route's median run is shown
 *   --protocol   pgbench's -M: simple (a Query per statement, the default), extended (Parse, Bind and
 *                Execute of the unnamed statement each time) or prepared (each statement parsed once per
 *                connection, then Bind and Execute: what JDBC and most drivers do)
 *   --cpu-prof   the gateway's CPU profile (node --cpu-prof) into DIR, written when it stops
 *   --gateway-node-options  more node options for the gateway, space-separated (--perf-basic-prof for perf)
 *   --compare DIR  also measures the gateway of another recgate checkout, built (a `git worktree add DIR
 *                  COMMIT`, then npm ci and npm run build there), as a route of its own: two builds in one
 *                  run, their rounds alternated with --rounds, where runs minutes apart differ by ±20 %
 *   --compare-node-options=OPTS  node options for the compared gateway alone, space-separated: with
 *                  `--compare .` this build against itself with other V8 flags
 *   --store-sync MODE, --compare-store-sync MODE  the gateway's store.sync (auto, file, filesystem), and
 *                  the compared gateway's: `--compare . --compare-store-sync filesystem` sets the two
 *                  side by side; each build's default when absent
 *   --connect    session (each client connects once for the run, the default) or transaction
 *                (pgbench -C: a connection, its login and its session, per transaction: what an
 *                application that connects for each request costs)
 *   --rows       the big select's rows (default 1 000 000); --big-runs its runs per route (3)
 *
 *   big-select    psql reads SELECT of --rows rows (an int and a 20-character text each) in one
 *                 result (`-o /dev/null`): the time per route, the median of --big-runs, and the
 *                 proxy's CPU. Through the gateway every row past recording.maxRows is counted,
 *                 never decoded. Run with `--workloads big-select` alone, or beside the others.
 *
 *   select-only   pgbench -S: one indexed SELECT per transaction
 *   tpcb-like     pgbench's default mix: three UPDATEs, a SELECT and an INSERT per transaction
 *
 * Besides TPS and latency it prints the CPU microseconds each process spent per
 * transaction (from /proc/PID/stat, children included), so one can see
 * where time goes: the client, the proxy in the middle, the server.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../test/fixtures/gateway-env.js';
import { postgresBinDir, startPostgres, type Postgres } from '../test/fixtures/postgres.js';
import { countList, exitIfMissing, firstLine, parseOptions, runBenchmark, runClient, warnIfMissing, type Measure, type Route } from './common.js';
import { compareBuild, gatewayNodeOptions, startGateway } from './gateway-route.js';
import { machineLine, measureAll, printResults } from './report.js';
import { startRoutes } from './routes.js';
import { PGBOUNCER, pgbouncerMissing, startPgBouncer } from './pgbouncer.js';

const TARGET = 'pg01';

interface PgbenchMeasure extends Measure {
  latencyMs: number;
}

interface Workload {
  name: string;
  args: string[];
  clients: number;
}

function parsePgbench(stdout: string): Omit<PgbenchMeasure, 'cpu' | 'load' | 'steady'> | undefined {
  // With -C every transaction connects, and pgbench counts its connection in (no figure without it).
  const tps = /tps = ([\d.]+) \((?:without initial connection time|including reconnection times)\)/.exec(stdout);
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

async function pgbench(pg: Postgres, route: Route, args: string[], seconds: number): Promise<PgbenchMeasure> {
  const progressRate = (line: string): number | undefined => {
    const m = /^progress: [\d.]+ s, ([\d.]+) tps/.exec(line);
    return m ? Number(m[1]) : undefined;
  };
  const { result: r, cpu, load, steady } = await runClient('pgbench', ['-P', '1', ...args], { env: pgbenchEnv(route) }, seconds, route, pg.pid, progressRate);
  const parsed = parsePgbench(r.stdout);
  if (r.code !== 0 || !parsed) {
    // pgbench's own complaint, not its progress reports or its summary (which counts "failed" transactions).
    const said = `${r.stderr}\n${r.stdout}`.split('\n').filter((l) => !l.startsWith('progress:') && l.trim() !== '');
    // Else its last line: its first is only its version banner.
    const complaint = said.find((l) => /error|fatal|could not|abort/i.test(l)) ?? said.at(-1);
    throw new Error(`${complaint ?? 'no output'} (pgbench exited ${r.code})`);
  }
  return { ...parsed, cpu, load, ...(steady ? { steady } : {}) };
}

/** pgbench's own pre-run step (-n skips it), done directly so every route starts alike. */
async function vacuum(pg: Postgres): Promise<void> {
  const r = await pg.psql(['-q', '-v', 'ON_ERROR_STOP=1', '-c', 'vacuum pgbench_branches', '-c', 'vacuum pgbench_tellers', '-c', 'truncate pgbench_history']);
  if (r.code !== 0) throw new Error(`vacuum failed: ${r.stderr}`);
}

runBenchmark(async (cleanup) => {
  const options = parseOptions(
    { seconds: 15, jobs: 2, scale: 10, rows: 1_000_000, 'big-runs': 3, rounds: 1 },
    { clients: '8,64', workloads: 'select-only,tpcb-like,big-select', routes: 'direct,pgbouncer,node,recgate', protocol: 'simple', connect: 'session', 'cpu-prof': '', 'gateway-node-options': '', 'store-sync': '', compare: '', 'compare-node-options': '', 'compare-store-sync': '' },
  );
  const { seconds, jobs, scale, protocol } = options;
  if (!['simple', 'extended', 'prepared'].includes(protocol)) throw new Error(`--protocol: ${protocol} is not simple, extended or prepared`);
  if (!['session', 'transaction'].includes(options.connect)) throw new Error(`--connect: ${options.connect} is not session or transaction`);
  const perTransaction = options.connect === 'transaction';
  // A checkout to compare with is checked before any server is set up.
  const compare = compareBuild(options.compare, options['compare-node-options'], options['compare-store-sync']);
  const clientCounts = countList(options.clients, '--clients');
  const clients = Math.max(...clientCounts);
  const pgbenchPath = (await run('sh', ['-c', 'command -v pgbench'])).stdout.trim();
  exitIfMissing('pgbench', pgbenchPath === '' || !existsSync(pgbenchPath) ? 'sudo apt-get install -y postgresql' : undefined);
  const bouncerMissing = warnIfMissing('PgBouncer', pgbouncerMissing());

  const pg = await startPostgres({
    conf: ['shared_buffers = 256MB', 'max_wal_size = 4GB', 'checkpoint_timeout = 30min', `max_connections = ${Math.max(100, 3 * clients + 20)}`],
  });
  cleanup.add(() => pg.stop());
  const init = await run('pgbench', ['-i', '-q', '-s', String(scale)], { env: pgbenchEnv({ port: pg.port, user: pg.user, password: pg.password }) });
  if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

  const { routes, direct, baseline: bouncer } = await startRoutes(
    {
      server: pg,
      baseline: {
        name: 'pgbouncer (session)',
        start: () => startPgBouncer({ serverPort: pg.port, database: pg.database, user: pg.user, password: pg.password, poolMode: 'session', poolSize: Math.max(20, clients) }),
        missing: bouncerMissing,
      },
      gateway: {
        target: TARGET,
        start: (cli, more = [], storeSync) =>
          startGateway({
            name: TARGET,
            protocol: 'postgres',
            port: pg.port,
            user: pg.user,
            password: pg.password,
            nodeOptions: [...gatewayNodeOptions(options['cpu-prof'], options['gateway-node-options']), ...more],
            cli,
            storeSync: cli ? storeSync : options['store-sync'] || undefined,
          }),
        short: 'gateway',
      },
      only: options.routes.split(','),
      compare,
    },
    cleanup,
  );

  // Warm the server's caches so the first route measured is not the cold one.
  await vacuum(pg);
  await run('pgbench', ['-n', '-S', '-c', String(clients), '-j', String(jobs), '-T', String(Math.min(3, seconds))], { env: pgbenchEnv(direct) });

  const kinds = [
    { name: 'select-only (pgbench -S)', args: ['-S'] },
    { name: 'tpcb-like (pgbench default)', args: [] },
  ].filter((k) => options.workloads.split(',').some((w) => k.name.startsWith(w)));
  const workloads: Workload[] = kinds.flatMap((k) => clientCounts.map((c) => ({ name: `${k.name}, ${c} clients`, args: k.args, clients: c })));
  const common = ['-n', '-j', String(jobs), '-T', String(seconds), '-M', protocol, ...(perTransaction ? ['-C'] : [])];
  const results = await measureAll(workloads, routes, (w, route) => pgbench(pg, route, [...common, '-c', String(w.clients), ...w.args], seconds), () => vacuum(pg), options.rounds);

  const pgVersion = firstLine((await run(join(postgresBinDir(), 'postgres'), ['--version'])).stdout);
  const bouncerVersion = bouncer ? firstLine((await run(PGBOUNCER, ['-V'])).stdout) : 'PgBouncer not run';
  console.log('recgate PostgreSQL benchmark: pgbench against one server, directly, through PgBouncer and through the gateway');
  console.log(machineLine());
  console.log(`${pgVersion}; ${bouncerVersion}; data in ${pg.dir} (fsync off)`);
  console.log(`pgbench: scale ${scale}, ${common.join(' ')} -c ${clientCounts.join('|')} (${protocol === 'simple' ? 'simple query protocol' : `extended query protocol, ${protocol}`}), sslmode=disable, ${perTransaction ? 'a new connection for every transaction' : 'one connection per client for the whole run'}\n`);
  printResults(results, {
    routes,
    direct,
    latency: [['avg latency ms', (m) => m.latencyMs.toFixed(3)]],
    client: 'pgbench',
    baseline: 'PgBouncer',
    server: 'the postmaster and its backends',
    connections: (name) => workloads.find((w) => w.name === name)?.clients ?? 1,
  });
  if (options.workloads.split(',').includes('big-select')) await printBigSelect(pg, routes, options.rows, options['big-runs']);
});

/** One SELECT of `rows` rows read by psql through each route: median wall time of `runs`, and the proxy's CPU. */
async function printBigSelect(pg: Postgres, routes: Route[], rows: number, runs: number): Promise<void> {
  const sql = `SELECT g, repeat('x', 20) AS pad FROM generate_series(1, ${rows}) g`;
  const lines: string[][] = [];
  for (const route of routes) {
    if (route.failure) continue;
    const times: { ms: number; proxyMs: number | undefined; syscalls: number | undefined; load: number }[] = [];
    for (let i = 0; i <= runs; i++) {
      const start = performance.now();
      const { result: r, cpu, load } = await runClient('psql', ['-X', '-w', '-q', '-A', '-t', '-o', '/dev/null', '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: pgbenchEnv(route) }, 120, route, pg.pid);
      const ms = performance.now() - start;
      if (r.code !== 0) throw new Error(`big select through ${route.name} failed: ${firstLine(r.stderr)}`);
      // The first run warms the server's and the proxy's code paths; it is not counted.
      if (i > 0) times.push({ ms, proxyMs: cpu.proxy === undefined ? undefined : cpu.proxy * 1000, syscalls: cpu.proxySyscalls, load });
    }
    times.sort((a, b) => a.ms - b.ms);
    const median = times[Math.floor(times.length / 2)]!;
    lines.push([route.name, median.ms.toFixed(0), times[0]!.ms.toFixed(0), median.proxyMs === undefined ? '-' : median.proxyMs.toFixed(0), median.syscalls === undefined ? '-' : String(median.syscalls), median.load.toFixed(1)]);
  }
  const relay = lines.find((l) => l[0]!.startsWith('node relay'));
  const head = ['route', 'median ms', 'best ms', 'proxy CPU ms', 'proxy syscalls', 'load', 'vs node relay'];
  const cells = lines.map((l) => [...l, relay ? `${((100 * Number(l[1])) / Number(relay[1])).toFixed(0)}%` : '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(`\nbig select: psql -A -t -o /dev/null -c "${sql}", median of ${runs} runs after one warm-up`);
  console.log([line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n'));
}
