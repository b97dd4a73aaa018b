// Builds dist/ from the TypeScript sources only when they changed since the last
// successful build, incrementally (tsc --incremental keeps its state in
// dist/.tsbuildinfo), with one progress line on stderr. `npm ci` (prepare),
// `npm run build`, `npm start` and the benches all build through here, so a
// fresh checkout compiles once.
//
// The build state lives outside tsconfig.json on purpose: `npx tsc --noEmit`
// must not write a build-info file that claims files were emitted.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['src', 'proxies', 'test', 'bench', 'types'];
const SOURCE_FILES = ['tsconfig.json', 'package-lock.json'];
export const STAMP = join(ROOT, 'dist', '.build-stamp');
const BUILD_INFO = join(ROOT, 'dist', '.tsbuildinfo');

function newestSource(dir, newest = 0) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return newest;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = newestSource(path, newest);
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  // A deleted or renamed file changes its folder's mtime.
  return Math.max(newest, statSync(dir).mtimeMs);
}

/** True when dist/ was built after the last change to any source. */
export function upToDate() {
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  let newest = 0;
  for (const d of SOURCE_DIRS) newest = newestSource(join(ROOT, d), newest);
  for (const f of SOURCE_FILES) if (existsSync(join(ROOT, f))) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest < built;
}

/** Builds when needed; returns true on success (or nothing to do), false when tsc failed. */
export function build({ force = false } = {}) {
  if (!force && upToDate()) return true;
  const first = !existsSync(BUILD_INFO);
  process.stderr.write(
    first
      ? 'recgate: compiling TypeScript into dist/ (the first build takes 10 s to a minute; later ones recompile only what changed)...\n'
      : 'recgate: sources changed; recompiling dist/ incrementally...\n',
  );
  const started = Date.now();
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', BUILD_INFO], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  if (r.status !== 0) {
    process.stderr.write('recgate: the TypeScript build failed (errors above)\n');
    return false;
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.stderr.write(`recgate: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(build({ force: process.argv.includes('--force') }) ? 0 : 1);
}
