/**
 * MySQL benchmark: sysbench against one MariaDB server four ways in the same
 * run on this machine: directly, through HAProxy in TCP mode (a proxy that
 * records nothing, the baseline), through the bare Node.js relay, and
 * through the gateway (recording on).
 *
 *   node dist/bench/mysql.js [--seconds 15] [--threads 8,64] [--tables 4] [--table-size 10000] [--ps-mode auto]
 *                            [--workloads oltp_point_select,oltp_read_only] [--routes direct,haproxy,node,recgate]
 *                            [--rounds 1] [--cpu-prof DIR] [--compare DIR [--compare-node-options=OPTS]]
 *                            [--store-sync MODE] [--compare-store-sync MODE]
 *
 *   --threads    sysbench threads (one connection each), one table per count and workload
 *   --workloads  which sysbench tests to run
 *   --routes     which routes to set up and measure, by the start of their names
 *   --rounds     runs per route and workload, the routes alternated; each route's median run is shown
 *   --cpu-prof   the gateway's CPU profile (node --cpu-prof) into DIR, written when it stops
 *   --gateway-node-options  more node options for the gateway, space-separated (--perf-basic-prof for perf)
 *   --compare DIR  also measures the gateway of another recgate checkout, built (a `git worktree add DIR
 *                  COMMIT`, then npm ci and npm run build there), as a route of its own: two builds in one
 *                  run, their rounds alternated with --rounds, where runs minutes apart differ by ±20 %
 *   --compare-node-options=OPTS  node options for the compared gateway alone, space-separated: with
 *                  `--compare .` this build against itself with other V8 flags
 *   --store-sync MODE, --compare-store-sync MODE  the gateway's store.sync (auto, file, filesystem), and
 *                  the compared gateway's; each build's default when absent
 *
 *   oltp_point_select   one primary-key SELECT per transaction
 *   oltp_read_only      BEGIN, 10 point SELECTs, 4 range SELECTs, COMMIT per transaction
 *
 * Besides TPS and latency it prints the CPU microseconds each process spent per
 * transaction (from /proc/PID/stat, children included), so one can see
 * where time goes: the client, the proxy in the middle, the server.
 */
import { run } from '../test/fixtures/gateway-env.js';
import { MARIADBD, mariadbMissing, startMariadb, type Mariadb } from '../test/fixtures/mariadb.js';
import { countList, exitIfMissing, firstLine, onPath, parseOptions, runBenchmark, runClient, warnIfMissing, type Measure, type Proxy, type Route } from './common.js';
import { compareBuild, gatewayNodeOptions, startGateway } from './gateway-route.js';
import { machineLine, measureAll, printResults } from './report.js';
import { startRoutes } from './routes.js';
import { HAPROXY, haproxyMissing, isListening, startHaproxy } from './haproxy.js';

const TARGET = 'my01';

interface SysbenchMeasure extends Measure {
  avgMs: number;
  p95Ms: number;
}

/** sysbench prints its banner first and its errors on stdout: the first FATAL line says what went wrong. */
function sysbenchError(r: { code: number | null; stdout: string; stderr: string }): string {
  const fatal = `${r.stderr}\n${r.stdout}`.split('\n').find((l) => /FATAL|error/i.test(l));
  return fatal?.trim() ?? firstLine(r.stderr || `sysbench exited ${r.code}`);
}

function sysbenchArgs(route: Pick<Route, 'port' | 'user' | 'password'>, db: string): string[] {
  return [
    '--db-driver=mysql',
    '--mysql-host=127.0.0.1',
    `--mysql-port=${route.port}`,
    `--mysql-user=${route.user}`,
    `--mysql-password=${route.password}`,
    `--mysql-db=${db}`,
    '--mysql-ssl=off',
  ];
}

function parseSysbench(stdout: string): Omit<SysbenchMeasure, 'cpu' | 'load' | 'steady'> | undefined {
  const tx = /transactions:\s+(\d+)\s+\(([\d.]+) per sec\.\)/.exec(stdout);
  const avg = /avg:\s+([\d.]+)/.exec(stdout);
  const p95 = /95th percentile:\s+([\d.]+)/.exec(stdout);
  if (!tx || !avg || !p95) return undefined;
  return { transactions: Number(tx[1]), tps: Number(tx[2]), avgMs: Number(avg[1]), p95Ms: Number(p95[1]) };
}

async function sysbench(my: Mariadb, route: Route, test: string, options: string[], seconds: number): Promise<SysbenchMeasure> {
  const args = [test, ...sysbenchArgs(route, my.database), ...options, `--time=${seconds}`, '--events=0', '--percentile=95', '--report-interval=1', 'run'];
  const progressRate = (line: string): number | undefined => {
    const m = /^\[ [\d.]+s \] thds: \d+ tps: ([\d.]+)/.exec(line);
    return m ? Number(m[1]) : undefined;
  };
  const { result: r, cpu, load, steady } = await runClient('sysbench', args, {}, seconds, route, my.pid, progressRate);
  const parsed = parseSysbench(r.stdout);
  if (r.code !== 0 || !parsed || parsed.transactions === 0) throw new Error(sysbenchError(r));
  return { ...parsed, cpu, load, ...(steady ? { steady } : {}) };
}

