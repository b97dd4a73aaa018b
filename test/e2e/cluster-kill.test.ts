/**
 * A node killed mid-session: two `recgate start` processes sharing a real
 * PostgreSQL store, a real ssh session through node A followed from node B;
 * node A is killed with SIGKILL. Node B marks the recording interrupted once
 * A's heartbeat lapses (the claim and the gateway log entry are B's), the
 * recording verifies and exports up to its last second, and node A starting
 * again under its id is a live node again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, GatewayCluster } from '../fixtures/cluster.js';
import { ClusterClients, typescriptOf } from '../fixtures/cluster-clients.js';

const HEARTBEAT_TIMEOUT_MS = 3000;
let cluster: GatewayCluster;
let clients: ClusterClients;

before(async () => {
  cluster = await GatewayCluster.start(['node-a', 'node-b'], { heartbeatInterval: '300ms', heartbeatTimeout: `${HEARTBEAT_TIMEOUT_MS}ms` });
  clients = new ClusterClients(cluster);
});
after(async () => {
  await clients?.stop();
  await cluster?.stop();
});

test('node A killed with SIGKILL mid-session: node B marks the recording interrupted within the heartbeat timeout, and it verifies and exports', async () => {
  const ssh = await clients.terminal(['ssh', ...cluster.sshArgs('node-a')]);
  // Followed as soon as it is listed: the session is live before its terminal opens, and the follower waits for it.
  const id = await eventually('the session listed', 20_000, async () => (await clients.listFrom('node-b')).find((s) => s.protocol === 'ssh' && s.node === 'node-a')?.id);
  const follower = clients.follow('node-b', id);
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
  assert.deepEqual(await clients.listFrom('node-b'), []);
  const dead = await cluster.storeQuery(`SELECT node_id, claimed_by FROM cluster_nodes WHERE dead_at IS NOT NULL`);
  assert.deepEqual(dead, [['node-a', 'node-b']]);
  assert.equal(await follower.exited, 0);
  const verify = await cluster.cli('node-b', ['recordings', 'verify', id]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const files = await clients.exportFrom('node-b', id);
  assert.ok(typescriptOf(files).includes('KILL-MARK-42-END'));

  // Node A comes back under its id and is a live node again.
  await cluster.startNode('node-a');
  assert.deepEqual(await cluster.storeQuery(`SELECT node_id FROM cluster_nodes WHERE dead_at IS NOT NULL`), []);
});
