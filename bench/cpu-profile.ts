/**
 * A preload for profiling a Node.js process the benchmarks spawn (Node 20
 * refuses --cpu-prof in NODE_OPTIONS): `NODE_OPTIONS="--import
 * .../dist/bench/cpu-profile.js"` with BENCH_CPU_PROF_DIR set records a V8
 * CPU profile from start to exit, written as DIR/PID.cpuprofile (open it in
 * Chrome DevTools, or summarise it with bench/profile-top.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // The main thread's inspector session answers synchronously, so this works in an exit handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