/** The gateway in front of `my`, once it really serves MySQL on its port. */
async function startMysqlGateway(my: Mariadb, nodeOptions: string[], cli: string | undefined, storeSync: string | undefined): Promise<Proxy> {
  const gateway = await startGateway({ name: TARGET, protocol: 'mysql', port: my.port, user: my.user, password: my.password, nodeOptions, cli, storeSync });
  if (!isListening(gateway.port)) {
    await gateway.stop();
    throw new Error(`recgate started but does not listen on 127.0.0.1:${gateway.port} (listen.mysql): no MySQL proxy in this build`);
  }
  return gateway;
}

runBenchmark(async (cleanup) => {
  const options = parseOptions(
    { seconds: 15, tables: 4, 'table-size': 10000, rounds: 1 },
    { 'ps-mode': 'auto', threads: '8,64', workloads: 'oltp_point_select,oltp_read_only', routes: 'direct,haproxy,node,recgate', 'cpu-prof': '', 'gateway-node-options': '', 'store-sync': '', compare: '', 'compare-node-options': '', 'compare-store-sync': '' },
  );
  const { seconds, tables, 'table-size': tableSize, 'ps-mode': psMode } = options;
  // A checkout to compare with is checked before any server is set up.
  const compare = compareBuild(options.compare, options['compare-node-options'], options['compare-store-sync']);
  const threadCounts = countList(options.threads, '--threads');
  const threads = Math.max(...threadCounts);
  if (psMode !== 'auto' && psMode !== 'disable') throw new Error('--ps-mode must be auto (server-side prepared statements) or disable (text protocol)');
  exitIfMissing('sysbench', (await onPath('sysbench')) ? undefined : 'sudo apt-get install -y sysbench');
  exitIfMissing('MariaDB', mariadbMissing());
  const proxyMissing = warnIfMissing('HAProxy', haproxyMissing());

  const my = await startMariadb({
    conf: ['innodb_buffer_pool_size = 256M', `max_connections = ${Math.max(151, 3 * threads + 20)}`],
  });
  cleanup.add(() => my.stop());
  const sizing = [`--tables=${tables}`, `--table-size=${tableSize}`];
  const prepare = await run('sysbench', ['oltp_read_only', ...sysbenchArgs(my, my.database), ...sizing, `--threads=${Math.min(tables, threads)}`, 'prepare']);
  if (prepare.code !== 0) throw new Error(`sysbench prepare failed: ${sysbenchError(prepare)}`);

  const { routes, direct, baseline: haproxy } = await startRoutes(
    {
      server: my,
      baseline: { name: 'haproxy (tcp mode)', start: () => startHaproxy({ serverPort: my.port, maxconn: Math.max(200, 2 * threads) }), missing: proxyMissing },
      gateway: { target: TARGET, start: (cli, more = [], storeSync) =>
          startMysqlGateway(my, [...gatewayNodeOptions(options['cpu-prof'], options['gateway-node-options']), ...more], cli, cli ? storeSync : options['store-sync'] || undefined),
        short: 'recgate' },
      only: options.routes.split(','),
      compare,
    },
    cleanup,
  );

  const common = [...sizing, `--db-ps-mode=${psMode}`];
  // Warm the buffer pool so the first route measured is not the cold one.
  await run('sysbench', ['oltp_read_only', ...sysbenchArgs(direct, my.database), `--threads=${threads}`, ...common, `--time=${Math.min(3, seconds)}`, 'run']);

  const tests = options.workloads.split(',');
  const workloads = tests.flatMap((test) => threadCounts.map((n) => ({ name: `${test}, ${n} threads`, test, threads: n })));
  const results = await measureAll(workloads, routes, (w, route) => sysbench(my, route, w.test, [`--threads=${w.threads}`, ...common], seconds), undefined, options.rounds);

  const serverVersion = firstLine((await run(MARIADBD, ['--version'])).stdout);
  const haproxyVersion = haproxy ? firstLine((await run(HAPROXY, ['-v'])).stdout) : 'HAProxy not run';
  const sysbenchVersion = firstLine((await run('sysbench', ['--version'])).stdout);
  console.log('recgate MySQL benchmark: sysbench against one MariaDB server, directly, through HAProxy, through a bare Node.js relay and through the gateway');
  console.log(machineLine());
  console.log(`${serverVersion}; data in ${my.dir} (innodb_flush_log_at_trx_commit=0, no binary log)`);
  console.log(`${haproxyVersion}`);
  console.log(`${sysbenchVersion}: --threads=${threadCounts.join('|')} ${common.join(' ')} --time=${seconds} (${psMode === 'auto' ? 'server-side prepared statements' : 'text protocol'}), --mysql-ssl=off, one connection per thread for the whole run\n`);
  printResults(results, {
    routes,
    direct,
    latency: [
      ['avg latency ms', (m) => m.avgMs.toFixed(2)],
      ['p95 latency ms', (m) => m.p95Ms.toFixed(2)],
    ],
    client: 'sysbench',
    connections: (name) => workloads.find((w) => w.name === name)?.threads ?? 1,
    baseline: 'HAProxy',
    server: 'mariadbd (all its threads)',
  });
});
