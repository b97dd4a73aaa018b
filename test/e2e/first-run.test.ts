/**
 * What a first-time user runs into: `npm start` stops on SIGTERM as on Ctrl-C
 * (npm and the start script stand between the signal and the gateway), and
 * `keys generate` checks where it writes before asking for a passphrase.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, freePort, PASSPHRASE, ROOT, run } from '../fixtures/gateway-env.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recgate-first-run-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  run(process.execPath, [CLI, ...args], { cwd: dir, env: { RECGATE_PASSPHRASE: undefined, ...env } });

test('keys generate creates a missing keys/ folder (0700) and writes the pair', async () => {
  const r = await cli(['keys', 'generate', '--out', 'keys/officer.key'], { RECGATE_PASSPHRASE: PASSPHRASE });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await stat(join(dir, 'keys'))).mode & 0o777, 0o700);
  assert.equal((await stat(join(dir, 'keys', 'officer.key'))).mode & 0o777, 0o600);
  assert.match(await readFile(join(dir, 'keys', 'officer.key.pub'), 'utf8'), /^recgate-x25519 \S+ officer\n$/);
});

test('keys generate refuses an existing key before asking for a passphrase', async () => {
  // No RECGATE_PASSPHRASE and nothing on stdin: had it asked first, it would say so instead.
  const started = Date.now();
  const r = await cli(['keys', 'generate', '--out', 'keys/officer.key']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `recgate: keys/officer.key exists; not overwriting a key (choose another --out)\n`);
  assert.ok(Date.now() - started < 5000, 'refused without deriving a key');
  // A leftover .pub alone is refused too, and the private key is not written beside it.
  await writeFile(join(dir, 'keys', 'orphan.key.pub'), 'x\n');
  const orphan = await cli(['keys', 'generate', '--out', 'keys/orphan.key'], { RECGATE_PASSPHRASE: PASSPHRASE });
  assert.equal(orphan.code, 2);
  assert.match(orphan.stderr, /orphan\.key\.pub exists/);
  assert.equal(existsSync(join(dir, 'keys', 'orphan.key')), false);
});

test('without a terminal or RECGATE_PASSPHRASE the error says so and how to set it', async () => {
  const gen = await cli(['keys', 'generate', '--out', 'keys/new.key']);
  assert.equal(gen.code, 2);
  assert.match(gen.stderr, /^recgate: no terminal to ask for a passphrase for keys\/new\.key on, and nothing on standard input: set RECGATE_PASSPHRASE/);
  assert.equal(gen.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(join(dir, 'keys', 'new.key')), false);

  const hash = await run(process.execPath, [CLI, 'users', 'hash'], { cwd: dir });
  assert.equal(hash.code, 2);
  assert.match(hash.stderr, /^recgate: no terminal to ask for the password on, and nothing on standard input: pipe it in/);
});

interface Started {
  npm: ReturnType<typeof spawn>;
  output: () => string;
  exited: Promise<number | null>;
  port: number;
}

/** `npm start -- --config FILE` in its own process group, as a shell runs a foreground job. */
async function npmStart(): Promise<Started> {
  const port = await freePort();
  const config = join(dir, `gateway-${port}.yaml`);
  await writeFile(config, `gateway: { dataDir: ./data-${port} }\nlisten: { ssh: "127.0.0.1:${port}", postgres: null, mysql: null, console: null }\n`);
  const npm = spawn('npm', ['start', '--silent', '--', '--config', config], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  npm.stdout!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  npm.stderr!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => npm.on('close', resolve));
  for (let i = 0; i < 300 && !text.includes('"recgate started"'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(text, /"recgate started"/, text);
  return { npm, output: () => text, exited, port };
}

/** Waits for `p`, failing the test after `ms` (a gateway left running would otherwise hang it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Leaves nothing running when a test failed: npm's group and the gateway (its pid is on its log lines). */
function kill(g: Started): void {
  const daemon = /"pid":(\d+).*"recgate started"/.exec(g.output())?.[1];
  for (const pid of [-g.npm.pid!, Number(daemon)]) {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

test('SIGTERM to npm start stops the gateway and frees its port', async () => {
  const g = await npmStart();
  assert.equal(await portOpen(g.port), true);
  // A data directory in a temporary folder is no filesystem of its own: checkpoints sync file by file.
  assert.match(g.output(), /"sync":"auto","syncing":"file","msg":"local store open"/, g.output());
  process.kill(g.npm.pid!, 'SIGTERM');
  try {
    await within(g.exited, 15_000, 'npm start exiting on SIGTERM');
  } finally {
    kill(g);
  }
  assert.match(g.output(), /"msg":"stopped"/, g.output());
  assert.equal(await portOpen(g.port), false, 'nothing left listening on the port');
});

test('Ctrl-C (SIGINT to the foreground group, which npm forwards again) is one clean stop', async () => {
  const g = await npmStart();
  process.kill(-g.npm.pid!, 'SIGINT');
  try {
    await within(g.exited, 15_000, 'npm start exiting on Ctrl-C');
  } finally {
    kill(g);
  }
  assert.match(g.output(), /"msg":"stopped"/, g.output());
  assert.doesNotMatch(g.output(), /second stop signal/);
  assert.equal(await portOpen(g.port), false);
});

test('a second stop signal during shutdown exits at once', async () => {
  const port = await freePort();
  const config = join(dir, `direct-${port}.yaml`);
  await writeFile(config, `gateway: { dataDir: ./data-${port} }\nlisten: { ssh: "127.0.0.1:${port}", postgres: null, mysql: null, console: null }\n`);
  const child = spawn(process.execPath, [CLI, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (let i = 0; i < 300 && !text.includes('"recgate started"'); i++) await new Promise((r) => setTimeout(r, 100));
  // Two different signals, so the kernel cannot merge them into one.
  child.kill('SIGINT');
  child.kill('SIGTERM');
  assert.equal(await within(exited, 15_000, 'exit on the second signal'), 130, text);
  assert.match(text, /second stop signal: exiting without waiting/);
});
