/**
 * The MySQL proxy against a target that accepts TLS connections only
 * (require_secure_transport), reached with `tls: verify-full` against its
 * CA, and a session limit: an idle session is closed with an ERR packet the
 * client prints when it next speaks, while a statement running longer than
 * the limit is not inactivity. Metadata caching is in force over TLS too: a
 * prepared statement's executes are answered without the column definitions
 * its prepare sent.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as mariadb from 'mariadb';
import { scriptreplay } from '../fixtures/export/scriptreplay.js';
import { ALICE_PASSWORD, MyGateway } from '../fixtures/my-gateway.js';
import { exportedEvents } from '../fixtures/zip.js';

let g: MyGateway;

before(async () => {
  g = await MyGateway.start({ tls: true, target: ['limits: { idleTimeout: 3s }'] });
});
after(() => g?.stop());

test('the gateway logs in to a TLS-only target with verify-full; the session on the target is encrypted', async () => {
  const r = await g.mariadb(['-e', "SELECT VARIABLE_VALUE <> '' AS encrypted FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'encrypted\n1\n');
});

test('an idle session is closed with a message the client prints, and the recording says why', async () => {
  const before = (await g.recordings()).length;
  const r = await g.mariadb([], { input: 'SELECT 1 AS first;\n\\! sleep 4.5\nSELECT 2 AS second;\n' });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /first\n1\n/);
  assert.match(r.stderr, /recgate: session closed after 3 seconds of inactivity/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'idle-timeout');
});

test('a statement that runs longer than the idle timeout is not inactivity; the session goes on', async () => {
  const before = (await g.recordings()).length;
  const r = await g.mariadb(['-N', '-e', 'SELECT SLEEP(4.5); SELECT 2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '0\n2\n');
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'closed');
});

test('a prepared statement executed twice: the client and the recording have both executions\' rows, each answered without metadata', async () => {
  const query = "SELECT seq AS id, CONCAT('row ', seq) AS name FROM seq_1_to_1000 WHERE seq BETWEEN ? AND ?";
  const runs: [number, number][] = [
    [1, 3],
    [501, 504],
  ];
  const before = (await g.recordings()).length;
  const c = await mariadb.createConnection({ host: '127.0.0.1', port: g.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
  try {
    // Prepared once, executed twice: the target sends the column definitions with the prepare only.
    for (const [from, to] of runs) {
      const got = (await c.execute(query, [from, to])) as { id: bigint | number; name: string }[];
      const want = Array.from({ length: to - from + 1 }, (_, i) => [from + i, `row ${from + i}`]);
      assert.deepEqual(got.map((r) => [Number(r.id), r.name]), want);
    }
  } finally {
    await c.end();
  }
  const rec = await g.endedRecording(before);
  const files = await g.exportRecording(rec.id);
  const queries = exportedEvents(files).filter((e) => e['type'] === 'query' && e['text'] === query);
  assert.deepEqual(
    queries.map((q) => [q['params'], q['rows']]),
    [
      [['1', '3'], 3],
      [['501', '504'], 4],
    ],
  );
  const replay = (await scriptreplay({ 'r.tys': files.get(`${rec.id}.tys`)!, 'r.tm': files.get(`${rec.id}.tm`)! }, ['-t', 'r.tm', '-s', 'r.tys'])).toString('utf8');
  // Both executions' rows as the client got them: binary rows read with the prepare's definitions.
  assert.match(replay, /-- \$1 = '1', \$2 = '3'\r?\n id \| name\s*\n-+\+-+\r?\n  1 \| row 1\r?\n  2 \| row 2\r?\n  3 \| row 3\r?\n\(3 rows\)/);
  assert.match(replay, /-- \$1 = '501', \$2 = '504'\r?\n id  \|  name\s*\n-+\+-+\r?\n 501 \| row 501\r?\n 502 \| row 502\r?\n 503 \| row 503\r?\n 504 \| row 504\r?\n\(4 rows\)/);
});
