/**
 * The MySQL proxy end to end: a real MariaDB (spawned by the test) as the
 * target, the real mariadb client as the person, the gateway as
 * `recgate start`.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { scriptreplay } from '../fixtures/export/scriptreplay.js';
import { ALICE_PASSWORD, BOB_PASSWORD, MyGateway } from '../fixtures/my-gateway.js';

let g: MyGateway;

before(async () => {
  g = await MyGateway.start();
});
after(() => g?.stop());

const SCRIPT = `DROP TABLE IF EXISTS items;
CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(8,2));
INSERT INTO items SELECT seq, CONCAT('item ', seq), seq * 1.25 FROM seq_1_to_10000;
UPDATE items SET name = 'first' WHERE id = 1;
SELECT id, name, price FROM items ORDER BY id;
BEGIN;
DELETE FROM items WHERE id > 9990;
SELECT COUNT(*) AS remaining FROM items;
COMMIT;
SELECT 1 AS a; SELECT 2 AS b;
SELECT nope FROM items;
`;

test('a mariadb script gives the same output through the gateway as directly, and the recording replays it', async () => {
  const expected = await g.my.mariadb(['--force'], { input: SCRIPT });
  const before = (await g.recordings()).length;
  const got = await g.mariadb(['--force'], { input: SCRIPT });
  assert.equal(got.stdout, expected.stdout);
  assert.equal(got.stderr, expected.stderr);
  assert.match(got.stderr, /ERROR 1054 \(42S22\) at line 11: Unknown column 'nope'/);

  const rec = await g.endedRecording(before);
  assert.equal(rec.status, 'complete');
  assert.equal(rec.endReason, 'closed');
  const files = await g.exportRecording(rec.id);
  const replay = (await scriptreplay({ 'r.tys': files.get(`${rec.id}.tys`)!, 'r.tm': files.get(`${rec.id}.tm`)! }, ['-t', 'r.tm', '-s', 'r.tys'])).toString('utf8');
  assert.match(replay, /MariaDB \[app\]> SELECT id, name, price FROM items ORDER BY id/);
  assert.match(replay, /\(10000 rows; first 100 shown\)/);
  assert.match(replay, /MariaDB \[app\]\*> SELECT COUNT\(\*\) AS remaining FROM items/);
  assert.match(replay, /ERROR 1054 \(42S22\): Unknown column 'nope' in '[^']+'/);
  const events = files.get(`${rec.id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const select = events.find((e) => e['type'] === 'query' && e['text'] === 'SELECT id, name, price FROM items ORDER BY id');
  assert.equal(select?.['rows'], 10000);
  const nope = events.find((e) => e['type'] === 'query' && e['text'] === 'SELECT nope FROM items');
  assert.equal((nope?.['error'] as { code: string }).code, '1054 (42S22)');
  assert.match((nope?.['error'] as { message: string }).message, /^Unknown column 'nope' in '[^']+'$/);
});

test('caching_sha2_password full authentication, with RSA outside TLS and in clear inside it', async () => {
  for (const tls of [false, true]) {
    const r = await g.mariadb(['-e', 'SELECT CURRENT_USER()'], { login: 'bob+my01', password: BOB_PASSWORD, tls });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'CURRENT_USER()\napp@%\n');
  }
});

test('refusals reach the client as clear errors, and nothing is recorded for them', async () => {
  const before = (await g.recordings()).length;
  const attempt = async (login: string, password = ALICE_PASSWORD) => {
    const r = await g.mariadb(['-e', 'SELECT 1'], { login, password });
    assert.notEqual(r.code, 0);
    return r.stderr;
  };
  assert.match(await attempt('alice+my01', 'wrong'), /ERROR 1045 \(28000\): Access denied for user 'alice\+my01'/);
  assert.match(await attempt('nobody+my01', 'wrong'), /ERROR 1045 \(28000\): Access denied for user 'nobody\+my01'/);
  assert.match(await attempt('bob+my01', 'wrong'), /ERROR 1045 \(28000\): Access denied for user 'bob\+my01'/);
  assert.match(await attempt('alice+nothere'), /ERROR 1045 \(28000\): recgate: there is no target named nothere/);
  assert.match(await attempt('alice+other'), /ERROR 1045 \(28000\): recgate: you are not allowed to reach other/);
  assert.match(await attempt('alice+down01'), /ERROR 1105 \(HY000\): recgate: cannot reach down01: connection refused/);
  assert.match(await attempt('alice+badpw01'), /ERROR 1045 \(28000\): recgate: badpw01 refused the gateway's login/);
  assert.equal((await g.recordings()).length, before);
  assert.doesNotMatch(g.log, new RegExp(`${ALICE_PASSWORD}|${BOB_PASSWORD}|${g.my.password}`));
});

test('malformed packets close that connection only; the gateway serves others', async () => {
  const answer = await new Promise<Buffer>((resolve) => {
    const s = connect(g.port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => {
      got.push(d);
      // After the greeting: a packet claiming 16 MiB during the login.
      if (got.length === 1) s.write(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x00]));
    });
    s.on('close', () => resolve(Buffer.concat(got)));
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), 10_000).unref();
  });
  assert.match(answer.toString('latin1'), /08S01recgate: bad handshake/);
  const ok = await g.mariadb(['-e', 'SELECT 42 AS answer']);
  assert.equal(ok.stdout, 'answer\n42\n');
});

test('an operator terminates a session: the client shows the message and the recording says why', async () => {
  const before = (await g.recordings()).length;
  const child = g.mariadb(['-e', 'SELECT SLEEP(30)']);
  let id: string | undefined;
  for (let i = 0; i < 100 && id === undefined; i++) {
    const list = JSON.parse((await g.home.cli(['sessions', 'list', '--json'])).stdout) as { id: string }[];
    id = list[0]?.id;
    if (id === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(id);
  const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Database maintenance: reconnect after 18:00']);
  assert.equal(t.code, 0, t.stderr);
  const r = await child;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Database maintenance: reconnect after 18:00/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'terminated');
});

test('mysql2 with prepared statements works, and the bound parameters are recorded', async () => {
  const mysql = (await import('mysql2/promise')).default;
  const before = (await g.recordings()).length;
  const c = await mysql.createConnection({ host: '127.0.0.1', port: g.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
  const [sum] = await c.execute('SELECT ? + ? AS s', [40, 2]);
  assert.equal(Number((sum as { s: number }[])[0]!.s), 42);
  const [greeting] = await c.execute('SELECT CONCAT(?, ?) AS g', ['hello, ', 'world']);
  assert.equal((greeting as { g: string }[])[0]!.g, 'hello, world');
  const [nulls] = await c.execute('SELECT ? IS NULL AS n', [null]);
  assert.equal(Number((nulls as { n: number }[])[0]!.n), 1);
  await c.end();

  const rec = await g.endedRecording(before);
  const files = await g.exportRecording(rec.id);
  const queries = files
    .get(`${rec.id}.events.jsonl`)!
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e['type'] === 'query');
  assert.deepEqual(queries.find((q) => q['text'] === 'SELECT ? + ? AS s')?.['params'], ['40', '2']);
  assert.deepEqual(queries.find((q) => q['text'] === 'SELECT CONCAT(?, ?) AS g')?.['params'], ['hello, ', 'world']);
  assert.deepEqual(queries.find((q) => q['text'] === 'SELECT ? IS NULL AS n')?.['params'], [null]);
});

test('garbage after login ends that connection only; the gateway serves others', async () => {
  const mysql = (await import('mysql2/promise')).default;
  for (const garbage of [
    // A packet of a command the protocol does not have.
    Buffer.from([0x01, 0x00, 0x00, 0x00, 0xee]),
    // A truncated COM_STMT_EXECUTE for a statement that does not exist.
    Buffer.from([0x05, 0x00, 0x00, 0x00, 0x17, 0x01, 0x00, 0x00, 0x00]),
    // Random bytes: the target sees a nonsense packet and the framer a nonsense length.
    Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff)),
  ]) {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: g.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
    const stream = (c as unknown as { connection: { stream: import('node:net').Socket } }).connection.stream;
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    c.on('error', () => undefined);
    stream.write(garbage);
    await Promise.race([closed, c.query('SELECT 1').then(() => undefined, () => undefined)]);
    c.destroy();
  }
  const ok = await g.mariadb(['-e', 'SELECT 7 AS still']);
  assert.equal(ok.stdout, 'still\n7\n');
  // Nothing the gateway did not expect: no error-level log line.
  assert.doesNotMatch(g.log, /"level":50/);
});
