/**
 * The process's own figures, under the names Prometheus' client libraries
 * use so that the usual dashboards work: resident memory, CPU seconds, open
 * file descriptors, start time, heap, and the event loop's lag (its delay
 * over the last scrape interval: mean, 99th percentile and maximum).
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from './exposition.js';

/** Declares the process metrics in `registry`; returns a stop for the event-loop monitor. */
export function processMetrics(registry: Registry): () => void {
  const rss = registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  const cpu = registry.counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.');
  const cpuUser = registry.counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.');
  const cpuSystem = registry.counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.');
  const fds = registry.gauge('process_open_fds', 'Number of open file descriptors.');
  const start = registry.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds.');
  const heapUsed = registry.gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.');
  const heapTotal = registry.gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes.');
  const lag = registry.gauge('nodejs_eventloop_lag_seconds', 'Mean event loop delay since the previous scrape, in seconds.');
  const lagP99 = registry.gauge('nodejs_eventloop_lag_p99_seconds', '99th percentile of the event loop delay since the previous scrape, in seconds.');
  const lagMax = registry.gauge('nodejs_eventloop_lag_max_seconds', 'Longest event loop delay since the previous scrape, in seconds.');
  start.set(Math.round((Date.now() - performance.now()) / 1000));
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  registry.onCollect(() => {
    const memory = process.memoryUsage();
    rss.set(memory.rss);
    heapUsed.set(memory.heapUsed);
    heapTotal.set(memory.heapTotal);
    const usage = process.cpuUsage();
    cpuUser.mirror(usage.user / 1e6);
    cpuSystem.mirror(usage.system / 1e6);
    cpu.mirror((usage.user + usage.system) / 1e6);
    const open = openFds();
    if (open !== undefined) fds.set(open);
    // Nanoseconds; NaN until the monitor has a sample.
    const ns = (v: number): number => (Number.isFinite(v) ? v / 1e9 : 0);
    lag.set(ns(delay.mean));
    lagP99.set(ns(delay.percentile(99)));
    lagMax.set(ns(delay.max));
    delay.reset();
  });
  return () => delay.disable();
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
