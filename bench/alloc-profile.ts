/**
 * A preload that samples where a process allocates, collected objects
 * included: `node --import ./dist/bench/alloc-profile.js` with
 * BENCH_ALLOC_PROF_DIR set writes DIR/PID.heapprofile at exit (open it in
 * Chrome DevTools' Memory tab, or summarise it with bench/alloc-top.ts).
 *
 * V8's sampling heap profiler reports by default only what is still alive
 * when the profile is taken; asked to keep what the young and old
 * generations' collections freed, it shows the garbage a hot path makes,
 * which is what the collector's share of a CPU profile is paid for.
 * BENCH_ALLOC_PROF_INTERVAL sets the mean bytes between samples (512).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_ALLOC_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', {
    samplingInterval: Number(process.env.BENCH_ALLOC_PROF_INTERVAL ?? 512),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  // The main thread's inspector session answers synchronously, so this works in an exit handler.
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
}
