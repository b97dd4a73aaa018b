/**
 * A node killed mid-session: two `recgate start` processes sharing a real
 * PostgreSQL store, a real ssh session through node A followed from node B;
 * node A is killed with SIGKILL. Node B marks the recording interrupted once
 * A's heartbeat lapses (the claim and the gateway log entry are B's), the
 * recording verifies and exports up to its last second, and node A starting
 * again under its id is a live node again.
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

test('node A killed with SIGKILL mid-session: node B marks the recording interrupted within the heartbeat timeout, and it verifies and exports', async () => {
  const ssh = await terminal(['ssh', ...cluster.sshArgs('node-a')]);
  // Followed as soon as it is listed: the session is live before its terminal opens, and the follower waits for it.
  const id = await eventually('the session listed', 20_000, async () => (await listFrom('node-b')).find((s) => s.protocol === 'ssh' && s.node === 'node-a')?.id);
  const follower = follow('node-b', id);
  await ssh.waitFor(/:~[#$]/, 20_000);
  await follower.waitFor(':~', 10_000);
  await ssh.type('echo KILL-MARK-$((6*7))-END');
  // Stored: seen from node B, so it is in the store before the kill.
  await follower.waitFor('KILL-MARK-42-END', 2000);

  const daemon = cluster.node('node-a').daemon!;
  const killedAt = Date.now();
  await daemon.stop('SIGKILL');
  const status = await eventually('the recording marked interrupted by node B', HEARTBEAT_TIMEOUT_MS + 20_000, async () => {
    const rows = JSON.parse((await cluster.cli('node-b', ['recordings', 'list', '--json'])).stdout) as { id: string; status: string }[];
    const s = rows.find((r) => r.id === id)?.status;
    return s === 'recording' ? undefined : s;
  });
  assert.equal(status, 'interrupted');
  // Node B says so in its log, naming the node and the recording; its time says when B had marked it.
  const taken = cluster.node('node-b').daemon!.log().split('\n').filter((l) => l.includes('"cluster: dead node taken over'));
  assert.equal(taken.length, 1, cluster.node('node-b').daemon!.log());
  const line = JSON.parse(taken[0]!) as { deadNode: string; recordings: string[]; time: number };
  assert.deepEqual([line.deadNode, line.recordings], ['node-a', [id]]);
  const took = line.time - killedAt;
  process.stderr.write(`# marked interrupted ${took} ms after SIGKILL (heartbeat timeout ${HEARTBEAT_TIMEOUT_MS} ms, interval 300 ms)\n`);
  // The timeout runs from A's last heartbeat; B notices at its next beat. The rest is slack for a loaded machine.
  assert.ok(took < HEARTBEAT_TIMEOUT_MS + 5000, `took ${took} ms`);
  assert.deepEqual(await listFrom('node-b'), []);
  const dead = await cluster.storeQuery(`SELECT node_id, claimed_by FROM cluster_nodes WHERE dead_at IS NOT NULL`);
  assert.deepEqual(dead, [['node-a', 'node-b']]);
  assert.equal(await follower.exited, 0);
  const verify = await cluster.cli('node-b', ['recordings', 'verify', id]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const files = await exportFrom('node-b', id);
  assert.ok(typescriptOf(files).includes('KILL-MARK-42-END'));

  // Node A comes back under its id and is a live node again.
  await cluster.startNode('node-a');
  assert.deepEqual(await cluster.storeQuery(`SELECT node_id FROM cluster_nodes WHERE dead_at IS NOT NULL`), []);
});
