/**
 * `recgate start` on the embedded default (the example config, local store,
 * nothing else running): it comes up, generates its keys, answers on the
 * console port, and exits cleanly on SIGTERM and on SIGINT.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, GatewayHome, ROOT, run } from '../fixtures/gateway-env.js';

let home: GatewayHome;
let config: string;
let consolePort: number;

before(async () => {
  home = await GatewayHome.create();
  consolePort = await freePort();
  const example = await readFile(join(ROOT, 'config', 'recgate.example.yaml'), 'utf8');
  // The example as shipped, with the listeners moved to free ports so the test cannot collide.
  const ports = new Map<string, number>();
  for (const name of ['ssh', 'postgres', 'mysql']) ports.set(name, await freePort());
  ports.set('console', consolePort);
  const adjusted = example.replace(/127\.0\.0\.1:(2222|6432|3307|8080)/g, (_, p: string) => {
    const name = { '2222': 'ssh', '6432': 'postgres', '3307': 'mysql', '8080': 'console' }[p]!;
    return `127.0.0.1:${ports.get(name)}`;
  });
  assert.notEqual(adjusted, example, 'the example config listens on the documented default ports');
  // Placed as in the repository (config/ beside data/), so its ../data is this home's data.
  await mkdir(join(home.dir, 'config'));
  config = join(home.dir, 'config', 'recgate.example.yaml');
  await writeFile(config, adjusted);
});
after(() => home.remove());

test('the gateway starts on the example config, generates its keys and serves /healthz', async () => {
  const child = (await import('node:child_process')).spawn(process.execPath, [join(ROOT, 'bin', 'recgate.js'), 'start', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let health: unknown;
  for (let i = 0; i < 100 && health === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    health = await fetch(`http://127.0.0.1:${consolePort}/healthz`).then((r) => r.json()).catch(() => undefined);
  }
  assert.deepEqual(health, { status: 'ok', recording: 0 });
  child.kill('SIGTERM');
  assert.equal(await exited, 0, log);
  assert.match(log, /"msg":"stopped"/);

  const hostKey = join(home.dir, 'data', 'host_ed25519');
  const pub = await run('ssh-keygen', ['-y', '-f', hostKey]);
  assert.equal(pub.code, 0, pub.stderr);
  assert.match(pub.stdout, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI/);
  assert.equal(pub.stdout.split(' ').slice(0, 2).join(' '), (await readFile(`${hostKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' '));
  // The signing key is generated beside the config, out of the data directory.
  assert.match(await readFile(join(home.dir, 'config', 'signing.key.pub'), 'utf8'), /^recgate-signer-ed25519 /);
  assert.equal(existsSync(join(home.dir, 'data', 'signing.key')), false);
});

test('SIGINT stops it cleanly too, and a second start reuses the keys', async () => {
  const signingKey = await readFile(join(home.dir, 'config', 'signing.key'), 'utf8');
  const r = await home.startAndStopDaemon('SIGINT', config);
  assert.equal(r.code, 0, r.log);
  assert.equal(await readFile(join(home.dir, 'config', 'signing.key'), 'utf8'), signingKey);
  assert.doesNotMatch(r.log, /generated/);
});

test('a config with errors stops the start with one line naming file, line and key', async () => {
  const bad = join(home.dir, 'bad.yaml');
  await writeFile(bad, 'listen:\n  ssh: "127.0.0.1:99999"\n');
  const r = await run(process.execPath, [join(ROOT, 'bin', 'recgate.js'), 'start', '--config', bad]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr.trim(), /^recgate: .*bad\.yaml:2:\d+: listen\.ssh: /);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a log file inside the data directory is private: its folder 0700, the file 0600', async () => {
  const dir = join(home.dir, 'private-log');
  await mkdir(dir);
  const cfg = join(dir, 'recgate.yaml');
  await writeFile(cfg, ['gateway: { dataDir: ./data }', 'listen: { ssh: null, postgres: null, mysql: null, console: null }', 'log: { file: ./data/logs/recgate.log }', ''].join('\n'));
  const logFile = join(dir, 'data', 'logs', 'recgate.log');
  const child = (await import('node:child_process')).spawn(process.execPath, [join(ROOT, 'bin', 'recgate.js'), 'start', '--config', cfg], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const logged = async (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
  for (let i = 0; i < 100 && !(await logged()).includes('"recgate started"'); i++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, await logged());
  assert.match(await logged(), /"msg":"stopped"/);
  assert.equal((await stat(join(dir, 'data', 'logs'))).mode & 0o777, 0o700);
  assert.equal((await stat(join(dir, 'data', 'logs', 'recgate.log'))).mode & 0o777, 0o600);
});
