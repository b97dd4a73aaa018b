/**
 * The node registry on a real PostgreSQL: two gateways in this process as
 * nodes of one cluster (each with its own data directory and local store; the
 * shared part is the registry), and the real CLI run against another node's
 * config. Sessions opened on node A are listed from node B with their node,
 * terminated from node B (the person on A is told the message and the CLI
 * reports only what A confirmed), a node whose heartbeat lapsed is taken over
 * by exactly one other node, and a restarted node clears what it left.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterNode } from '../../src/cluster/node.js';
import type { Recoverer } from '../../src/cluster/reaper.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { Gateway } from '../../src/daemon/gateway.js';
import type { Logger } from '../../src/log.js';
import { generateSigningKey } from '../../src/seal/signing.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { LocalStore } from '../../src/store/local.js';
import type { EndReason, Session } from '../../src/session/session.js';
import { capturedLogger, eventually, storeUrl, writeNodeConfig } from '../fixtures/cluster.js';
import { GatewayHome } from '../fixtures/gateway-env.js';
import { startPostgres, type Postgres } from '../fixtures/postgres.js';

const TARGET = ['targets:', '  - { name: web01, protocol: ssh, host: 127.0.0.1, login: { user: root, password: unused } }'];

interface Node {
  config: Config;
  path: string;
  gateway: Gateway;
  node: ClusterNode;
  store: LocalStore;
  logged: ReturnType<typeof capturedLogger>;
  /** Node ids its recoverer was asked to recover. */
  recovered: string[][];
}

let pg: Postgres;
let home: GatewayHome;
const nodes: Node[] = [];

async function startNode(nodeId: string, storeUrl?: string): Promise<Node> {
  const path = await writeNodeConfig(home, pg, { nodeId, extra: TARGET, ...(storeUrl ? { storeUrl } : {}) });
  const config = loadConfig(path);
  const logged = capturedLogger();
  const store = new LocalStore(config.gateway.dataDir);
  const sodium = defaultSodium();
  const gateway = new Gateway(config, logged.log, sodium, store, generateSigningKey(sodium));
  const recovered: string[][] = [];
  // The local store cannot recover other nodes' recordings; the PostgreSQL store's recoverNodes is proven in cluster.test.ts.
  const recoverer: Recoverer = { recoverNodes: async (ids) => (recovered.push(ids), []) };
  const node = await ClusterNode.start(gateway, recoverer, config, logged.log as Logger);
  const n = { config, path, gateway, node, store, logged, recovered };
  nodes.push(n);
  return n;
}

async function stopNode(n: Node): Promise<void> {
  nodes.splice(nodes.indexOf(n), 1);
  await n.gateway.endAll();
  await n.node.stop();
  await n.store.close();
}

function attach(session: Session): [EndReason, string][] {
  const told: [EndReason, string][] = [];
  session.attach({ notify: () => {}, disconnect: (reason, message) => told.push([reason, message]) });
  return told;
}

