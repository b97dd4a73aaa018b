// Builds dist/ from the TypeScript sources only when they changed since the last
// successful build, incrementally (tsc --incremental keeps its state in
// dist/.tsbuildinfo), with one progress line on stderr. `npm ci` (prepare),
// `npm run build`, `npm start` and the benches all build through here, so a
// fresh checkout compiles once.
//
// Then the web console's page: web/main.ts bundled by esbuild (with libsodium's
// wasm build, asciinema-player and the graphics decoder; no CDN) into dist/web/app.js, beside
// web/index.html, web/app.css and the player's stylesheet.
//
// Then the addons in native/, compiled with the system's C compiler against Node-API's
// headers into dist/native/: page-cache.node (the store uses it to keep written recordings
// out of memory) and openssl-aead.node (the system's OpenSSL seals large chunks); without
// them the gateway works as before. No compiler or no headers: a warning, not a failure.
//
// The build state lives outside tsconfig.json on purpose: `npx tsc --noEmit`
// must not write a build-info file that claims files were emitted.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['src', 'proxies', 'test', 'bench', 'types', 'web'];
const SOURCE_EXTENSIONS = ['.ts', '.html', '.css'];
const WEB_OUT = join(ROOT, 'dist', 'web');
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
    else if (SOURCE_EXTENSIONS.some((x) => e.name.endsWith(x))) newest = Math.max(newest, statSync(path).mtimeMs);
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
  buildNative({ force });
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
  if (!buildWeb()) return false;
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.stderr.write(`recgate: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

/**
 * The addons in native/, each a C file compiled into dist/native/<name>.node, and what
 * the gateway does without it.
 */
const ADDONS = [
  { name: 'page-cache', libs: [], without: 'recordings written stay in the page cache until the kernel evicts them' },
  { name: 'openssl-aead', libs: ['-ldl', '-lpthread'], without: 'recordings are sealed with libsodium alone' },
];

/**
 * Compiles each addon that is missing or older than its source. Node-API's headers are
 * where Node's own installation keeps them (<prefix>/include/node, beside <prefix>/bin/node);
 * `CC` picks the compiler. Returns whether every addon is there.
 */
export function buildNative({ force = false } = {}) {
  if (process.platform !== 'linux') return false;
  let all = true;
  for (const addon of ADDONS) all = buildAddon(addon, force) && all;
  return all;
}

function buildAddon({ name, libs, without }, force) {
  const source = join(ROOT, 'native', `${name}.c`);
  const out = join(ROOT, 'dist', 'native', `${name}.node`);
  if (!force && existsSync(out) && statSync(out).mtimeMs > statSync(source).mtimeMs) return true;
  const headers = join(process.execPath, '..', '..', 'include', 'node');
  const why = (reason) => {
    process.stderr.write(`recgate: native/${name}.c not built (${reason}); ${without}\n`);
    return false;
  };
  if (!existsSync(join(headers, 'node_api.h'))) return why(`no Node-API headers in ${headers}`);
  mkdirSync(join(out, '..'), { recursive: true });
  const cc = process.env.CC || 'cc';
  const flags = ['-std=c11', '-D_POSIX_C_SOURCE=200809L', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden'];
  const r = spawnSync(cc, [...flags, `-I${headers}`, source, '-o', out, ...libs], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) return why(`${cc}: ${r.error.message}`);
  if (r.status !== 0) return why(`${cc} exited with ${r.status}`);
  return true;
}

/** Bundles the console page into dist/web; returns false when esbuild failed. */
function buildWeb() {
  mkdirSync(WEB_OUT, { recursive: true });
  try {
    createRequire(import.meta.url)('esbuild').buildSync({
      entryPoints: [join(ROOT, 'web', 'main.ts')],
      outfile: join(WEB_OUT, 'app.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      sourcemap: true,
      logLevel: 'warning',
      // src/graphics/keyframe.ts inflates keyframes with node:zlib; the page gets the same calls over fflate.
      alias: { 'node:zlib': join(ROOT, 'web', 'zlib-browser.ts') },
    });
  } catch {
    process.stderr.write('recgate: the web console build failed (errors above)\n');
    return false;
  }
  copyFileSync(join(ROOT, 'web', 'index.html'), join(WEB_OUT, 'index.html'));
  copyFileSync(join(ROOT, 'web', 'app.css'), join(WEB_OUT, 'app.css'));
  copyFileSync(join(ROOT, 'node_modules', 'asciinema-player', 'dist', 'bundle', 'asciinema-player.css'), join(WEB_OUT, 'asciinema-player.css'));
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(build({ force: process.argv.includes('--force') }) ? 0 : 1);
}
