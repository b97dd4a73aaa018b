/**
 * Sessions across nodes, end to end: two `recgate start` processes sharing a
 * real PostgreSQL store, the real ssh and psql clients through node A, and
 * the real CLI run with node B's config. From B the sessions are listed live,
 * followed live (what is typed on A shows at B within two seconds), and
 * terminated with a message the person sees; afterwards both nodes export
 * the same recording. (Node A killed mid-session: cluster-kill.test.ts.)
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

test('SSH and psql sessions on node A are listed, followed live and terminated from node B, and export alike from both', async () => {
  const ssh = await clients.terminal(['ssh', ...cluster.sshArgs('node-a')]);
  await ssh.waitFor(/:~[#$]/, 20_000);
  const psql = await clients.terminal(['env', `PGPASSWORD=${cluster.psqlEnv().PGPASSWORD}`, 'psql', ...cluster.psqlArgs('node-a')]);
  await psql.waitFor(/^app=[>#]/m, 20_000);

  const listed = await eventually('both sessions listed from node B', 10_000, async () => {
    const rows = await clients.listFrom('node-b');
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
  const sshFollow = clients.follow('node-b', sshId);
  await sshFollow.waitFor(':~', 10_000);
  await ssh.type('echo SSH-MARK-$((6*7))-END');
  const sshLatency = await sshFollow.waitFor('SSH-MARK-42-END', 2000);
  const pgFollow = clients.follow('node-b', pgId);
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
    const [fromA, fromB] = await Promise.all([clients.exportFrom('node-a', id), clients.exportFrom('node-b', id)]);
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
