/**
 * MySQL bulk benchmark: the mariadb npm connector's batch() of N rows (one
 * COM_STMT_BULK_EXECUTE on a MariaDB server) against one MariaDB server,
 * directly and through the gateway (recording on, one event per row), in
 * the same run on this machine.
 *
 *   node dist/bench/mysql-bulk.js [--rows 5000] [--runs 10]
 *
 * Each run empties the table and inserts the rows in one batch; the table
 * shows the median and the best run per route, and rows per second at the
 * median. Whether the connector took its bulk path is printed per route
 * (it does only when the server it is told of is MariaDB with bulk
 * operations); the last route turns it off, as a connector not told of
 * MariaDB would run (pipelined executes, one per row).
 */
import * as mariadb from 'mariadb';
import { mariadbMissing, startMariadb } from '../test/fixtures/mariadb.js';
import { exitIfMissing, parseOptions, runBenchmark } from './common.js';
import { startGateway } from './gateway-route.js';
import { machineLine } from './report.js';

const TARGET = 'my01';
const ALICE_PASSWORD = 'alice-gateway-pw';

interface Route {
  name: string;
  port: number;
  user: string;
  password: string;
  /** The connector's bulk path off: pipelined executes, what it does when not told of MariaDB. */
  noBulk?: boolean;
}

interface Result {
  route: Route;
  medianMs: number;
  bestMs: number;
  bulk: boolean;
  serverVersion: string;
}

async function measure(route: Route, rows: unknown[][], runs: number): Promise<Result> {
  const c = await mariadb.createConnection({ host: '127.0.0.1', port: route.port, user: route.user, password: route.password, database: 'app' });
  try {
    const times: number[] = [];
    // One warm-up run, not counted.
    for (let i = 0; i <= runs; i++) {
      await c.query('TRUNCATE TABLE bulk_items');
      const start = performance.now();
      const r = (await c.batch(route.noBulk ? { sql: 'INSERT INTO bulk_items VALUES (?, ?, ?)', bulk: false } : 'INSERT INTO bulk_items VALUES (?, ?, ?)', rows)) as { affectedRows: number } | { affectedRows: number }[];
      const ms = performance.now() - start;
      // Without the bulk path the connector answers with one result per row.
      const affected = Array.isArray(r) ? r.reduce((n, x) => n + x.affectedRows, 0) : r.affectedRows;
      if (affected !== rows.length) throw new Error(`${route.name}: ${affected} rows inserted, not ${rows.length}`);
      if (i > 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const info = c.info!;
    return {
      route,
      medianMs: times[Math.floor(times.length / 2)]!,
      bestMs: times[0]!,
      bulk: !route.noBulk && info.serverVersion.mariaDb && info.hasMinVersion(10, 2, 7),
      serverVersion: info.serverVersion.raw,
    };
  } finally {
    await c.end();
  }
}

runBenchmark(async (cleanup) => {
  const { rows: count, runs } = parseOptions({ rows: 5000, runs: 10 });
  exitIfMissing('MariaDB', mariadbMissing());
  const my = await startMariadb({ conf: ['innodb_buffer_pool_size = 256M'] });
  cleanup.add(() => my.stop());
  const setup = await my.mariadb(['-e', 'CREATE TABLE bulk_items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(8,2) NULL)']);
  if (setup.code !== 0) throw new Error(setup.stderr);
  const gateway = await startGateway({ name: TARGET, protocol: 'mysql', port: my.port, user: my.user, password: my.password });
  cleanup.add(() => gateway.stop());

  const rows = Array.from({ length: count }, (_, i) => [i + 1, `item ${i + 1}`, i % 3 === 0 ? null : ((i + 1) * 1.25).toFixed(2)]);
  const routes: Route[] = [
    { name: 'direct', port: my.port, user: my.user, password: my.password },
    { name: 'recgate (recording)', port: gateway.port, user: `alice+${TARGET}`, password: ALICE_PASSWORD },
    { name: 'recgate, bulk off', port: gateway.port, user: `alice+${TARGET}`, password: ALICE_PASSWORD, noBulk: true },
  ];
  const results: Result[] = [];
  for (const route of routes) results.push(await measure(route, rows, runs));

  const direct = results[0]!;
  console.log(`recgate MySQL bulk benchmark: the mariadb connector's batch() of ${count} rows, directly and through the gateway`);
  console.log(machineLine());
  console.log(`mariadb connector ${mariadbVersion()}; ${runs} runs per route after one warm-up; server ${direct.serverVersion}\n`);
  const header = ['route', 'server seen', 'bulk path', 'median ms', 'best ms', 'rows/s (median)', 'vs direct'];
  const table = results.map((r) => [
    r.route.name,
    r.serverVersion,
    r.bulk ? 'yes' : 'no',
    r.medianMs.toFixed(1),
    r.bestMs.toFixed(1),
    Math.round((count * 1000) / r.medianMs).toString(),
    `${(r.medianMs / direct.medianMs).toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
});

function mariadbVersion(): string {
  return (mariadb as unknown as { version?: string }).version ?? '3.x';
}
