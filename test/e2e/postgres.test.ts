/**
 * The PostgreSQL proxy end to end: a real PostgreSQL (initdb in a temp dir,
 * scram-sha-256 in pg_hba.conf) as the target, the real psql and
 * node-postgres as the person, the gateway as `recgate start`.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { scriptreplay } from '../fixtures/export/scriptreplay.js';
import { run } from '../fixtures/gateway-env.js';
import { ALICE_PASSWORD, BOB_PASSWORD, PgGateway } from '../fixtures/pg-gateway.js';
import { assertDurationsToTheMicrosecond } from '../fixtures/query-durations.js';
import { postgresBinDir } from '../fixtures/postgres.js';

let g: PgGateway;

before(async () => {
  g = await PgGateway.start({ extraTargets: [{ name: 'idle01', lines: ['tls: disable', 'limits: { idleTimeout: 2s }'] }] });
});
after(() => g?.stop());

const SCRIPT = (dir: string) => `SET client_min_messages = warning;
DROP TABLE IF EXISTS items;
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2));
INSERT INTO items SELECT i, 'item ' || i, i * 1.25 FROM generate_series(1, 10000) AS i;
UPDATE items SET name = 'first' WHERE id = 1;
SELECT id, name, price FROM items ORDER BY id;
SELECT 1 / 0 AS boom;
BEGIN;
DELETE FROM items WHERE id > 9990;
SELECT count(*) AS remaining FROM items;
COMMIT;
\\copy items TO '${dir}/out.csv' WITH (FORMAT csv)
CREATE TABLE items_copy (LIKE items);
\\copy items_copy FROM '${dir}/out.csv' WITH (FORMAT csv)
SELECT count(*) AS copied, sum(price) AS total FROM items_copy;
DROP TABLE items_copy;
`;

function pgClient(login = 'alice+pg01', password = ALICE_PASSWORD): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port: g.port, user: login, password, database: 'app', ssl: false });
}

test('a psql script gives the same output through the gateway as directly, and the recording replays it', async () => {
  const direct = join(g.home.dir, 'direct');
  const via = join(g.home.dir, 'via');
  await run('mkdir', ['-p', direct, via]);
  await writeFile(join(direct, 'script.sql'), SCRIPT(direct));
  await writeFile(join(via, 'script.sql'), SCRIPT(via));

  const expected = await g.pg.psql(['-f', 'script.sql'], { cwd: direct });
  assert.equal(expected.code, 0, expected.stderr);
  const before = (await g.recordings()).length;
  const got = await g.psql(['-f', 'script.sql'], { cwd: via });
  assert.equal(got.code, 0, got.stderr);
  assert.equal(got.stdout, expected.stdout);
  assert.equal(got.stderr, expected.stderr);
  assert.match(got.stderr, /division by zero/);
  assert.equal(await readFile(join(via, 'out.csv'), 'utf8'), await readFile(join(direct, 'out.csv'), 'utf8'));

  const rec = await g.endedRecording(before);
  assert.equal(rec.status, 'complete');
  assert.equal(rec.user, 'alice');
  assert.equal(rec.target, 'pg01');
  const files = await g.exportRecording(rec.id);
  // No keystrokes are recorded on a database session, so no keystroke files either.
  assert.deepEqual([...files.keys()].sort(), [`${rec.id}.cast`, `${rec.id}.events.jsonl`, `${rec.id}.tm`, `${rec.id}.tys`]);
  const replay = (await scriptreplay({ 'r.tys': files.get(`${rec.id}.tys`)!, 'r.tm': files.get(`${rec.id}.tm`)! }, ['-t', 'r.tm', '-s', 'r.tys'])).toString('utf8');
  assert.match(replay, /app=> SELECT id, name, price FROM items ORDER BY id;/);
  // Only the first 100 rows are rendered, so the columns are as wide as those rows need.
  assert.match(replay, /\n id {2}\| {3}name {3}\| price {2}\r?\n-----\+----------\+--------\r?\n {3}1 \| first {4}\| {3}1\.25\r?\n/);
  assert.match(replay, /\(10000 rows; first 100 shown\)/);
  assert.doesNotMatch(replay, /item 101\b/);
  assert.match(replay, /ERROR: {2}division by zero/);
  assert.match(replay, /app=\*> SELECT count\(\*\) AS remaining FROM items;/);
  assert.match(replay, /COMMIT/);

  const events = await g.events(rec.id);
  const queries = events.filter((e) => e['type'] === 'query');
  const texts = queries.map((q) => q['text']);
  assert.ok(texts.includes('SELECT id, name, price FROM items ORDER BY id;'), JSON.stringify(texts));
  const select = queries.find((q) => q['text'] === 'SELECT id, name, price FROM items ORDER BY id;')!;
  assert.equal(select['rows'], 10000);
  assert.equal(select['tag'], 'SELECT 10000');
  assert.equal(typeof select['durationMs'], 'number');
  const boom = queries.find((q) => String(q['text']).startsWith('SELECT 1 / 0'))!;
  assert.deepEqual(boom['error'], { code: '22012', message: 'division by zero' });
  const copies = events.filter((e) => e['type'] === 'copy');
  assert.equal(copies.length, 2);
  const csvBytes = (await readFile(join(via, 'out.csv'))).length;
  assert.deepEqual(copies.map((c) => [c['direction'], c['bytes'], c['rows']]), [['out', csvBytes, 9990], ['in', csvBytes, 9990]]);
});

test('a statement\'s duration is measured to the microsecond: a quick one takes a fraction of a millisecond, a sleep its length', async () => {
  const before = (await g.recordings()).length;
  const got = await g.psql(['-c', 'SELECT 1', '-c', 'SELECT 2', '-c', 'SELECT 3', '-c', 'SELECT pg_sleep(0.05)']);
  assert.equal(got.code, 0, got.stderr);
  const rec = await g.endedRecording(before);
  assertDurationsToTheMicrosecond(await g.events(rec.id), ['SELECT 1', 'SELECT 2', 'SELECT 3'], 'SELECT pg_sleep(0.05)', 50);
});

test('node-postgres with parameters, prepared statements and queued queries works, and the parameters are recorded', async () => {
  const before = (await g.recordings()).length;
  const client = pgClient();
  await client.connect();
  const sum = await client.query('SELECT $1::int + $2::int AS sum', [40, 2]);
  assert.equal(sum.rows[0].sum, 42);
  const named = { name: 'by-name', text: 'SELECT $1::text || $2::text AS greeting', values: ['hello, ', 'world'] };
  assert.equal((await client.query(named)).rows[0].greeting, 'hello, world');
  assert.equal((await client.query({ ...named, values: ['bye, ', 'now'] })).rows[0].greeting, 'bye, now');
  const many = await Promise.all([1, 2, 3, 4, 5].map((i) => client.query('SELECT $1::int * 10 AS n', [i])));
  assert.deepEqual(many.map((r) => r.rows[0].n), [10, 20, 30, 40, 50]);
  await assert.rejects(client.query('SELECT $1::int', ['not a number']), /invalid input syntax for type integer/);
  assert.equal((await client.query('SELECT 7 AS still')).rows[0].still, 7);
  await client.end();

  const rec = await g.endedRecording(before);
  const queries = (await g.events(rec.id)).filter((e) => e['type'] === 'query');
  const sumEvent = queries.find((q) => q['text'] === 'SELECT $1::int + $2::int AS sum');
  assert.deepEqual(sumEvent?.['params'], ['40', '2']);
  assert.equal(sumEvent?.['rows'], 1);
  const greetings = queries.filter((q) => q['text'] === 'SELECT $1::text || $2::text AS greeting').map((q) => q['params']);
  assert.deepEqual(greetings, [['hello, ', 'world'], ['bye, ', 'now']]);
  assert.deepEqual(queries.filter((q) => q['text'] === 'SELECT $1::int * 10 AS n').map((q) => q['params']), [['1'], ['2'], ['3'], ['4'], ['5']]);
  const bad = queries.find((q) => q['text'] === 'SELECT $1::int');
  assert.equal((bad?.['error'] as { code: string }).code, '22P02');
  assert.deepEqual(bad?.['params'], ['not a number']);
});

test('Ctrl-C in psql cancels its own query on the target, not another session\'s', async () => {
  const psql = (sql: string) => run('psql', ['-X', '-w', '-d', g.conninfo(), '-At', '-c', sql], { env: { PGPASSWORD: ALICE_PASSWORD } });
  const cancelled = psql('SELECT pg_sleep(60)');
  const other = psql("SELECT 'other finished' FROM pg_sleep(3)");
  // Wait until both run on the server, then interrupt the first psql as a person would.
  for (let i = 0; i < 100; i++) {
    const r = await g.pg.psql(['-At', '-c', "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(%' AND state = 'active' AND pid <> pg_backend_pid()"]);
    if (r.stdout.trim() === '2') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const started = Date.now();
  await run('pkill', ['-INT', '-f', 'SELECT pg_sleep\\(60\\)']);
  const r = await cancelled;
  assert.ok(Date.now() - started < 10_000);
  assert.match(r.stderr, /canceling statement due to user request/);
  const o = await other;
  assert.equal(o.code, 0, o.stderr);
  assert.equal(o.stdout, 'other finished\n');
});

test('refusals reach psql as clear errors, and nothing is recorded for them', async () => {
  const before = (await g.recordings()).length;
  const attempt = async (login: string, password = ALICE_PASSWORD, conninfo: Record<string, string> = {}) => {
    const r = await g.psql(['-c', 'SELECT 1'], { login, password, conninfo });
    assert.notEqual(r.code, 0);
    return r.stderr;
  };
  assert.match(await attempt('alice+pg01', 'wrong'), /FATAL: {2}password authentication failed for user "alice\+pg01"/);
  assert.match(await attempt('nobody+pg01', 'wrong'), /FATAL: {2}password authentication failed for user "nobody\+pg01"/);
  // An unknown target and one alice may not reach read alike.
  assert.match(await attempt('alice+nothere'), /FATAL: {2}recgate: there is no target named nothere that you may reach$/m);
  assert.match(await attempt('alice+other'), /FATAL: {2}recgate: there is no target named other that you may reach$/m);
  assert.match(await attempt('alice+down01'), /FATAL: {2}recgate: cannot reach down01: connection refused/);
  assert.match(await attempt('alice+badpw01'), /FATAL: {2}recgate: badpw01 refused the gateway's login/);
  // bob has no SCRAM verifier: his password may only travel inside TLS.
  assert.match(await attempt('bob+pg01', BOB_PASSWORD), /password authentication failed[\s\S]*HINT: {2}recgate accepts gateway passwords with SCRAM-SHA-256, or in clear only inside TLS/);
  assert.equal((await g.recordings()).length, before);
  assert.match(g.log, /gateway login failed/);
  assert.doesNotMatch(g.log, new RegExp(`${ALICE_PASSWORD}|${BOB_PASSWORD}|${g.pg.password}`));
});

test('TLS to the gateway: cleartext password inside TLS, and SCRAM with channel binding to the gateway certificate', async () => {
  const bob = await g.psql(['-At', '-c', 'SELECT current_user, ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE pid = pg_backend_pid()'], {
    login: 'bob+pg01',
    password: BOB_PASSWORD,
    conninfo: { sslmode: 'require' },
  });
  assert.equal(bob.code, 0, bob.stderr);
  // The gateway logs in to the target as the injected user, over plain TCP here (tls: disable).
  assert.equal(bob.stdout.trim(), 'app|f');
  const alice = await g.psql(['-At', '-c', 'SELECT 42'], { conninfo: { sslmode: 'require', channel_binding: 'require' } });
  assert.equal(alice.code, 0, alice.stderr);
  assert.equal(alice.stdout.trim(), '42');
  assert.match(g.log, /"method":"SCRAM-SHA-256-PLUS"/);
});

test('malformed and oversized client messages close that connection with an error; the gateway serves others', async () => {
  const exchange = (bytes: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const s = connect(g.port, '127.0.0.1');
      const got: Buffer[] = [];
      s.on('data', (d) => got.push(d));
      s.on('close', () => resolve(Buffer.concat(got)));
      s.on('error', reject);
      s.on('connect', () => s.write(bytes));
      setTimeout(() => s.destroy(), 10_000).unref();
    });
  // A startup packet claiming a length far beyond the protocol's limit.
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(0x7fff_ffff, 0);
  huge.writeUInt32BE(196608, 4);
  const answer = await exchange(huge);
  assert.equal(String.fromCharCode(answer[0]!), 'E');
  assert.match(answer.toString('latin1'), /08P01/);
  // An unsupported protocol version.
  const v2 = Buffer.alloc(8);
  v2.writeUInt32BE(8, 0);
  v2.writeUInt32BE(131072, 4);
  assert.match((await exchange(v2)).toString('latin1'), /unsupported protocol version 2\.0/);

  // After login: a message of a type the protocol does not have, and a Query claiming 2 GiB.
  const afterLogin = async (bytes: Buffer): Promise<Error> => {
    const client = pgClient();
    await client.connect();
    const closed = new Promise<Error>((resolve) => client.on('error', resolve));
    (client as unknown as { connection: { stream: import('node:net').Socket } }).connection.stream.write(bytes);
    return closed;
  };
  assert.match((await afterLogin(Buffer.from([0x01, 0, 0, 0, 4]))).message, /recgate: invalid message from the client: .*unknown message/);
  assert.match((await afterLogin(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]))).message, /recgate: invalid message from the client: .*exceeds the limit/);

  const ok = await g.psql(['-At', '-c', 'SELECT 1']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, '1\n');
});

test('an operator terminates a session: psql shows the message and the recording says why', async () => {
  const before = (await g.recordings()).length;
  const child = run('psql', ['-X', '-w', '-d', g.conninfo(), '-c', 'SELECT pg_sleep(30)'], { env: { PGPASSWORD: ALICE_PASSWORD } });
  let id: string | undefined;
  for (let i = 0; i < 100 && id === undefined; i++) {
    const list = JSON.parse((await g.home.cli(['sessions', 'list', '--json'])).stdout) as { id: string; target: string }[];
    id = list.find((s) => s.target === 'pg01')?.id;
    if (id === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(id, 'the session is listed');
  // Terminated while the statement runs on the target: it is recorded, cut short.
  for (let i = 0; i < 100; i++) {
    const running = await g.pg.psql(['-At', '-c', "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'"]);
    if (running.stdout.trim() === '1') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Database maintenance: reconnect after 18:00']);
  assert.equal(t.code, 0, t.stderr);
  const r = await child;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /FATAL: {2}Database maintenance: reconnect after 18:00/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'terminated');
  const sleep = (await g.events(rec.id)).find((e) => e['type'] === 'query');
  assert.equal(sleep?.['text'], 'SELECT pg_sleep(30)');
  assert.deepEqual(sleep?.['error'], { message: 'the session ended before the answer was complete' });
});

test('pg_dump through the gateway matches a direct dump byte for byte, and psql restores it through the gateway (COPY both ways)', async () => {
  await g.pg.psql([
    '-c',
    `CREATE TABLE dump_src (id int PRIMARY KEY, name text, digest bytea, at timestamptz);
     INSERT INTO dump_src SELECT i, 'name ' || i || E'\\t\\\\', decode(md5(i::text), 'hex'), '2026-01-02 03:04:05.678+00' FROM generate_series(1, 20000) AS i;`,
  ]);
  const checksum = async (): Promise<string> => (await g.pg.psql(['-At', '-c', 'SELECT md5(string_agg(t::text, \',\' ORDER BY id)) FROM dump_src AS t'])).stdout;
  const original = await checksum();
  // A fixed key for the dump's \restrict lines, random otherwise.
  const dump = (conninfo: string, password: string): ReturnType<typeof run> =>
    run(join(postgresBinDir(), 'pg_dump'), ['--no-password', '--restrict-key=recgate', '--table=dump_src', conninfo], { env: { PGPASSWORD: password } });
  const direct = await dump(`host=127.0.0.1 port=${g.pg.port} user=${g.pg.user} dbname=${g.pg.database} sslmode=disable`, g.pg.password);
  assert.equal(direct.code, 0, direct.stderr);
  const before = (await g.recordings()).length;
  const through = await dump(g.conninfo(), ALICE_PASSWORD);
  assert.equal(through.code, 0, through.stderr);
  assert.ok(through.stdoutBytes.length > 1_000_000);
  assert.ok(through.stdoutBytes.equals(direct.stdoutBytes), 'the dumps differ');
  const rec = await g.endedRecording(before);
  assert.ok((await g.events(rec.id)).some((e) => e['type'] === 'copy' && e['direction'] === 'out' && Number(e['bytes']) > 1_000_000));

  await g.pg.psql(['-c', 'DROP TABLE dump_src']);
  const beforeRestore = (await g.recordings()).length;
  const restore = await g.psql(['-v', 'ON_ERROR_STOP=1', '-q'], { input: through.stdoutBytes });
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(await checksum(), original);
  const restored = await g.endedRecording(beforeRestore);
  assert.ok((await g.events(restored.id)).some((e) => e['type'] === 'copy' && e['direction'] === 'in' && e['rows'] === 20000));
});

test('pgbench, four clients with prepared statements: every transaction is recorded with its parameters, as the database has them', async () => {
  const env = { PGHOST: '127.0.0.1', PGPORT: String(g.port), PGUSER: 'alice+pg01', PGPASSWORD: ALICE_PASSWORD, PGDATABASE: g.pg.database, PGSSLMODE: 'disable' };
  // The initialisation loads 100 000 accounts with COPY, through the gateway as well.
  const init = await run('pgbench', ['-i', '-s', '1', '-q'], { env });
  assert.equal(init.code, 0, init.stderr);
  const before = (await g.recordings()).length;
  const bench = await run('pgbench', ['-n', '-c', '4', '-j', '2', '-t', '50', '-M', 'prepared'], { env });
  assert.equal(bench.code, 0, bench.stderr);
  assert.match(bench.stdout, /number of transactions actually processed: 200\/200/);
  assert.match(bench.stdout, /number of failed transactions: 0 /);

  let recs = await g.recordings();
  for (let i = 0; i < 100 && (recs.length < before + 4 || recs.slice(before).some((r) => r.status === 'recording')); i++) {
    await new Promise((r) => setTimeout(r, 100));
    recs = await g.recordings();
  }
  const updates: number[] = [];
  for (const rec of recs.slice(before)) {
    for (const e of await g.events(rec.id)) {
      if (e['type'] === 'query' && e['text'] === 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;') updates.push(Number((e['params'] as string[])[0]));
    }
  }
  assert.equal(updates.length, 200);
  const history = await g.pg.psql(['-At', '-c', 'SELECT count(*), sum(delta) FROM pgbench_history']);
  assert.equal(history.stdout, `200|${updates.reduce((a, b) => a + b, 0)}\n`);
});

test('a statement that runs longer than the idle timeout is not inactivity; the session goes on', async () => {
  const before = (await g.recordings()).length;
  const r = await g.psql(['-At', '-c', 'SELECT pg_sleep(3.5)', '-c', 'SELECT 2'], { login: 'alice+idle01' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '\n2\n');
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'closed');
});
