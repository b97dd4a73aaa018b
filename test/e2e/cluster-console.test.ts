/**
 * The web console of node B and a live SSH session on node A, both
 * `recgate start` processes sharing a real PostgreSQL store: B's console
 * lists the session with its node, opens it to watch (its progress read from
 * the store), answers a long poll when what is typed on A is stored, shows
 * the person a message and terminates the session with one through node A,
 * and then reports it ended. An auditor may list it but not watch it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, GatewayCluster } from '../fixtures/cluster.js';
import { ACCOUNTS, ConsoleClient } from '../fixtures/console-gateway.js';
import { Tmux } from '../fixtures/tmux.js';

let cluster: GatewayCluster;
let term: Tmux | undefined;

before(async () => {
  cluster = await GatewayCluster.start(['node-a', 'node-b'], { heartbeatInterval: '300ms', heartbeatTimeout: '3s', consoleOn: ['node-b'] });
});
after(async () => {
  await term?.stop();
  await cluster?.stop();
});

test("node B's console lists, watches, messages and terminates a session on node A", async () => {
  term = await Tmux.start(['ssh', ...cluster.sshArgs('node-a')], 120, 40);
  await term.waitFor(/:~[#$]/, 20_000);
  const otto = new ConsoleClient(cluster.node('node-b').console!);
  const signedIn = await otto.signIn(ACCOUNTS.officer);
  assert.equal(signedIn, 200, `sign-in answered ${signedIn}`);

  const listed = await eventually('the session of node A in the list of node B', 10_000, async () => {
    const r = await otto.request('GET', '/api/live');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const rows = r.json.sessions as { id: string; node: string; user: string; target: string; protocol: string }[];
    return rows.length === 1 ? rows[0] : undefined;
  });
  assert.deepEqual([listed.node, listed.user, listed.target, listed.protocol], ['node-a', 'alice', 'web01', 'ssh']);
  const id = listed.id;

  const opened = await otto.request('GET', `/api/live/${id}`);
  assert.equal(opened.status, 200, JSON.stringify(opened.json));
  assert.equal(opened.json.session.node, 'node-a');
  const tty = (opened.json.streams as { name: string; kind: string; chunks: number }[]).find((s) => s.kind === 'tty');
  // The prompt may still wait for the recorder's next flush: the stream is there, its chunks may not be yet.
  assert.ok(tty && tty.chunks >= 0, JSON.stringify(opened.json.streams));
  const seq = opened.json.seq as number;

  // The long poll answers once what is typed on node A is in the store.
  const poll = otto.request('GET', `/api/live/${id}/updates?since=${seq}`);
  await term.type('echo CONSOLE-MARK-$((6*7))');
  const t0 = Date.now();
  const updated = await poll;
  assert.equal(updated.status, 200);
  assert.equal(updated.json.ended, false);
  assert.ok(updated.json.seq > seq, JSON.stringify(updated.json));
  assert.ok(Date.now() - t0 < 5000, `the poll answered ${Date.now() - t0} ms after typing`);
  // The chunks themselves come from the shared store through the recordings API, as for a local session.
  const chunk = await otto.request('GET', `/api/recordings/${id}/streams/${(updated.json.streams as { id: number; kind: string }[]).find((s) => s.kind === 'tty')!.id}/chunks/0`);
  assert.equal(chunk.status, 200);

  const audrey = new ConsoleClient(cluster.node('node-b').console!);
  assert.equal(await audrey.signIn(ACCOUNTS.auditor), 200);
  assert.deepEqual(((await audrey.request('GET', '/api/live')).json.sessions as { id: string }[]).map((s) => s.id), [id]);
  assert.equal((await audrey.request('GET', `/api/live/${id}`)).status, 403);
  assert.equal((await audrey.request('POST', `/api/live/${id}/terminate`, { message: 'no' })).status, 403);

  const message = await otto.request('POST', `/api/live/${id}/message`, { text: 'An officer on node B is watching' });
  assert.equal(message.status, 200, JSON.stringify(message.json));
  assert.deepEqual(message.json, { sent: 'An officer on node B is watching', node: 'node-a' });
  await term.waitFor(/An officer on node B is watching/);

  const ended = await otto.request('POST', `/api/live/${id}/terminate`, { message: 'Closed from the console of node B' });
  assert.equal(ended.status, 200, JSON.stringify(ended.json));
  assert.deepEqual(ended.json, { terminated: true, reason: 'terminated', recorded: true, node: 'node-a' });
  await term.waitFor(/Closed from the console of node B/);
  const after = await otto.request('GET', `/api/live/${id}/updates?since=0`);
  assert.deepEqual(after.json, { ended: true, status: 'complete', endReason: 'terminated' });
  assert.deepEqual((await otto.request('GET', '/api/live')).json.sessions, []);
});
