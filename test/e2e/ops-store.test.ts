/**
 * Readiness and store metrics with the PostgreSQL store, on a real server:
 * while the database answers, /readyz is 200 with the store up and the
 * store's write latency is measured; once it is gone and a write failed,
 * /readyz answers 503 "store down" with a one-line detail (no URL, no
 * password) and /metrics says so.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../fixtures/gateway-env.js';
import { startStoreDatabases, storeUrl, type StoreDatabases } from '../fixtures/pg-store.js';
import { parseExposition, sampleValue } from '../fixtures/prom-text.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';

let dbs: StoreDatabases;
let dbStopped = false;
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
  if (!dbStopped) await dbs?.stop();
});

async function metrics(): Promise<{ text: string; families: ReturnType<typeof parseExposition> }> {
  const text = await (await fetch(`${ops}/metrics`)).text();
  return { text, families: parseExposition(text) };
}

test('with PostgreSQL up the node is ready and its writes are timed; with it gone it says "store down"', async () => {
  const r = await g.ssh([...g.sshArgs(), 'echo recorded in postgres']);
  assert.equal(r.code, 0, r.stderr);
  const ready = await fetch(`${ops}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', store: 'up' });
  let m = (await metrics()).families;
  assert.equal(sampleValue(m, 'recgate_store_state', { state: 'up' }), 1);
  assert.ok(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'create' })! >= 1);
  assert.ok(sampleValue(m, 'recgate_store_write_seconds_count', { op: 'finalize' })! >= 1);
  assert.ok(sampleValue(m, 'recgate_chunks_written_total')! > 0);

  await dbs.stop();
  dbStopped = true;
  // The next session's recording cannot be created: the session runs unrecorded (not required), and the store is known down.
  const unrecorded = await g.ssh([...g.sshArgs(), 'echo after the database went away']);
  assert.equal(unrecorded.stdout, 'after the database went away\n', unrecorded.stderr);
  const down = await fetch(`${ops}/readyz`);
  assert.equal(down.status, 503);
  const body = (await down.json()) as { status: string; reason: string; store: string; detail: string };
  assert.deepEqual([body.status, body.reason, body.store], ['not ready', 'store down', 'down']);
  assert.match(body.detail, new RegExp(`^PostgreSQL 127\\.0\\.0\\.1:${dbs.server.port}/`));
  const { text, families } = await metrics();
  m = families;
  assert.equal(sampleValue(m, 'recgate_store_state', { state: 'down' }), 1);
  assert.ok(sampleValue(m, 'recgate_store_write_errors_total', { op: 'create' })! >= 1);
  for (const said of [JSON.stringify(body), text]) {
    assert.ok(!said.includes(dbs.server.password), 'no password');
    assert.ok(!said.includes(url), 'no store URL');
  }
  assert.equal((await fetch(`${ops}/healthz`)).status, 200, 'the process itself is alive');
});
