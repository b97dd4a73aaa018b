/**
 * `recgate start` with `store.kind: postgres`: an SSH session through the
 * real OpenSSH client is recorded into a real PostgreSQL server (nothing in
 * the data directory), then listed, exported, played, searched, verified
 * and rotated to a new auditor key through the CLI against that store.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { run } from '../fixtures/gateway-env.js';
import { startStoreDatabases, superuserQuery, type StoreDatabases } from '../fixtures/pg-store.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';
import { readZip } from '../fixtures/zip.js';

let dbs: StoreDatabases;
let database: string;
let g: SshGateway;
let id: string;
let clientSaw: Buffer;

const sql = (text: string, values: unknown[] = []): Promise<pg.QueryResult> => superuserQuery(dbs.server, database, text, values);

before(async () => {
  dbs = await startStoreDatabases();
  const created = await dbs.create();
  database = created.name;
  g = await SshGateway.start({
    top: [
      `store: { kind: postgres, url: "${created.url.reveal()}" }`,
      'signers:',
      '  - { name: gateway, publicKeyFile: ./signing.key.pub }',
    ].join('\n'),
  });
  const r = await g.ssh(['-tt', ...g.sshArgs()], { input: 'echo RG-$((6*7))\nexit\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes('RG-42\r\n'), r.stdout);
  clientSaw = r.stdoutBytes;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await g.recordings();
    if (rows[0]?.status === 'complete') {
      id = rows[0].id;
      break;
    }
    if (Date.now() > deadline) throw new Error(`the recording did not complete: ${JSON.stringify(rows)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
});

after(async () => {
  await g?.stop();
  await dbs?.stop();
});

const cli = (args: string[]): ReturnType<SshGateway['home']['cli']> => g.home.cli(args);

test('the session is recorded in PostgreSQL, not in the data directory, and listed through the CLI', async () => {
  const rows = (await sql('SELECT id, "user", target, status, node_id FROM recordings')).rows;
  assert.deepEqual(rows.map((r) => [r.id, r.user, r.target, r.status]), [[id, 'alice', 'web01', 'complete']]);
  const chunks = (await sql('SELECT count(*)::int AS n, sum(length(data))::int AS bytes FROM chunks WHERE recording = $1', [id])).rows[0];
  assert.ok(chunks.n > 0 && chunks.bytes > 0);
  const local = await readdir(join(g.home.dir, 'data', 'recordings')).catch(() => []);
  assert.deepEqual(local, [], 'no recording files on the node');
  const list = await cli(['recordings', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${id}\\s+alice\\s+web01\\s+ssh`));
});

test('export, play and search read the recording back from PostgreSQL byte for byte', async () => {
  const out = join(g.home.dir, 'export.zip');
  const exported = await cli(['recordings', 'export', id, '--key', g.home.key('officer'), '--out', out]);
  assert.equal(exported.code, 0, exported.stderr);
  const files = await readZip(out);
  const dir = join(g.home.dir, 'replay');
  await run('mkdir', ['-p', dir]);
  await writeFile(join(dir, 'r.tm'), files.get(`${id}.tm`)!);
  await writeFile(join(dir, 'r.tys'), files.get(`${id}.tys`)!);
  const replay = await run('scriptreplay', ['--maxdelay', '0.0001', '-t', join(dir, 'r.tm'), join(dir, 'r.tys')]);
  assert.equal(replay.code, 0, replay.stderr);
  assert.ok(replay.stdoutBytes.subarray(0, -1).equals(clientSaw), 'the export replays to what the client saw');

  const play = await cli(['recordings', 'play', id, '--key', g.home.key('officer'), '--speed', '100']);
  assert.equal(play.code, 0, play.stderr);
  assert.match(play.stdout, /RG-42/);

  const search = await cli(['recordings', 'search', 'RG-42', '--key', g.home.key('officer')]);
  assert.equal(search.code, 0, search.stderr);
  assert.match(search.stdout, new RegExp(id));
});

test('verify checks the recording and the gateway log held in PostgreSQL', async () => {
  const one = await cli(['recordings', 'verify', id]);
  assert.equal(one.code, 0, one.stderr + one.stdout);
  const all = await cli(['recordings', 'verify', '--all']);
  assert.equal(all.code, 0, all.stderr + all.stdout);
  const log = (await sql('SELECT count(*)::int AS n FROM gateway_log WHERE recording = $1', [id])).rows[0];
  assert.ok(log.n >= 1, 'the log entry of the recording is in the database');
  // A bit flipped in a chunk in the database is found (and put back after).
  const where = 'recording = $1 AND idx = 0 AND stream = (SELECT min(stream) FROM chunks WHERE recording = $1)';
  const original = (await sql(`SELECT data FROM chunks WHERE ${where}`, [id])).rows[0].data as Buffer;
  const flipped = Buffer.from(original);
  flipped[20]! ^= 0x01;
  await sql(`UPDATE chunks SET data = $2 WHERE ${where}`, [id, flipped]);
  const tampered = await cli(['recordings', 'verify', id]);
  await sql(`UPDATE chunks SET data = $2 WHERE ${where}`, [id, original]);
  assert.notEqual(tampered.code, 0);
  assert.match(tampered.stdout + tampered.stderr, new RegExp(id));
  assert.equal((await cli(['recordings', 'verify', id])).code, 0);
});

test('keys rotate moves the recording to a new auditor key through the PostgreSQL store', async () => {
  const gen = await cli(['keys', 'generate', '--out', g.home.key('new-officer')]);
  assert.equal(gen.code, 0, gen.stderr);
  const before = (await sql('SELECT kid, sealed_key FROM recording_keys WHERE recording = $1', [id])).rows;
  const r = await cli(['keys', 'rotate', '--from', g.home.key('officer'), '--to', `${g.home.key('new-officer')}.pub`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rotated 1 recording /);
  const afterRows = (await sql('SELECT kid, sealed_key FROM recording_keys WHERE recording = $1', [id])).rows;
  assert.equal(afterRows.length, before.length);
  assert.notDeepEqual(afterRows, before);
  const events = (key: string): ReturnType<typeof cli> => cli(['recordings', 'events', id, '--key', g.home.key(key), '--force']);
  const opened = await events('new-officer');
  assert.equal(opened.code, 0, opened.stderr);
  const old = await events('officer');
  assert.notEqual(old.code, 0);
  assert.match(old.stderr, /not a recipient/);
});

test('an unknown id names the PostgreSQL store, and no log or message shows its password', async () => {
  const r = await cli(['recordings', 'verify', '01JZZZZZZZZZZZZZZZZZZZZZZZ']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`no recording 01JZZZZZZZZZZZZZZZZZZZZZZZ in the PostgreSQL store 127\\.0\\.0\\.1:${dbs.server.port}/${database}`));
  assert.match(g.log, new RegExp(`"store":"127\\.0\\.0\\.1:${dbs.server.port}/${database}".*"opening PostgreSQL store"`));
  for (const text of [r.stderr, r.stdout, g.log]) assert.ok(!text.includes(dbs.server.password), 'the store password stays secret');
});
