/**
 * Loaded into the gateway by bench:rdp (node --import) when it measures
 * what runs inside it: event-loop delay (perf_hooks monitorEventLoopDelay,
 * 1 ms resolution) and garbage-collection pauses. SIGUSR2 writes what was
 * seen since the last one to RECGATE_PROBE_OUT as one JSON line and starts
 * over, so the bench brackets the phase it measures.
 */
import { appendFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const out = process.env['RECGATE_PROBE_OUT'];
if (out) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gc: { kind: string; ms: number }[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push({ kind: KINDS[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other', ms: e.duration });
  }).observe({ entryTypes: ['gc'] });
  let cpu = process.cpuUsage();
  process.on('SIGUSR2', () => {
    const used = process.cpuUsage(cpu);
    const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
    const round = (x: number): number => Math.round(x * 100) / 100;
    const kinds: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
    for (const { kind, ms: d } of gc) {
      const k = (kinds[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      k.count++;
      k.totalMs = round(k.totalMs + d);
      k.maxMs = round(Math.max(k.maxMs, d));
    }
    appendFileSync(
      out,
      JSON.stringify({
        loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
        gc: kinds,
        cpuSeconds: (used.user + used.system) / 1e6,
      }) + '\n',
    );
    loop.reset();
    gc = [];
    cpu = process.cpuUsage();
  });
}
