/**
 * Readiness and store metrics with the PostgreSQL store, on a real server:
 * while the database answers, /readyz is 200 with the store up and the
 * store's write latency is measured; once it is gone, sessions are still
 * recorded into the spool, so the node stays ready ("spooling") and /metrics
 * counts the spooled chunks (naming no URL or password); when the database
 * is back the spool drains and the store is up again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../fixtures/gateway-env.js';
import { startStoreDatabases, storeUrl, type StoreDatabases } from '../fixtures/pg-store.js';
import { parseExposition, sampleValue } from '../fixtures/prom-text.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';

let dbs: StoreDatabases;
let g: SshGateway;
let ops: string;
let url: string;

before(async () => {
  dbs = await startStoreDatabases();
  const db = await dbs.create();
  url = storeUrl(dbs.server, db.name);
  const port = await freePort();
  ops = `http://127.0.0.1:${port}`;
  g = await SshGateway.start({ metrics: `127.0.0.1:${port}`, top: `store: { kind: postgres, url: "${url}" }` });
});
after(async () => {
  await g?.stop();
  await dbs?.stop();
});

async function metrics(): Promise<{ text: string; families: ReturnType<typeof parseExposition> }> {
  const text = await (await fetch(`${ops}/metrics`)).text();
  return { text, families: parseExposition(text) };
}

test('with PostgreSQL up the node is ready and its writes are timed; with it gone it records into the spool and stays ready, and drains when it is back', async () => {
  const r = await g.ssh([...g.sshArgs(), 'echo recorded in postgres']);
  assert.equal(r.code, 0, r.stderr);
  const ready = await fetch(`${ops}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', store: 'up' });
  // The recording is finalized as the session closes, just after the client has its output.
  let m = (await metrics()).families;
  for (const deadline = Date.now() + 30_000; !(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'finalize' })! >= 1) && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    m = (await metrics()).families;
  }
  assert.equal(sampleValue(m, 'recgate_store_state', { state: 'up' }), 1);
  assert.ok(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'create' })! >= 1);
  assert.ok(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'finalize' })! >= 1);
  assert.ok(sampleValue(m, 'recgate_chunks_written_total')! > 0);

  await dbs.server.stopServer();
  // The next session is recorded into the spool: it runs, and the node stays ready for more.
  const spooled = await g.ssh([...g.sshArgs(), 'echo after the database went away']);
  assert.equal(spooled.stdout, 'after the database went away\n', spooled.stderr);
  const whileDown = await fetch(`${ops}/readyz`);
  assert.equal(whileDown.status, 200);
  assert.deepEqual(await whileDown.json(), { status: 'ready', store: 'spooling' });
  // The recording's last chunks are written as the session closes, just after the client has its output.
  let text = '';
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
    ({ text, families: m } = await metrics());
    if (sampleValue(m, 'recgate_chunks_spooled_total')! > 0) break;
  }
  assert.equal(sampleValue(m, 'recgate_store_state', { state: 'spooling' }), 1);
  assert.ok(sampleValue(m, 'recgate_chunks_spooled_total')! > 0);
  assert.ok(sampleValue(m, 'recgate_spool_bytes')! > 0);
  assert.ok(!text.includes(dbs.server.password), 'no password');
  assert.ok(!text.includes(url), 'no store URL');

  await dbs.server.startServer();
  const deadline = Date.now() + 60_000;
  let state = '';
  while (Date.now() < deadline) {
    m = (await metrics()).families;
    state = sampleValue(m, 'recgate_store_state', { state: 'up' }) === 1 && sampleValue(m, 'recgate_spool_bytes') === 0 ? 'up' : 'spooling';
    if (state === 'up') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal(state, 'up', 'the spool drains once the database is back');
  assert.equal(sampleValue(m, 'recgate_chunks_drained_total'), sampleValue(m, 'recgate_chunks_spooled_total'));
  assert.deepEqual(await (await fetch(`${ops}/readyz`)).json(), { status: 'ready', store: 'up' });
  assert.equal((await fetch(`${ops}/healthz`)).status, 200, 'the process itself is alive');
});
