/**
 * Instructions per transaction of the recording path, counted by valgrind's
 * callgrind: a figure that does not move with the machine's load, for changes
 * of a few percent that the CPU-time benches cannot tell from their noise.
 *
 *   node dist/bench/instructions.js [--only pg-select,my-point] [--half recorded,unrecorded]
 *                                   [--transactions 20000,60000] [--top 25] [--compare DIR]
 *
 * Each workload and half of bench/record-path.ts runs twice under callgrind,
 * with the two transaction counts; the difference of the two runs' totals over
 * the difference of their counts is what one more transaction costs, with the
 * start-up, the warm-up and the compilation of the path (what both runs share)
 * taken out. The recorder's flush and checkpoint intervals are set to an hour,
 * so chunks are sealed when they fill, not by a clock that valgrind's
 * slowness would make tick fifty times as often per transaction.
 *
 * Node runs with --single-threaded (V8 compiles and collects on the main
 * thread, in the same order each run), --predictable-gc-schedule and fixed
 * random and hash seeds, and the chunk digests come from libsodium (the
 * gateway picks OpenSSL or libsodium by timing them, which valgrind skews). The per-function table names
 * JIT-compiled JavaScript through the perf map --perf-basic-prof writes.
 * valgrind has no AVX-512: OpenSSL and libsodium take their AVX2 paths under
 * it, so the crypto's share is larger here than on the CPU.
 *
 * The default counts suit the small workloads (a minute or two each under
 * valgrind). Both must be 2 000 or more: record-path warms up on
 * min(2 000, n) transactions first, and the warm-up must be the same in both
 * runs to cancel out. A read_only transaction costs about fifty times a
 * point select, so my-read with --transactions 2000,4000 takes half an hour.
 *
 * --compare DIR counts another checkout's build (`git worktree add DIR REV`,
 * then `npm ci && npm run build` there) the same way, beside this one's. Its
 * record-path.js must take --flush-ms, --checkpoint-ms and --large-hash: for a
 * build older than those, copy this checkout's bench/record-path.ts there first.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { benchArgs } from './args.js';

/** The checkout: dist/bench/instructions.js → ../.. */
const HERE = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Count {
  total: number;
  /** Self instructions by function, JIT code named by the perf map. */
  functions: Map<string, number>;
}

/** One callgrind run of record-path.js from the build in `dist`. */
async function count(dist: string, workload: string, half: string, transactions: number): Promise<Count> {
  const out = join(tmpdir(), `recgate-callgrind-${process.pid}-${workload}-${half}-${transactions}.out`);
  await promisify(execFile)(
    'valgrind',
    [
      '--tool=callgrind',
      '--smc-check=all-non-file',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--single-threaded',
      '--predictable-gc-schedule',
      '--random-seed=1',
      '--hash-seed=1',
      '--perf-basic-prof',
      join(dist, 'bench', 'record-path.js'),
      ...['--only', workload, '--runs', '1', '--transactions', String(transactions), '--half', half],
      ...['--flush-ms', '3600000', '--checkpoint-ms', '3600000', '--large-hash', 'libsodium'],
    ],
    { encoding: 'utf8', cwd: join(dist, '..'), maxBuffer: 64 << 20, env: quietEnv() },
  ).catch((err: Error) => {
    throw new Error(`record-path under callgrind failed (npm run bench:instructions installs valgrind): ${err.message.slice(-2000)}`);
  });
  try {
    const text = readFileSync(out, 'utf8');
    const pid = /^pid: (\d+)$/m.exec(text)?.[1];
    const map = pid ? `/tmp/perf-${pid}.map` : '';
    const jit = existsSync(map) ? perfMap(map) : [];
    if (existsSync(map)) rmSync(map);
    return { total: Number(/^summary: (\d+)$/m.exec(text)?.[1] ?? NaN), functions: selfCosts(out, jit) };
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * This process's environment without what would make node do work of its own at start that
 * differs between runs: NODE_EXTRA_CA_CERTS has node parse every root certificate as it starts
 * (about 12 million instructions), and under callgrind that work landed in one run of a pair but
 * not the other often enough to move the per-transaction figure by 1 700 instructions.
 */
function quietEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}

type MapEntry = [start: number, size: number, name: string];

function perfMap(path: string): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) entries.push([parseInt(m[1]!, 16), parseInt(m[2]!, 16), m[3]!]);
  }
  return entries.sort((a, b) => a[0] - b[0]);
}

function jitName(entries: MapEntry[], address: number): string | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, size, name] = entries[mid]!;
    if (address < start) hi = mid - 1;
    else if (address >= start + size) lo = mid + 1;
    else return `JS ${name.replace(/^(JS|LazyCompile|Function):/, '').replace(/file:\/\/\S*?\/dist\//, '')}`;
  }
  return undefined;
}

