// npm run bench:NAME: installs what the bench drives (the test servers and
// clients, and the peers it compares with: PgBouncer, HAProxy) as npm test
// does, builds dist/ when the sources changed, then runs dist/bench/NAME.js.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, ROOT } from './build.mjs';
import { BENCH_DEPS, ensureSystemDeps, SYSTEM_DEPS } from './system-deps.mjs';

const [name, ...args] = process.argv.slice(2);
const script = name ? join(ROOT, 'bench', `${name}.ts`) : '';
if (!name || !existsSync(script)) {
  console.error(`usage: node scripts/bench.mjs NAME [ARGS...], NAME one of: seal, ssh, ssh-scale, postgres, mysql, mysql-bulk, record-path, tap-path, instructions, page-cache, quiet-sessions, graphics, console, rdp, store, spool, retention, cluster, metrics`);
  process.exit(2);
}
if (name === 'instructions') ensureSystemDeps(BENCH_DEPS.filter((d) => d.bench === name), `npm run bench:${name}`);
else if (!['seal', 'console', 'record-path', 'tap-path', 'page-cache', 'quiet-sessions', 'metrics'].includes(name)) ensureSystemDeps([...SYSTEM_DEPS, ...BENCH_DEPS.filter((d) => d.bench === name)], `npm run bench:${name}`);
if (!build()) process.exit(1);
const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', `${name}.js`), ...args], { stdio: 'inherit', cwd: ROOT });
process.exit(r.status ?? 1);
