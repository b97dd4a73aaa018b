/**
 * Connectors that choose their paths by the server they are told of: the
 * gateway greets as the target's family and version, so the mariadb npm
 * connector takes its MariaDB paths (bulk batch, metadata caching) and
 * MariaDB Connector/J reports MariaDB and honours setQueryTimeout; the
 * recording follows what they send.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as mariadb from 'mariadb';
import { connectorJ } from '../fixtures/java/connector-j.js';
import { ALICE_PASSWORD, MyGateway } from '../fixtures/my-gateway.js';
import { RogueMysql } from '../fixtures/rogue-mysql.js';

let g: MyGateway;

before(async () => {
  g = await MyGateway.start();
});
after(async () => {
  await g?.stop();
});

const direct = () => mariadb.createConnection({ host: '127.0.0.1', port: g.my.port, user: g.my.user, password: g.my.password, database: 'app' });
const gateway = () => mariadb.createConnection({ host: '127.0.0.1', port: g.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });

test('the mariadb connector sees the MariaDB target through the gateway, and its 5000-row batch is recorded row by row', async () => {
  const d = await direct();
  const expected = d.info!.serverVersion;
  await d.query('CREATE OR REPLACE TABLE batch_items (id INT PRIMARY KEY, name VARCHAR(40), note VARCHAR(20) NULL)');
  await d.end();
  const before = (await g.recordings()).length;
  const c = await gateway();
  try {
    assert.equal(c.info!.serverVersion.raw, expected.raw);
    assert.equal(c.info!.serverVersion.mariaDb, true);
    const rows = Array.from({ length: 5000 }, (_, i) => [i + 1, `item ${i + 1}`, i % 2 === 0 ? null : 'odd']);
    const r = (await c.batch('INSERT INTO batch_items VALUES (?, ?, ?)', rows)) as { affectedRows: number };
    assert.equal(r.affectedRows, 5000);
    // A prepared statement run twice: with metadata caching in force, both answers come without metadata (the columns came with the prepare).
    for (const n of [1, 2]) {
      const got = (await c.execute('SELECT id, name FROM batch_items WHERE id = ?', [n])) as { id: number; name: string }[];
      assert.deepEqual([...got], [{ id: n, name: `item ${n}` }]);
    }
  } finally {
    await c.end();
  }
  const check = await g.my.mariadb(['-N', '-e', "SELECT COUNT(*), SUM(note IS NULL), MAX(name) FROM batch_items"]);
  assert.equal(check.stdout, '5000\t2500\titem 999\n');
  const rec = await g.endedRecording(before);
  const events = await g.events(rec.id);
  const bulk = events.filter((e) => e['type'] === 'query' && e['bulkRows'] !== undefined);
  assert.equal(bulk.length, 5000, 'one event per row of the batch');
  assert.equal(bulk[0]!['text'], 'INSERT INTO batch_items VALUES (?, ?, ?)');
  assert.deepEqual(bulk[0]!['params'], ['1', 'item 1', null]);
  assert.deepEqual(bulk[4999]!['params'], ['5000', 'item 5000', 'odd']);
  assert.equal(bulk[4999]!['rows'], 5000);
  const selects = events.filter((e) => e['type'] === 'query' && e['text'] === 'SELECT id, name FROM batch_items WHERE id = ?');
  assert.deepEqual(
    selects.map((e) => [e['params'], e['rows']]),
    [
      [['1'], 1],
      [['2'], 1],
    ],
  );
  // The second answer's row is read with the first answer's column definitions.
  const tty = (await g.exportRecording(rec.id)).get(`${rec.id}.tys`)!.toString('utf8');
  assert.match(tty, /MariaDB \[app\]> SELECT id, name FROM batch_items WHERE id = \?/);
  assert.match(tty, / 1 \| item 1\b/);
  assert.match(tty, / 2 \| item 2\b/);
  assert.match(tty, /bulk execute: 5000 rows of parameters/);
});

test('Connector/J reports MariaDB, and setQueryTimeout(1) stops its statement within about two seconds', async () => {
  const product = await connectorJ(g.port, 'alice+my01', ALICE_PASSWORD, 'product');
  assert.equal(product.get('product'), 'MariaDB');
  const timeout = await connectorJ(g.port, 'alice+my01', ALICE_PASSWORD, 'timeout');
  assert.match(timeout.get('result')!, /^error /);
  const elapsed = Number(timeout.get('elapsedMs'));
  assert.ok(elapsed < 2500, `the statement ran ${elapsed} ms`);
  assert.equal(timeout.get('after'), '42');
  console.log(`# Connector/J setQueryTimeout(1) through the gateway: stopped after ${elapsed} ms (${timeout.get('result')})`);
});

test('on a listener mixing MySQL and MariaDB targets the greeting is neutral, and Connector/J times out by a KILL the gateway translates', async () => {
  // A server that greets as MySQL beside the MariaDB targets.
  const mysqlLike = await RogueMysql.start('/nonexistent');
  const mixed = await MyGateway.start({ extraTargets: [{ name: 'mysql01', port: mysqlLike.port }] });
  try {
    const c = await mariadb.createConnection({ host: '127.0.0.1', port: mixed.port, user: 'alice+my01', password: ALICE_PASSWORD, database: 'app' });
    try {
      assert.equal(c.info!.serverVersion.raw, '8.0.0-recgate');
      assert.equal(c.info!.serverVersion.mariaDb, false);
    } finally {
      await c.end();
    }
    const product = await connectorJ(mixed.port, 'alice+my01', ALICE_PASSWORD, 'product');
    assert.equal(product.get('product'), 'MySQL');
    const before = (await mixed.recordings()).length;
    const timeout = await connectorJ(mixed.port, 'alice+my01', ALICE_PASSWORD, 'timeout');
    assert.match(timeout.get('result')!, /^error /);
    const elapsed = Number(timeout.get('elapsedMs'));
    assert.ok(elapsed < 2500, `the statement ran ${elapsed} ms`);
    assert.equal(timeout.get('after'), '42');
    console.log(`# Connector/J setQueryTimeout(1) through a mixed listener (KILL QUERY): stopped after ${elapsed} ms (${timeout.get('result')})`);
    await mixed.endedRecording(before + 1);
    const recs = (await mixed.recordings()).slice(before);
    const events = (
      await Promise.all(
        recs.map(async (r) => {
          const files = await mixed.exportRecording(r.id);
          return files.get(`${r.id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        }),
      )
    ).flat();
    assert.ok(events.some((e) => e['type'] === 'cancel' && e['targetThread'] !== undefined), 'the KILL was translated');
  } finally {
    await mixed.stop();
    await mysqlLike.stop();
  }
});