/** The suffix callgrind_annotate gives what lies in the node binary (V8, builtins, Node's C++). */
const nodeBinary = ` [${process.execPath}]`;

/** Self cost per function, from callgrind_annotate's listing. */
function selfCosts(file: string, jit: MapEntry[]): Map<string, number> {
  const r = spawnSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const costs = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([\d,]+) \([ \d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2]!.includes('PROGRAM TOTALS')) continue;
    let name = m[2]!.replace(nodeBinary, '').replace(/^\?\?\?:/, '');
    const address = /^0x([0-9a-f]+) \[\?\?\?\]$/.exec(name);
    if (address) name = jitName(jit, parseInt(address[1]!, 16)) ?? 'JS (code no longer mapped)';
    costs.set(name, (costs.get(name) ?? 0) + Number(m[1]!.replace(/,/g, '')));
  }
  return costs;
}

interface PerTransaction {
  instructions: number;
  functions: [string, number][];
}

/** The two runs side by side: instructions do not depend on what else the cores are doing. */
async function perTransaction(dist: string, workload: string, half: string, [few, many]: [number, number]): Promise<PerTransaction> {
  const [a, b] = await Promise.all([count(dist, workload, half, few), count(dist, workload, half, many)]);
  const n = many - few;
  const names = new Set([...a.functions.keys(), ...b.functions.keys()]);
  const functions = [...names].map((k): [string, number] => [k, ((b.functions.get(k) ?? 0) - (a.functions.get(k) ?? 0)) / n]).sort((x, y) => y[1] - x[1]);
  return { instructions: (b.total - a.total) / n, functions };
}

/** Per function, `a`'s instructions less `b`'s, the largest either way first. */
function differences(a: PerTransaction, b: PerTransaction): [string, number][] {
  const of = (r: PerTransaction): Map<string, number> => new Map(r.functions);
  const [x, y] = [of(a), of(b)];
  const names = new Set([...x.keys(), ...y.keys()]);
  return [...names].map((k): [string, number] => [k, (x.get(k) ?? 0) - (y.get(k) ?? 0)]).sort((p, q) => Math.abs(q[1]) - Math.abs(p[1]));
}

async function main(): Promise<void> {
  const { values } = benchArgs({
    options: {
      only: { type: 'string', default: 'pg-select,my-point' },
      half: { type: 'string', default: 'recorded,unrecorded' },
      transactions: { type: 'string', default: '20000,60000' },
      top: { type: 'string', default: '25' },
      compare: { type: 'string', default: '' },
    },
  });
  const counts = values.transactions.split(',').map(Number);
  if (counts.length !== 2 || !(counts[0]! < counts[1]!)) throw new Error('--transactions: two counts, the smaller first');
  if (counts[0]! < 2000) throw new Error('--transactions: 2000 or more each (record-path warms up on the first 2000, and both runs must share that)');
  const builds: [string, string][] = [['this build', join(HERE, 'dist')]];
  if (values.compare) {
    const other = join(resolve(values.compare), 'dist');
    if (!existsSync(join(other, 'bench', 'record-path.js'))) throw new Error(`--compare: ${other}/bench/record-path.js is not built`);
    builds.push([`${values.compare}`, other]);
  }
  console.log(`recgate recording path, instructions per transaction (callgrind; ${counts.join(' and ')} transactions per run)\n`);
  const rows: string[][] = [];
  const tops: string[] = [];
  for (const workload of values.only.split(',')) {
    for (const half of values.half.split(',')) {
      const results: PerTransaction[] = [];
      for (const [, dist] of builds) results.push(await perTransaction(dist, workload, half, counts as [number, number]));
      const base = results[1]?.instructions;
      rows.push([workload, half, ...results.map((r) => r.instructions.toFixed(0)), ...(base === undefined ? [] : [`${(((results[0]!.instructions - base) / base) * 100).toFixed(1)} %`])]);
      tops.push(`${workload}, ${half}, this build: instructions per transaction by function (self)`);
      for (const [name, n] of results[0]!.functions.slice(0, Number(values.top))) tops.push(`${n.toFixed(0).padStart(8)}  ${name.slice(0, 140)}`);
      tops.push('');
      if (results[1] !== undefined) {
        tops.push(`${workload}, ${half}, this build less ${builds[1]![0]}: the largest differences by function`);
        for (const [name, n] of differences(results[0]!, results[1]).slice(0, Number(values.top))) tops.push(`${n.toFixed(0).padStart(8)}  ${name.slice(0, 140)}`);
        tops.push('');
      }
    }
  }
  const head = ['workload', 'half', ...builds.map(([name]) => name), ...(builds.length > 1 ? ['change'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log(`\n${tops.join('\n')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
