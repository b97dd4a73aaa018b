/**
 * The MySQL proxy end to end: a real MariaDB (spawned by the test) as the
 * target, the real mariadb client as the person, the gateway as
 * `recgate start`. Malformed input from either side is in
 * mysql-bad-input.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { ROOT, run } from '../fixtures/gateway-env.js';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { scriptreplay } from '../fixtures/export/scriptreplay.js';
import { ALICE_PASSWORD, BOB_PASSWORD, MyGateway } from '../fixtures/my-gateway.js';
import { assertDurationsToTheMicrosecond } from '../fixtures/query-durations.js';

let g: MyGateway;

before(async () => {
  // Room for statements and rows of several packets (over 16 MiB).
  g = await MyGateway.start({ conf: ['max_allowed_packet=64M'] });
});
after(async () => {
  await g?.stop();
});

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
  // Every target of this listener is MariaDB: the gateway greets as MariaDB (metadata caching
  // offered), and the mariadb client's prompt says MariaDB.
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

test('a statement\'s duration is measured to the microsecond: a quick one takes a fraction of a millisecond, a sleep its length', async () => {
  const before = (await g.recordings()).length;
  const got = await g.mariadb(['-e', 'SELECT 1; SELECT 2; SELECT 3; SELECT SLEEP(0.05)']);
  assert.equal(got.code, 0, got.stderr);
  const rec = await g.endedRecording(before);
  assertDurationsToTheMicrosecond(await g.events(rec.id), ['SELECT 1', 'SELECT 2', 'SELECT 3'], 'SELECT SLEEP(0.05)', 50);
});

test('caching_sha2_password full authentication, with RSA outside TLS and in clear inside it', async () => {
  for (const tls of [false, true]) {
    const r = await g.mariadb(['-e', 'SELECT CURRENT_USER()'], { login: 'bob+my01', password: BOB_PASSWORD, tls });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'CURRENT_USER()\napp@%\n');
  }
});

test('a target account of MariaDB\'s ed25519 plugin: the gateway signs in with client_ed25519 and the session is recorded', async () => {
  const r = await g.mariadb(['-N', '-e', 'SELECT CURRENT_USER()'], { login: 'alice+ed01' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'app_ed25519@%\n');
  const recorded = (await g.recordings()).filter((rec) => rec.target === 'ed01');
  assert.equal(recorded.length, 1);
  assert.equal(recorded[0]!.user, 'alice');
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
  // An unknown target and one alice may not reach read alike.
  assert.match(await attempt('alice+nothere'), /ERROR 1045 \(28000\): recgate: there is no target named nothere that you may reach$/m);
  assert.match(await attempt('alice+other'), /ERROR 1045 \(28000\): recgate: there is no target named other that you may reach$/m);
  assert.match(await attempt('alice+down01'), /ERROR 1105 \(HY000\): recgate: cannot reach down01: connection refused/);
  assert.match(await attempt('alice+badpw01'), /ERROR 1045 \(28000\): recgate: badpw01 refused the gateway's login/);
  assert.equal((await g.recordings()).length, before);
  assert.doesNotMatch(g.log, new RegExp(`${ALICE_PASSWORD}|${BOB_PASSWORD}|${g.my.password}`));
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
  // Terminated while the statement runs on the target: it is recorded, cut short.
  for (let i = 0; i < 100; i++) {
    const running = await g.my.mariadb(['-N', '-e', "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(30)'"], { user: 'root' });
    if (running.stdout.trim() === '1') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const t = await g.home.cli(['sessions', 'terminate', id, '--message', 'Database maintenance: reconnect after 18:00']);
  assert.equal(t.code, 0, t.stderr);
  const r = await child;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Database maintenance: reconnect after 18:00/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'terminated');
  const sleep = (await g.events(rec.id)).find((e) => e['type'] === 'query');
  assert.equal(sleep?.['text'], 'SELECT SLEEP(30)');
  assert.deepEqual(sleep?.['error'], { message: 'the session ended before the answer was complete' });
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

test('LOAD DATA LOCAL INFILE reaches only a target that allows it, and is recorded with its byte count', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-infile-'));
  try {
    const file = join(dir, 'items.csv');
    // About 1.3 MB: more packets than there are sequence ids, so they wrap through 0.
    const csv = Array.from({ length: 50_000 }, (_, i) => `${100_000 + i},loaded ${i},${i}.50\n`).join('');
    await writeFile(file, csv);
    const load = `LOAD DATA LOCAL INFILE '${file}' INTO TABLE loaded FIELDS TERMINATED BY ','`;
    await g.mariadb(['-e', 'CREATE TABLE loaded (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(8,2))']);

    // my01 does not allow it: the target is told the client cannot send files, and refuses.
    const refused = await g.mariadb(['--local-infile=1', '-e', load]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ERROR 4166 \(HY000\) at line 1: The used command is not allowed because the MariaDB server or client has disabled the local infile capability/);

    const before = (await g.recordings()).length;
    const r = await g.mariadb(['--local-infile=1', '-e', `${load}; SELECT COUNT(*) AS n FROM loaded`], { login: 'alice+files01' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'n\n50000\n');
    const rec = await g.endedRecording(before);
    const events = await g.events(rec.id);
    const loaded = events.find((e) => e['type'] === 'load-data-local');
    assert.deepEqual([loaded?.['file'], loaded?.['bytes']], [file, Buffer.byteLength(csv)]);
    assert.equal(events.find((e) => e['type'] === 'query' && e['text'] === load)?.['rows'], 50_000);
    assert.equal(events.find((e) => e['type'] === 'query' && e['text'] === 'SELECT COUNT(*) AS n FROM loaded')?.['rows'], 1);
  } finally {
    await g.mariadb(['-e', 'DROP TABLE IF EXISTS loaded']);
    await rm(dir, { recursive: true, force: true });
  }
});

test('COM_CHANGE_USER is refused by the gateway; the connection goes on as before', async () => {
  const mysql = (await import('mysql2/promise')).default;
  const before = (await g.recordings()).length;
  const c = await mysql.createConnection({ host: '127.0.0.1', port: g.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
  await assert.rejects(c.changeUser({ user: 'root', password: '' }), (err: { errno?: number; sqlState?: string; message: string }) => {
    assert.equal(err.errno, 1227);
    assert.equal(err.sqlState, '42000');
    assert.match(err.message, /recgate: COM_CHANGE_USER is not allowed through the gateway/);
    return true;
  });
  const [rows] = await c.query('SELECT CURRENT_USER() AS who');
  assert.equal((rows as { who: string }[])[0]!.who, 'app@%');
  await c.end();
  const rec = await g.endedRecording(before);
  const events = await g.events(rec.id);
  assert.ok(events.some((e) => e['type'] === 'command-refused' && e['command'] === 'COM_CHANGE_USER'));
});

test('rows read through a server-side cursor (Connector/C, COM_STMT_FETCH) are the statement\'s result in the recording', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-cursor-'));
  try {
    const cursor = join(dir, 'cursor');
    const config = await run('mariadb_config', ['--cflags', '--libs']);
    const cc = await run('cc', ['-O2', '-o', cursor, join(ROOT, 'test/clients/cursor.c'), ...config.stdout.trim().split(/\s+/)]);
    assert.equal(cc.code, 0, cc.stderr);
    const query = "SELECT seq, CONCAT('row ', seq) FROM seq_1_to_250";
    const direct = await run(cursor, ['127.0.0.1', String(g.my.port), g.my.user, g.my.password, 'app', query, '7']);
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stdout, /^1\trow 1\n[^]*250\trow 250\nrows 250\n$/);

    const before = (await g.recordings()).length;
    const through = await run(cursor, ['127.0.0.1', String(g.port), 'alice+my01', ALICE_PASSWORD, 'app', query, '7']);
    assert.equal(through.code, 0, through.stderr);
    assert.equal(through.stdout, direct.stdout);

    const rec = await g.endedRecording(before);
    const files = await g.exportRecording(rec.id);
    const replay = (await scriptreplay({ 'r.tys': files.get(`${rec.id}.tys`)!, 'r.tm': files.get(`${rec.id}.tm`)! }, ['-t', 'r.tm', '-s', 'r.tys'])).toString('utf8');
    assert.match(replay, /MariaDB \[app\]> SELECT seq, CONCAT\('row ', seq\) FROM seq_1_to_250/);
    assert.match(replay, /\s+100 \| row 100\r?\n\(250 rows; first 100 shown\)/);
    const queries = (await g.events(rec.id)).filter((e) => e['type'] === 'query');
    assert.deepEqual(
      queries.map((q) => [q['text'], q['rows']]),
      [[query, 250]],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a statement and a row over 16 MiB, several packets each, pass whole and are recorded cut', async () => {
  const body = 'recgate '.repeat(2_700_000); // 21.6 MB
  const md5 = createHash('md5').update(body).digest('hex');
  const script = `CREATE TABLE big (id INT PRIMARY KEY, body LONGTEXT);
INSERT INTO big VALUES (1, '${body}');
SELECT id, LENGTH(body) AS n, MD5(body) AS md5 FROM big;
SELECT body FROM big;
DROP TABLE big;
`;
  const before = (await g.recordings()).length;
  const r = await g.mariadb(['--max-allowed-packet=64M'], { input: script });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `id\tn\tmd5\n1\t${body.length}\t${md5}\nbody\n${body}\n`);
  const rec = await g.endedRecording(before);
  const queries = (await g.events(rec.id)).filter((e) => e['type'] === 'query');
  const insert = queries.find((q) => String(q['text']).startsWith('INSERT INTO big'));
  assert.equal(insert?.['rows'], 1);
  assert.equal(insert?.['truncated'], true);
  assert.equal(queries.find((q) => q['text'] === 'SELECT body FROM big')?.['rows'], 1);
});

test('a client asking for the compressed protocol gets the plain one, which the gateway parses', async () => {
  const r = await g.mariadb(['--compress', '-e', 'SELECT 6 * 7 AS answer']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'answer\n42\n');
});

test('mariadb-dump through the gateway gives the same dump as directly, and the dump restores through it', async () => {
  await g.my.mariadb([
    '-e',
    `CREATE TABLE dump_src (id INT PRIMARY KEY, name VARCHAR(40), digest BLOB, at DATETIME(3));
     INSERT INTO dump_src SELECT seq, CONCAT('name ', seq), UNHEX(MD5(seq)), '2026-01-02 03:04:05.678' FROM seq_1_to_20000;
     CREATE VIEW dump_view AS SELECT id, name FROM dump_src WHERE id < 10;`,
  ]);
  const checksum = async (): Promise<string> => (await g.my.mariadb(['-N', '-e', 'CHECKSUM TABLE dump_src'])).stdout;
  const original = await checksum();
  const dump = (port: number, user: string, password: string): ReturnType<typeof run> =>
    run('mariadb-dump', ['--no-defaults', '--protocol=TCP', '--host=127.0.0.1', `--port=${port}`, `--user=${user}`, `--password=${password}`, '--skip-ssl', '--skip-dump-date', '--single-transaction', 'app', 'dump_src', 'dump_view']);
  // The header names the host and server the dump came from; the rest must be the same, byte for byte.
  const body = (bytes: Buffer): string => bytes.toString('latin1').replace(/^-- (Host:|Server version).*\n/gm, '');
  const direct = await dump(g.my.port, g.my.user, g.my.password);
  assert.equal(direct.code, 0, direct.stderr);
  const before = (await g.recordings()).length;
  const through = await dump(g.port, 'alice+my01', ALICE_PASSWORD);
  assert.equal(through.code, 0, through.stderr);
  assert.ok(through.stdoutBytes.length > 1_000_000);
  assert.ok(body(through.stdoutBytes) === body(direct.stdoutBytes), 'the dumps differ');
  const rec = await g.endedRecording(before);
  const select = (await g.events(rec.id)).find((e) => e['type'] === 'query' && /^SELECT .* FROM `dump_src`$/.test(String(e['text'])));
  assert.equal(select?.['rows'], 20000);

  await g.my.mariadb(['-e', 'DROP VIEW dump_view; DROP TABLE dump_src']);
  const restore = await g.mariadb([], { input: through.stdoutBytes });
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(await checksum(), original);
});

test('sysbench, four threads with prepared statements: every statement is recorded, as many as sysbench counts', async () => {
  const args = [
    'oltp_write_only',
    '--db-driver=mysql',
    '--mysql-host=127.0.0.1',
    `--mysql-port=${g.port}`,
    '--mysql-user=alice+my01',
    `--mysql-password=${ALICE_PASSWORD}`,
    '--mysql-db=app',
    '--mysql-ssl=off',
    '--tables=2',
    '--table-size=1000',
    '--threads=4',
    '--events=200',
    '--time=0',
    '--db-ps-mode=auto',
  ];
  const prepare = await run('sysbench', [...args, 'prepare']);
  assert.equal(prepare.code, 0, prepare.stderr || prepare.stdout);
  const before = (await g.recordings()).length;
  const bench = await run('sysbench', [...args, 'run']);
  assert.equal(bench.code, 0, bench.stderr || bench.stdout);
  const counted = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(bench.stdout)?.[1]);
  assert.match(bench.stdout, /transactions:\s+200 /);

  let recs = await g.recordings();
  for (let i = 0; i < 100 && (recs.length < before + 4 || recs.slice(before).some((r) => r.status === 'recording')); i++) {
    await new Promise((r) => setTimeout(r, 100));
    recs = await g.recordings();
  }
  // sysbench counts a statement that failed as an ignored error, not as a write; the recording has both.
  let writes = 0;
  let failedWrites = 0;
  let other = 0;
  for (const rec of recs.slice(before)) {
    for (const e of await g.events(rec.id)) {
      if (e['type'] !== 'query') continue;
      const text = String(e['text']);
      if (/^(UPDATE|DELETE|INSERT) /.test(text)) {
        assert.ok(Array.isArray(e['params']) && e['params'].length > 0, `no parameters recorded for ${text}`);
        if (!e['error']) writes++;
        else {
          failedWrites++;
          // What sysbench retries: deadlocks and lock wait timeouts between its threads.
          assert.match((e['error'] as { code: string }).code, /^(1213|1205) /);
        }
      } else if (/^(BEGIN|COMMIT)$/.test(text)) {
        assert.equal(e['error'], undefined);
        other++;
      }
    }
  }
  assert.equal(writes, counted('write'));
  assert.equal(failedWrites, counted('ignored errors'));
  assert.equal(other, counted('other'));
});
