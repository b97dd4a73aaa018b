/**
 * The gateway as a benchmark route: a `recgate start` in a home of its own
 * with one user and the benchmark's server as its one target, this
 * checkout's build or another's (`--compare DIR`, measured beside it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { CLI, freePort, GatewayHome, run, type RunningDaemon } from '../test/fixtures/gateway-env.js';
import { firstLine, type Proxy } from './common.js';
import { parentsByPid } from './measure.js';

/** The gateway's one user, alice, logs in with this password. */
export const ALICE_PASSWORD = 'alice-gateway-pw';

/** The benchmark's server, as the gateway's one target. */
export interface GatewayTarget {
  name: string;
  protocol: 'postgres' | 'mysql';
  port: number;
  /** The login the gateway injects. */
  user: string;
  password: string;
  /** Node options for the gateway process (--cpu-prof and its folder). */
  nodeOptions?: string[];
  /** Another build's CLI to run (compareBuild), this checkout's by default. */
  cli?: string | undefined;
  /** The local store's `store.sync` (auto, file or filesystem); the build's default when absent. */
  storeSync?: string | undefined;
}

/**
 * The gateway's node options: `--cpu-prof` into `profileDir` when given (written when it
 * stops), then `more`, space-separated (e.g. --perf-basic-prof for perf record).
 */
export function gatewayNodeOptions(profileDir: string, more: string): string[] {
  return [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...more.split(' ').filter((o) => o !== '')];
}

async function hashOf(args: string[], password: string): Promise<string> {
  const r = await run(process.execPath, [CLI, 'users', 'hash', ...args], { input: `${password}\n` });
  const out = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || out === '') throw new Error(`${['recgate users hash', ...args].join(' ')} failed: ${firstLine(r.stderr)}`);
  return out;
}

/** Kills a `recgate start` of this process on `configPath` that never said it started. */
function killDaemonsOf(configPath: string): void {
  for (const [pid, ppid] of parentsByPid()) {
    if (ppid !== process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(configPath)) process.kill(pid, 'SIGKILL');
    } catch {
      // it ended meanwhile
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function stopDaemon(daemon: RunningDaemon): Promise<void> {
  const killer = setTimeout(() => daemon.child.kill('SIGKILL'), 10_000);
  await daemon.stop();
  clearTimeout(killer);
}

/**
 * A gateway in a home of its own with one user, alice (a SCRAM verifier too
 * for PostgreSQL, a mysql_native_password hash for MySQL), allowed to `target` only, serving the target's protocol on
 * a port of its own. Log in as `alice+NAME` with ALICE_PASSWORD.
 */
export async function startGateway(target: GatewayTarget): Promise<Proxy> {
  const home = await GatewayHome.create();
  try {
    const port = await freePort();
    const hash = await hashOf([], ALICE_PASSWORD);
    // The protocol's own verifier, so clients log in through the gateway as they do directly: SCRAM
    // for PostgreSQL, mysql_native_password for MySQL (no auth switch to caching_sha2_password, whose
    // first use races in the client library when sysbench's threads connect at once).
    const scram = target.protocol === 'postgres' ? `, scram: "${await hashOf(['--scram'], ALICE_PASSWORD)}"` : `, mysqlNative: "${await hashOf(['--mysql-native'], ALICE_PASSWORD)}"`;
    await writeFile(
      home.configPath,
      [
        'gateway: { dataDir: ./data }',
        `listen: { ${target.protocol}: "127.0.0.1:${port}", console: null }`,
        // sysbench opens all its connections at once, from one address: 500 of them would pass the
        // default cap on logins under way per address (16), and some would be refused.
        'admission: { maxPreLoginPerAddress: 1024, maxPreLogin: 1024 }',
        ...(target.storeSync ? [`store: { sync: ${target.storeSync} }`] : []),
        'recipients:',
        '  - { name: officer, publicKeyFile: ./keys/officer.key.pub }',
        'users:',
        `  - { name: alice, password: "${hash}"${scram}, targets: [${target.name}] }`,
        'targets:',
        `  - name: ${target.name}`,
        `    protocol: ${target.protocol}`,
        '    host: 127.0.0.1',
        `    port: ${target.port}`,
        '    tls: disable',
        `    login: { user: ${target.user}, password: "${target.password}" }`,
        '',
      ].join('\n'),
    );
    let daemon: RunningDaemon;
    try {
      daemon = await withTimeout(home.startDaemon(home.configPath, { nodeOptions: target.nodeOptions, cli: target.cli }), 30_000, 'recgate start');
    } catch (err) {
      killDaemonsOf(home.configPath);
      throw err;
    }
    return {
      port,
      pid: daemon.child.pid,
      stop: async () => {
        await stopDaemon(daemon);
        await home.remove();
      },
    };
  } catch (err) {
    await home.remove();
    throw err;
  }
}

/** Another checkout's CLI and the name of its route. */
export interface ComparedBuild {
  cli: string;
  name: string;
  /** Node options its gateway runs with besides the shared ones (--compare-node-options). */
  nodeOptions: string[];
  /** Its `store.sync` (--compare-store-sync); the build's default when absent. */
  storeSync?: string | undefined;
}

/**
 * The CLI of the recgate checkout at `dir`, built (`npm run build` there), for a second gateway
 * route: two builds measured in one run, their rounds alternated, where runs minutes apart
 * differ by more than most changes do (a `git worktree add DIR COMMIT` of the commit before);
 * its gateway runs with `nodeOptions` (space-separated) too, and with `store.sync` set to
 * `storeSync` when given. Undefined when `dir` is empty.
 */
export function compareBuild(dir: string, nodeOptions: string, storeSync = ''): ComparedBuild | undefined {
  if (dir === '') {
    if (nodeOptions !== '') throw new Error('--compare-node-options needs --compare DIR (--compare . for this build)');
    if (storeSync !== '') throw new Error('--compare-store-sync needs --compare DIR (--compare . for this build)');
    return undefined;
  }
  const cli = resolve(dir, 'bin', 'recgate.js');
  if (!existsSync(cli) || !existsSync(resolve(dir, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error(`--compare ${dir}: no built recgate there (bin/recgate.js and dist/src/cli/main.js); run npm ci and npm run build in it`);
  }
  const options = nodeOptions.split(' ').filter((o) => o !== '');
  const settings = [...options, ...(storeSync ? [`store.sync ${storeSync}`] : [])];
  const name = `recgate, ${basename(resolve(dir))} build${settings.length > 0 ? ` ${settings.join(' ')}` : ''} (recording)`;
  return { cli, name, nodeOptions: options, storeSync: storeSync || undefined };
}
