/**
 * A preload that counts a spawned process's garbage collections, for the benchmarks:
 * `NODE_OPTIONS="--import .../dist/bench/gc-stats.js"` with BENCH_GC_DIR set keeps, per
 * kind (V8's scavenges, mark-compacts, incremental marking steps, weak callbacks), how many
 * ran and their main-thread milliseconds, and rewrites DIR/PID.json with the running totals
 * every 250 ms and at exit. A bench reads the file before and after a phase and takes the
 * difference (`gcTotals`), so it never writes to the process's stdout (a gateway's stdout
 * is a pipe nobody may be reading; `--trace-gc` output there can stall it).
 *
 * Concurrent marking on V8's helper threads is not in these milliseconds: count the
 * mark-compacts, and read the process's CPU time beside them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface GcTotals {
  scavenges: number;
  scavengeMs: number;
  markCompacts: number;
  markCompactMs: number;
}

const ZERO: GcTotals = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0 };

/** The totals a process has written into `dir`, or zeros before its first write. */
export function gcTotals(dir: string, pid: number): GcTotals {
  try {
    return { ...ZERO, ...(JSON.parse(readFileSync(join(dir, `${pid}.json`), 'utf8')) as Partial<GcTotals>) };
  } catch {
    return { ...ZERO };
  }
}

export function gcDelta(after: GcTotals, before: GcTotals): GcTotals {
  return {
    scavenges: after.scavenges - before.scavenges,
    scavengeMs: after.scavengeMs - before.scavengeMs,
    markCompacts: after.markCompacts - before.markCompacts,
    markCompactMs: after.markCompactMs - before.markCompactMs,
  };
}

const dir = process.env.BENCH_GC_DIR;
if (dir) {
  const totals: GcTotals = { ...ZERO };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        totals.scavenges++;
        totals.scavengeMs += entry.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        totals.markCompacts++;
        totals.markCompactMs += entry.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.json`);
  const write = (): void => writeFileSync(file, JSON.stringify(totals));
  setInterval(write, 250).unref();
  process.on('exit', write);
}