async function sql<T extends Record<string, unknown>>(text: string): Promise<T[]> {
  const r = await pg.psql(['-A', '-t', '-F', '\t', '-c', text]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((line) => Object.fromEntries(line.split('\t').map((v, i) => [i, v])) as T);
}

before(async () => {
  [pg, home] = await Promise.all([startPostgres(), GatewayHome.create()]);
});
after(async () => {
  for (const n of [...nodes]) await stopNode(n).catch(() => undefined);
  await pg?.stop();
  await home?.remove();
});

test('a session on node A is listed from node B with its node, and terminated from B with the message the person sees', async () => {
  const a = await startNode('node-a');
  const b = await startNode('node-b');
  const session = await a.gateway.openSession({ user: 'alice', clientAddress: '192.0.2.7' }, a.config.targets[0]!);
  const told = attach(session);

  const listed = await eventually('the session listed from B', 5000, async () => {
    const r = await home.cli(['sessions', 'list', '--json', '--config', b.path]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { id: string; node: string; user: string; target: string; protocol: string; clientAddress: string; recording: boolean; nodeAlive: boolean }[];
    return rows.length > 0 ? rows : undefined;
  });
  assert.deepEqual(
    listed.map((s) => [s.id, s.node, s.user, s.target, s.protocol, s.clientAddress, s.recording, s.nodeAlive]),
    [[session.id, 'node-a', 'alice', 'web01', 'ssh', '192.0.2.7', true, true]],
  );
  const table = await home.cli(['sessions', 'list', '--config', b.path]);
  assert.match(table.stdout, /^ID\s+NODE\s+USER\s+TARGET\s+PROTOCOL\s+CLIENT\s+STARTED\s+IDLE\n/);
  assert.match(table.stdout, new RegExp(`^${session.id}\\s+node-a\\s+alice\\s+web01\\s+ssh\\s+192\\.0\\.2\\.7\\s`, 'm'));

  const r = await home.cli(['sessions', 'terminate', session.id, '--message', 'audit freeze, call the SOC', '--config', b.path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `terminated ${session.id} on node node-a\n`);
  // Confirmed means done: the person was told and the recording ended before the CLI returned.
  assert.deepEqual(told, [['terminated', 'audit freeze, call the SOC']]);
  const summary = await a.store.get(session.id);
  assert.deepEqual([summary?.status, summary?.endReason], ['complete', 'terminated']);
  assert.ok(a.logged.messages().includes('cluster: terminate requested from another node'));

  await eventually('the ended session unlisted', 5000, async () => {
    const rows = JSON.parse((await home.cli(['sessions', 'list', '--json', '--config', b.path])).stdout) as unknown[];
    return rows.length === 0;
  });
  const again = await home.cli(['sessions', 'terminate', session.id, '--config', b.path]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `recgate: no live session ${session.id} on any node\n`);
  await stopNode(b);
  await stopNode(a);
});

test('a request queued while the holding node hears no notification is still carried out at its next heartbeat', async () => {
  const a = await startNode('node-quiet');
  const session = await a.gateway.openSession({ user: 'alice', clientAddress: '192.0.2.8' }, a.config.targets[0]!);
  const told = attach(session);
  await eventually('listed', 5000, async () => (await sql(`SELECT id FROM cluster_sessions WHERE id = '${session.id}'`)).length === 1);
  // A row and no NOTIFY: what a node finds after its notification connection was down.
  await sql(`INSERT INTO cluster_commands (node_id, session_id, op, body) VALUES ('node-quiet', '${session.id}', 'terminate', '{"message":"queued while away","by":"ops"}')`);
  await eventually('the queued request answered', 5000, async () => (await sql(`SELECT outcome FROM cluster_commands WHERE session_id = '${session.id}' AND done_at IS NOT NULL`))[0]);
  const [row] = await sql<{ 0: string }>(`SELECT outcome::text FROM cluster_commands WHERE session_id = '${session.id}'`);
  assert.deepEqual(JSON.parse(row![0]), { ok: true });
  assert.deepEqual(told, [['terminated', 'queued while away']]);
  await stopNode(a);
});

test("a terminate still reaches the node after its notification connection was killed (pg_terminate_backend), and the node says so in its log", async () => {
  const a = await startNode('node-cut');
  const session = await a.gateway.openSession({ user: 'alice', clientAddress: '192.0.2.11' }, a.config.targets[0]!);
  const told = attach(session);
  await eventually('listed', 5000, async () => (await sql(`SELECT id FROM cluster_sessions WHERE id = '${session.id}'`)).length === 1);
  const killed = await pg.psql(['-A', '-t', '-c', "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'recgate-cluster node-cut' AND query LIKE 'LISTEN%'"], { user: 'postgres' });
  assert.equal(killed.stdout.trim(), '1', killed.stderr);
  await eventually('the lost connection logged', 5000, () => a.logged.messages().includes('cluster: lost the notification connection; polling until it is back'));
  const r = await home.cli(['sessions', 'terminate', session.id, '--message', 'reached anyway', '--config', a.path]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `terminated ${session.id} on node node-cut\n`);
  assert.deepEqual(told, [['terminated', 'reached anyway']]);
  await stopNode(a);
});

test('a node whose heartbeat lapsed is listed as such, a terminate on it names it, and it is taken over by exactly one live node', async () => {
  // What a node killed mid-session leaves: its row with an old heartbeat, and its sessions. No node runs yet to take it over.
  await sql(
    `INSERT INTO cluster_nodes (node_id, started_at, heartbeat_at) VALUES ('node-gone', now() - interval '1 min', now() - interval '30 s');
     INSERT INTO cluster_sessions (id, recording_id, node_id, user_name, target, protocol, client_address, started_at, last_input_at)
     VALUES ('01GONE0000000000000000000A', '01GONE0000000000000000000A', 'node-gone', 'alice', 'web01', 'ssh', '192.0.2.9', now() - interval '40 s', now() - interval '35 s')`,
  );
  const path = await writeNodeConfig(home, pg, { nodeId: 'node-1', extra: TARGET });
  const r = await home.cli(['sessions', 'list', '--config', path]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^01GONE0000000000000000000A\s+node-gone \(no heartbeat\)\s+alice\s+web01\s+ssh\s+192\.0\.2\.9\s.*\s(0:00:(3[5-9]|[45]\d)|0:0[1-9]:\d\d)\n$/m);
  const t = await home.cli(['sessions', 'terminate', '01GONE0000000000000000000A', '--config', path]);
  assert.equal(t.code, 1);
  assert.equal(
    t.stderr,
    'recgate: session 01GONE0000000000000000000A is held by node node-gone, which has not sent a heartbeat within store.heartbeatTimeout (it may be dead; its sessions are taken over once that is certain)\n',
  );

  const a = await startNode('node-1');
  const b = await startNode('node-2');
  await eventually('node-gone taken over', 5000, async () => (await sql(`SELECT dead_at FROM cluster_nodes WHERE node_id = 'node-gone' AND dead_at IS NOT NULL`)).length === 1);
  assert.deepEqual([...a.recovered, ...b.recovered], [['node-gone']]);
  assert.deepEqual(await sql(`SELECT id FROM cluster_sessions WHERE node_id = 'node-gone'`), []);
  const claimer = a.recovered.length === 1 ? a : b;
  const line = claimer.logged.lines.find((l) => l.msg === 'cluster: node missed its heartbeats past store.heartbeatTimeout: taking it for dead');
  assert.equal(line?.deadNode, 'node-gone');
  assert.ok(claimer.logged.lines.some((l) => String(l.msg).startsWith('cluster: dead node taken over') && l.deadNode === 'node-gone'));
  // Live nodes are never taken for dead.
  assert.deepEqual(await sql(`SELECT node_id FROM cluster_nodes WHERE dead_at IS NOT NULL ORDER BY 1`), [{ 0: 'node-gone' }]);
  await stopNode(b);
  await stopNode(a);
  // Stopped cleanly: marked stopped, never taken for dead.
  assert.deepEqual(await sql(`SELECT node_id FROM cluster_nodes WHERE node_id IN ('node-1','node-2') AND stopped_at IS NOT NULL ORDER BY 1`), [{ 0: 'node-1' }, { 0: 'node-2' }]);
});

test('a node restarting under its id removes the sessions and fails the requests its previous run left', async () => {
  await sql(`INSERT INTO cluster_nodes (node_id, started_at, heartbeat_at) VALUES ('node-back', now(), now())`);
  await sql(
    `INSERT INTO cluster_sessions (id, recording_id, node_id, user_name, target, protocol, client_address, started_at, last_input_at)
     VALUES ('01BACK0000000000000000000A', NULL, 'node-back', 'bob', 'web01', 'ssh', '192.0.2.10', now(), now())`,
  );
  await sql(`INSERT INTO cluster_commands (node_id, session_id, op, body) VALUES ('node-back', '01BACK0000000000000000000A', 'terminate', '{"message":"late"}')`);
  const n = await startNode('node-back');
  assert.deepEqual(await sql(`SELECT id FROM cluster_sessions WHERE node_id = 'node-back'`), []);
  const [row] = await sql<{ 0: string }>(`SELECT outcome::text FROM cluster_commands WHERE node_id = 'node-back'`);
  assert.deepEqual(JSON.parse(row![0]), { ok: false, code: 'RG_ERR_NOT_FOUND', error: 'node node-back restarted before it answered' });
  assert.ok(n.logged.messages().includes('cluster: removed the live sessions a previous run of this node left listed'));
  await stopNode(n);
});

test('a node whose database is unreachable at start runs on, and registers with its sessions once the database is there', async () => {
  // A database that does not exist yet refuses every connection, as an unreachable server would.
  const late = storeUrl(pg).replace(/\/app$/, '/late');
  const n = await startNode('node-late', late);
  assert.ok(n.logged.messages().includes("cluster: cannot register this node in the store's database; its sessions are listed for the other nodes once it is reachable (retrying every heartbeat)"));
  const session = await n.gateway.openSession({ user: 'alice', clientAddress: '192.0.2.12' }, n.config.targets[0]!);
  attach(session);
  const made = await pg.psql(['-c', 'CREATE DATABASE late OWNER app'], { user: 'postgres', database: 'postgres' });
  assert.equal(made.code, 0, made.stderr);
  await eventually('registered once the database is there', 5000, () => n.logged.messages().includes('cluster: node registered (the database is reachable again)'));
  const rows = await eventually('its session listed', 5000, async () => {
    const r = await pg.psql(['-A', '-t', '-c', "SELECT id || ' ' || node_id FROM cluster_sessions"], { database: 'late' });
    return r.stdout.trim() === '' ? undefined : r.stdout.trim();
  });
  assert.equal(rows, `${session.id} node-late`);
  await stopNode(n);
});

test('terminate with --lock from another node writes the lock on the holding node and says that it holds there only', async () => {
  const a = await startNode('node-lock');
  const b = await startNode('node-other');
  const session = await a.gateway.openSession({ user: 'alice', clientAddress: '192.0.2.13' }, a.config.targets[0]!);
  const told = attach(session);
  await eventually('listed', 5000, async () => (await sql(`SELECT id FROM cluster_sessions WHERE id = '${session.id}'`)).length === 1);
  const r = await home.cli(['sessions', 'terminate', session.id, '--message', 'Locked for the audit', '--lock', '10m', '--config', b.path]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^terminated ${session.id} on node node-lock\\nlocked alice on web01 until 20\\d\\d-\\S+ on node node-lock\\n$`));
  assert.equal(r.stderr, 'recgate: the lock is kept by node node-lock: logins through other nodes are not refused by it\n');
  assert.deepEqual(told, [['terminated', 'Locked for the audit']]);
  assert.deepEqual((await a.gateway.locks.active()).map((l) => [l.user, l.scope, l.target, l.message]), [['alice', 'target', 'web01', 'Locked for the audit']]);
  assert.deepEqual(await b.gateway.locks.active(), []);
  await stopNode(b);
  await stopNode(a);
});
