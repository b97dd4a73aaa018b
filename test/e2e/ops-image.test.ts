/**
 * The container image, checked without a container engine: the Dockerfile
 * is read instruction by instruction and held against the repository and
 * the image's own config (config/recgate.container.yaml): what it copies
 * exists and is not ignored, it runs as a non-root user that owns exactly
 * its volumes (data, keys, spool) and the config's paths lie in them, it
 * exposes the configured ports, it stops with SIGTERM and gives the drain
 * time where it says so, and its HEALTHCHECK command, run as written
 * against a real `recgate start` on the image's config, passes while the
 * gateway is up and fails once it has stopped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags.js';
import { loadConfig } from '../../src/config/index.js';
import { CLI, freePort, ROOT, run } from '../fixtures/gateway-env.js';

interface Instruction {
  op: string;
  args: string;
}

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(pending);
    assert.ok(m, `a Dockerfile instruction: ${pending}`);
    out.push({ op: m[1]!, args: m[2]! });
    pending = '';
  }
  assert.equal(pending, '', 'no dangling continuation');
  return out;
}

const dockerfile = instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = dockerfile.slice(dockerfile.map((i) => i.op).lastIndexOf('FROM'));
const all = (op: string): string[] => runtime.filter((i) => i.op === op).map((i) => i.args);
const one = (op: string): string => {
  const found = all(op);
  assert.equal(found.length, 1, `one ${op} in the runtime stage`);
  return found[0]!;
};
const containerConfigPath = join(ROOT, 'config', 'recgate.container.yaml');
const config = loadConfig(containerConfigPath);
const volumes = JSON.parse(one('VOLUME')) as string[];
const inVolume = (path: string): boolean => volumes.some((v) => path === v || path.startsWith(`${v}/`));

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

test('what the Dockerfile copies from the build context exists and is not excluded by .dockerignore', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim().replace(/^\//, '')).filter(Boolean);
  const copies = dockerfile.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
  assert.ok(copies.length > 5);
  for (const copy of copies) {
    const sources = copy.args.split(/\s+/).slice(0, -1);
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: exists in the repository`);
      assert.ok(!ignored.some((p) => source === p || source.startsWith(`${p}/`)), `COPY ${source}: not in .dockerignore`);
    }
  }
  assert.ok(ignored.includes('node_modules') && ignored.includes('dist'), 'the host\'s build output stays out of the context');
  assert.deepEqual(JSON.parse(one('ENTRYPOINT')), ['node', ...DAEMON_NODE_FLAGS, 'bin/recgate.js']);
  assert.ok(existsSync(join(ROOT, 'bin', 'recgate.js')));
  assert.deepEqual(JSON.parse(one('CMD')), ['start']);
  assert.ok(all('COPY').includes('config/recgate.container.yaml ./config/recgate.yaml'), 'the image\'s config is the one `recgate start` finds in /app');
  assert.equal(one('WORKDIR'), '/app');
});

test('it runs as a non-root user owning its data, keys and spool volumes, where the config keeps them', () => {
  const user = one('USER');
  assert.doesNotMatch(user, /^(root|0)(:|$)/);
  const setup = all('RUN').join('\n');
  assert.match(setup, new RegExp(`useradd --system .*${user}`));
  assert.deepEqual(volumes.sort(), ['/app/data', '/app/keys', '/app/spool']);
  for (const v of volumes) {
    assert.match(setup, new RegExp(`chown ${user}:${user}[^&]* ${v}( |$)`), `${v} belongs to ${user}`);
    assert.match(setup, new RegExp(`chmod 0700[^&]* ${v}( |$)`), `${v} is private`);
  }
  assert.ok(!setup.includes('chown recgate:recgate /app/config'), 'the config stays read-only to the gateway');
  assert.equal(config.gateway.dataDir, '/app/data');
  assert.ok(inVolume(config.gateway.signingKey) && !config.gateway.signingKey.startsWith('/app/data/'), 'the signing key is in its own volume, apart from the store');
  assert.ok(inVolume(config.store.spool.dir) && config.store.spool.dir === '/app/spool');
  assert.ok(inVolume(config.gateway.hostKey) && inVolume(config.gateway.tlsCert) && inVolume(config.control.socket));
});

test('it exposes the configured ports, stops with SIGTERM and gives the drain more time than it needs', () => {
  const exposed = one('EXPOSE').split(/\s+/).map(Number).sort();
  const listening = Object.values(config.listen).filter((a) => a !== null).map((a) => a!.port).sort();
  assert.deepEqual(exposed, listening);
  assert.ok(config.listen.metrics, 'the image serves /metrics and the health checks');
  assert.equal(one('STOPSIGNAL'), 'SIGTERM');
  const drainSeconds = config.gateway.drainTimeout! / 1000;
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stopT = Number(/docker stop -t (\d+)/.exec(text)?.[1]);
  assert.ok(stopT > drainSeconds, `docker stop -t ${stopT} gives the ${drainSeconds} s drain time`);
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.example.yml'), 'utf8'), { merge: true }) as { services: Record<string, { stop_grace_period: string; stop_signal: string; volumes: string[] }> };
  for (const [name, service] of Object.entries(compose.services).filter(([n]) => n.startsWith('node'))) {
    assert.ok(Number(service.stop_grace_period.replace(/s$/, '')) > drainSeconds, `${name}: stop_grace_period beyond the drain`);
    assert.equal(service.stop_signal, 'SIGTERM');
    for (const v of volumes) assert.ok(service.volumes.some((m) => m.endsWith(`:${v}`)), `${name} mounts ${v}`);
  }
});

test('the HEALTHCHECK command passes against a gateway on the image\'s config and fails once it stopped', async () => {
  const health = one('HEALTHCHECK');
  const command = JSON.parse(/CMD (\[.*\])$/.exec(health)![1]!) as string[];
  assert.match(command.join(' '), new RegExp(`http://127\\.0\\.0\\.1:${config.listen.metrics!.port}/healthz`));
  const dir = await mkdtemp(join(tmpdir(), 'recgate-image-'));
  dirs.push(dir);
  // The image's config as is, its volumes moved under `dir` and its listeners to free loopback ports.
  let yaml = readFileSync(containerConfigPath, 'utf8').replace(/\/app\//g, `${dir}/`);
  const ports = new Map<number, number>();
  for (const address of Object.values(config.listen)) if (address) ports.set(address.port, await freePort());
  yaml = yaml.replace(/"0\.0\.0\.0:(\d+)"/g, (_, p: string) => `"127.0.0.1:${ports.get(Number(p))}"`);
  const configPath = join(dir, 'recgate.yaml');
  await writeFile(configPath, yaml);
  const probe = command.map((a) => a.replace(`:${config.listen.metrics!.port}/`, `:${ports.get(config.listen.metrics!.port)}/`));
  // Started as the image's entrypoint starts it, V8 flags included.
  const entrypoint = JSON.parse(one('ENTRYPOINT')) as string[];
  const child = spawn(process.execPath, [...entrypoint.slice(1, -1), CLI, 'start', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    for (let i = 0; i < 300 && !log.includes('"recgate started"'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(log, /"recgate started"/);
    const up = await run(probe[0]!, probe.slice(1));
    assert.equal(up.code, 0, up.stderr);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log);
    const down = await run(probe[0]!, probe.slice(1));
    assert.equal(down.code, 1);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
