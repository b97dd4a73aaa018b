// npm test: system packages, a strict type-checking build, then every test
// file with Node's own runner. Extra arguments narrow the run to files whose
// path contains one of them (npm test -- seal export).
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { ensureSystemDeps } from './system-deps.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

ensureSystemDeps();

rmSync(join(root, 'dist'), { recursive: true, force: true });
if (!build({ force: true })) {
  console.error('type check failed');
  process.exit(1);
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests(join(root, 'dist'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
