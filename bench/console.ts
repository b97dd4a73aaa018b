/**
 * Console listing benchmark: what one page of the recordings list costs deep
 * into a large index, keyset paging (what the console does) beside OFFSET
 * paging on the same SQLite table (the usual baseline).
 *
 *   node dist/bench/console.js [--rows N] [--page N] [--runs N]
 *
 * Rows: the page at 0 %, 50 %, 90 % and 100 % of the listing, newest first,
 * median of --runs queries each.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { SqliteIndex } from '../src/store/sqlite-index.js';
import { machineLine, parseOptions } from './common.js';

const options = parseOptions({ rows: 100_000, page: 50, runs: 20 });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(runs: number, fn: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const dir = await mkdtemp(join(tmpdir(), 'recgate-bench-console-'));
try {
  const file = join(dir, 'index.db');
  const index = new SqliteIndex(file);
  const raw = new Database(file);
  const insert = raw.prepare(
    "INSERT INTO recordings (id, user, target, protocol, client_address, started_at, status, recipients) VALUES (?, ?, ?, 'ssh', '10.0.0.1', ?, 'complete', '[]')",
  );
  const started = performance.now();
  raw.exec('BEGIN');
  for (let i = 0; i < options.rows; i++) {
    insert.run(`rec-${String(i).padStart(8, '0')}`, `user${i % 50}`, `target${i % 200}`, new Date(Date.UTC(2026, 0, 1) + i * 7_000).toISOString());
  }
  raw.exec('COMMIT');
  process.stderr.write(`filled ${options.rows} rows in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  const all = index.list({ descending: true });
  console.log(machineLine());
  console.log(`recordings list, ${options.rows} rows, ${options.page} per page, newest first, median of ${options.runs}`);
  console.log('position   keyset (console)   OFFSET (baseline)');
  for (const share of [0, 0.5, 0.9, 1]) {
    const offset = Math.min(all.length - options.page, Math.floor(share * all.length));
    const before = offset === 0 ? undefined : all[offset - 1]!;
    const keyset = time(options.runs, () =>
      index.list({ descending: true, limit: options.page, ...(before ? { after: { startedAt: before.startedAt, id: before.id } } : {}) }),
    );
    const byOffset = raw.prepare('SELECT * FROM recordings ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?');
    const baseline = time(options.runs, () => byOffset.all(options.page, offset));
    console.log(`${`${Math.round(share * 100)} %`.padEnd(10)} ${`${keyset.toFixed(2)} ms`.padEnd(18)} ${baseline.toFixed(2)} ms`);
  }
  raw.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
