/**
 * Sessions across nodes, end to end: two `recgate start` processes sharing a
 * real PostgreSQL store, the real ssh and psql clients through node A, and
 * the real CLI run with node B's config. From B the sessions are listed live,
 * followed live (what is typed on A shows at B within two seconds), and
 * terminated with a message the person sees; afterwards both nodes export
 * the same recording. (Node A killed mid-session: cluster-kill.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, PASSPHRASE } from '../fixtures/gateway-env.js';
import { eventually, GatewayCluster } from '../fixtures/cluster.js';
import { Tmux } from '../fixtures/tmux.js';
import { readZip } from '../fixtures/zip.js';

const HEARTBEAT_TIMEOUT_MS = 3000;
let cluster: GatewayCluster;
const terms: Tmux[] = [];
const children: ChildProcess[] = [];

before(async () => {
  cluster = await GatewayCluster.start(['node-a', 'node-b'], { heartbeatInterval: '300ms', heartbeatTimeout: `${HEARTBEAT_TIMEOUT_MS}ms` });
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.allSettled(terms.map((t) => t.stop()));
  await cluster?.stop();
});

interface Listed {
  id: string;
  node: string;
  protocol: string;
  user: string;
  target: string;
  nodeAlive: boolean;
}

async function listFrom(node: string): Promise<Listed[]> {
  const r = await cluster.cli(node, ['sessions', 'list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Listed[];
}

async function terminal(command: string[]): Promise<Tmux> {
  const t = await Tmux.start(command, 120, 40);
  terms.push(t);
  return t;
}

/** `recordings play --follow ID` from node B's config, its output collected as it comes. */
function follow(node: string, id: string): { output: () => string; exited: Promise<number | null>; waitFor: (text: string, ms: number) => Promise<number> } {
  const child = spawn(process.execPath, [CLI, 'recordings', 'play', '--follow', id, '--key', cluster.home.key('officer'), '--config', cluster.node(node).config], {
    env: { ...process.env, RECGATE_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    output: () => out,
    exited,
    /** Resolves with the milliseconds it took for `text` to show, or fails after `ms`. */
    waitFor: async (text, ms) => {
      const t0 = Date.now();
      await eventually(`"${text}" in the followed output`, ms, () => out.includes(text)).catch((e: Error) => {
        throw new Error(`${e.message}; it shows ${JSON.stringify(out.slice(-300))}, stderr ${JSON.stringify(err)}`);
      });
      return Date.now() - t0;
    },
  };
}

async function exportFrom(node: string, id: string): Promise<Map<string, Buffer>> {
  const out = join(cluster.home.dir, `${id}-${node}.zip`);
  const r = await cluster.cli(node, ['recordings', 'export', id, '--key', cluster.home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return readZip(out);
}

function typescriptOf(files: Map<string, Buffer>): string {
  const name = [...files.keys()].find((n) => n.endsWith('.tys'));
  assert.ok(name, `no .tys in ${[...files.keys()].join(', ')}`);
  return files.get(name)!.toString('utf8');
}

test('SSH and psql sessions on node A are listed, followed live and terminated from node B, and export alike from both', async () => {
  const ssh = await terminal(['ssh', ...cluster.sshArgs('node-a')]);
  await ssh.waitFor(/:~[#$]/, 20_000);
  const psql = await terminal(['env', `PGPASSWORD=${cluster.psqlEnv().PGPASSWORD}`, 'psql', ...cluster.psqlArgs('node-a')]);
  await psql.waitFor(/^app=[>#]/m, 20_000);

  const listed = await eventually('both sessions listed from node B', 10_000, async () => {
    const rows = await listFrom('node-b');
    return rows.length === 2 ? rows : undefined;
  });
  assert.deepEqual(listed.map((s) => [s.node, s.user, s.target, s.protocol, s.nodeAlive]).sort(), [
    ['node-a', 'alice', 'pg01', 'postgres', true],
    ['node-a', 'alice', 'web01', 'ssh', true],
  ]);
  const table = await cluster.cli('node-b', ['sessions', 'list']);
  assert.match(table.stdout, /^ID\s+NODE\s+USER/);
  assert.equal(table.stdout.match(/\snode-a\s+alice\s/g)?.length, 2, table.stdout);
  const sshId = listed.find((s) => s.protocol === 'ssh')!.id;
  const pgId = listed.find((s) => s.protocol === 'postgres')!.id;

  // Followed from node B: what is typed on node A shows within two seconds.
  const sshFollow = follow('node-b', sshId);
  await sshFollow.waitFor(':~', 10_000);
  await ssh.type('echo SSH-MARK-$((6*7))-END');
  const sshLatency = await sshFollow.waitFor('SSH-MARK-42-END', 2000);
  const pgFollow = follow('node-b', pgId);
  // The transcript shows a statement once it is answered: one answered statement says the follower is in step.
  await psql.type("SELECT 'PG-' || 'READY' \\g");
  await pgFollow.waitFor('PG-READY', 10_000);
  await psql.type("SELECT 'PG-MARK-' || 6*7 AS marker \\g");
  const pgLatency = await pgFollow.waitFor('PG-MARK-42', 2000);
  process.stderr.write(`# marker latency node A -> node B: ssh ${sshLatency} ms, psql ${pgLatency} ms\n`);

  // Terminated from node B: the person on node A reads the message; the CLI answers once node A confirmed.
  const t1 = await cluster.cli('node-b', ['sessions', 'terminate', sshId, '--message', 'Audit freeze: please log off']);
  assert.equal(t1.code, 0, t1.stderr);
  assert.equal(t1.stdout, `terminated ${sshId} on node node-a\n`);
  await ssh.waitFor(/Audit freeze: please log off/);
  const t2 = await cluster.cli('node-b', ['sessions', 'terminate', pgId, '--message', 'Database audit starts now']);
  assert.equal(t2.code, 0, t2.stderr);
  assert.equal(t2.stdout, `terminated ${pgId} on node node-a\n`);
  await psql.type('SELECT 2 \\g');
  await psql.waitFor(/FATAL: {2}Database audit starts now/);
  await psql.type('\\q');
  // The followers end with the recordings.
  assert.equal(await sshFollow.exited, 0);
  assert.equal(await pgFollow.exited, 0);

  for (const [id, marker] of [[sshId, 'SSH-MARK-42-END'], [pgId, 'PG-MARK-42']] as const) {
    const [fromA, fromB] = await Promise.all([exportFrom('node-a', id), exportFrom('node-b', id)]);
    assert.deepEqual([...fromA.keys()].sort(), [...fromB.keys()].sort());
    for (const [name, bytes] of fromA) assert.ok(bytes.equals(fromB.get(name)!), `${name} differs between the nodes' exports`);
    assert.ok(typescriptOf(fromA).includes(marker));
    const events = fromA.get(`${id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events.at(-1)!.reason, 'terminated');
    assert.ok(events.some((e) => e.type === 'terminate'));
  }
  const recordings = JSON.parse((await cluster.cli('node-b', ['recordings', 'list', '--json'])).stdout) as { id: string; status: string; endReason: string }[];
  for (const id of [sshId, pgId]) assert.deepEqual(recordings.filter((r) => r.id === id).map((r) => [r.status, r.endReason]), [['complete', 'terminated']]);
});
