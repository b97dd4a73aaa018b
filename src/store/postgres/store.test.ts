/**
 * The PostgreSQL store against a real PostgreSQL server: the shared store
 * contract, then what only a shared store has to prove: tails on another
 * node, one log chain from concurrent nodes, recovery scoped by node,
 * crypto-shredding order, refused duplicate/gap/forged chunks, and clear
 * errors without secrets when the connection breaks.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { Secret } from '../../config/secret.js';
import { silentLogger } from '../../log.js';
import { seedRecordings, startStoreDatabases, superuserQuery, type StoreDatabases } from '../../../test/fixtures/pg-store.js';
import { toBase64 } from '../../seal/encoding.js';
import { generateAuditorKey, type AuditorKeyPair } from '../../seal/keys.js';
import { openRecordKey } from '../../seal/opener.js';
import { nativeSodium } from '../../seal/sodium-native.js';
import type { Sodium } from '../../seal/sodium.js';
import { rotateRecordings } from '../rotation.js';
import { bytes, checkpoint, collect, logEntry, manifest, storeContract } from '../store-contract.js';
import { PostgresStore } from './store.js';
import { insertGroups } from './writes.js';

let dbs: StoreDatabases;
before(async () => {
  dbs = await startStoreDatabases();
});
after(() => dbs?.stop());

const open = (url: Secret, nodeId = 'node-a', tailPollMs?: number): PostgresStore =>
  new PostgresStore(url, { nodeId, log: silentLogger(), ...(tailPollMs === undefined ? {} : { tailPollMs }) });

storeContract('postgres', async () => {
  const { url } = await dbs.create();
  return { open: () => open(url) };
});

/** Runs SQL in the store's database as the superuser (inspecting rows, terminating backends). */
const sql = (database: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> => superuserQuery(dbs.server, database, text, values);

const end = { endedAt: '2026-05-01T10:00:00.000Z', endReason: 'closed' };

test('a tail on another node sees each chunk within a second of its commit, by NOTIFY alone', async () => {
  const { url } = await dbs.create();
  // The safety-net poll is pushed out of reach: only the notice can bring the chunks in time.
  const nodeA = open(url, 'node-a');
  const nodeB = open(url, 'node-b', 60_000);
  try {
    const m = manifest();
    await nodeA.create(m);
    const arrivals: { index: number; at: number }[] = [];
    const following = (async () => {
      for await (const c of nodeB.tail(m.id, 1)) arrivals.push({ index: c.index, at: Date.now() });
    })();
    const written: number[] = [];
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await nodeA.appendChunks(m.id, 1, i, [bytes(i)]);
      written.push(Date.now());
      const deadline = Date.now() + 1_000;
      while (arrivals.length <= i && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(arrivals.length, i + 1, `chunk ${i} reached the other node within a second`);
    }
    await nodeA.finalize(m.id, checkpoint(m.id, 0), end);
    await following;
    assert.deepEqual(arrivals.map((a) => a.index), [0, 1, 2, 3]);
  } finally {
    await Promise.all([nodeA.close(), nodeB.close()]);
  }
});

test('a tail keeps following after its listening connection is killed', async () => {
  const { name, url } = await dbs.create();
  const nodeA = open(url, 'node-a');
  const nodeB = open(url, 'node-b', 60_000);
  try {
    const m = manifest();
    await nodeA.create(m);
    const seen: number[] = [];
    const following = (async () => {
      for await (const c of nodeB.tail(m.id, 1)) seen.push(c.index);
    })();
    await nodeA.appendChunks(m.id, 1, 0, [bytes(0)]);
    while (seen.length < 1) await new Promise((r) => setTimeout(r, 10));
    const listeners = async (): Promise<number[]> =>
      (await sql(name, "SELECT pid FROM pg_stat_activity WHERE application_name = 'recgate listener' AND datname = $1", [name])).rows.map((r) => r.pid as number);
    const [old] = await listeners();
    assert.ok(old, 'the tail listens on a connection of its own');
    await sql(name, 'SELECT pg_terminate_backend($1)', [old]);
    // A chunk lands while the listener is away; the reconnect wakes the tail to read it.
    await nodeA.appendChunks(m.id, 1, 1, [bytes(1)]);
    const deadline = Date.now() + 5_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, [0, 1]);
    const now = await listeners();
    assert.equal(now.length, 1);
    assert.notEqual(now[0], old);
    await nodeA.appendChunks(m.id, 1, 2, [bytes(2)]);
    await nodeA.finalize(m.id, checkpoint(m.id, 0), end);
    await following;
    assert.deepEqual(seen, [0, 1, 2]);
  } finally {
    await Promise.all([nodeA.close(), nodeB.close()]);
  }
});

test('two nodes appending to the log at once form one chain', async () => {
  const { url } = await dbs.create();
  const nodes = [open(url, 'node-a'), open(url, 'node-b')];
  try {
    await Promise.all(
      nodes.flatMap((node, n) => Array.from({ length: 15 }, (_, i) => node.appendLog((last) => logEntry(last, `node${n}-${i}`)))),
    );
    const entries = await collect(nodes[1]!.readLog());
    assert.equal(entries.length, 30);
    entries.forEach((e, i) => {
      assert.equal(e.seq, i);
      assert.equal(e.prev, i === 0 ? 'genesis' : `after ${i - 1}`);
    });
    assert.equal(new Set(entries.map((e) => e.recording)).size, 30);
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
});

test('recovery takes this node\'s recordings only; recoverNodes takes a dead node\'s, once, whoever asks', async () => {
  const { url } = await dbs.create();
  const deadA = open(url, 'node-a');
  const liveB = open(url, 'node-b');
  const [a1, a2, b1] = [manifest('alice'), manifest('alice'), manifest('bob')];
  await deadA.create(a1);
  await deadA.create(a2);
  await deadA.appendChunks(a1.id, 1, 0, [bytes(1, 2)]);
  await liveB.create(b1);
  await deadA.close();
  const peerC = open(url, 'node-c');
  try {
    assert.deepEqual(await liveB.recoverInterrupted(), [], 'node B\'s own live recording is not taken, nor node A\'s');
    assert.equal((await liveB.get(a1.id))?.status, 'recording');
    const [byB, byC] = await Promise.all([liveB.recoverNodes(['node-a']), peerC.recoverNodes(['node-a'])]);
    assert.deepEqual([...byB, ...byC].sort(), [a1.id, a2.id].sort(), 'each recording recovered exactly once');
    const s = await liveB.get(a1.id);
    assert.equal(s?.status, 'interrupted');
    assert.equal(s?.bytes, 2);
    assert.equal(s?.endedAt, a1.meta.startedAt, 'no checkpoint: it ends where it started');
    assert.equal((await liveB.get(b1.id))?.status, 'recording');
    // Node A restarts: nothing of its own is left to recover.
    const restartedA = open(url, 'node-a');
    assert.deepEqual(await restartedA.recoverInterrupted(), []);
    await restartedA.close();
  } finally {
    await Promise.all([liveB.close(), peerC.close()]);
  }
});

test('delete destroys the sealed keys in a committed step before the chunks are touched', async () => {
  const { name, url } = await dbs.create();
  const store = open(url);
  try {
    const m = manifest();
    m.recipients = [
      { kid: '0011223344556677', sealedKey: 'c2VhbGVkIGZvciBvbmU=' },
      { kid: '8899aabbccddeeff', name: 'second', sealedKey: 'c2VhbGVkIGZvciB0d28=' },
    ];
    await store.create(m);
    await store.appendChunks(m.id, 1, 0, [bytes(1), bytes(2)]);
    await store.finalize(m.id, checkpoint(m.id, 0), end);
    const count = async (table: string): Promise<number> =>
      Number((await sql(name, `SELECT count(*) FROM ${table} WHERE ${table === 'recordings' ? 'id' : 'recording'} = $1`, [m.id])).rows[0].count);
    assert.equal(await count('recording_keys'), 2);
    const stored = (await sql(name, 'SELECT manifest::text AS m FROM recordings WHERE id = $1', [m.id])).rows[0].m as string;
    assert.doesNotMatch(stored, /sealedKey|c2VhbGVk/, 'no sealed key outside recording_keys');

    // The second step fails (a trigger refuses to delete chunks): the first stays done.
    await sql(name, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'chunks are kept'; END $$;
      CREATE TRIGGER keep_chunks BEFORE DELETE ON chunks FOR EACH ROW EXECUTE FUNCTION refuse()`);
    await assert.rejects(store.delete(m.id), /deleting recording .* failed: chunks are kept/);
    assert.equal(await count('recording_keys'), 0, 'the sealed keys are gone');
    assert.equal(await count('chunks'), 2, 'the chunks are still there');
    assert.deepEqual((await store.manifest(m.id)).recipients, []);
    assert.deepEqual((await store.get(m.id))?.recipients, []);

    await sql(name, 'DROP TRIGGER keep_chunks ON chunks');
    await store.delete(m.id);
    for (const table of ['recordings', 'recording_keys', 'streams', 'checkpoints', 'chunks']) assert.equal(await count(table), 0, table);
  } finally {
    await store.close();
  }
});

test('a chunk sent again is accepted only when identical; a different one, a gap or an unknown stream is refused', async () => {
  const { name, url } = await dbs.create();
  const store = open(url);
  try {
    const m = manifest();
    await store.create(m);
    await store.appendChunks(m.id, 1, 0, [bytes(1), bytes(2)]);
    await store.appendChunks(m.id, 1, 1, [bytes(2), bytes(3)]); // chunk 1 again, identical, then a new one
    await store.appendChunks(m.id, 1, 0, [bytes(1)]);
    await assert.rejects(store.appendChunks(m.id, 1, 2, [bytes(9)]), { code: 'RG_ERR_STORE', message: /already holds a different chunk 2/ });
    await store.appendChunks(m.id, 1, 1, [bytes(2), bytes(3), bytes(4), bytes(5)]);
    await assert.rejects(store.appendChunks(m.id, 1, 7, [bytes(0)]), /expects chunk 5, got 7 \(a gap\)/);
    await assert.rejects(store.appendChunks(m.id, 9, 0, [bytes(0)]), /unknown stream 9/);
    assert.deepEqual((await collect(store.chunks(m.id, 1))).map((c) => [...c.data]), [[1], [2], [3], [4], [5]]);
    const rows = await sql(name, 'SELECT idx, data FROM chunks WHERE recording = $1 ORDER BY idx', [m.id]);
    assert.deepEqual(rows.rows.map((r) => [r.idx, [...(r.data as Buffer)]]), [[0, [1]], [1, [2]], [2, [3]], [3, [4]], [4, [5]]]);
    await store.checkpoint(m.id, checkpoint(m.id, 0));
    assert.equal((await store.get(m.id))?.bytes, 5);
    await store.finalize(m.id, checkpoint(m.id, 1), end);
    await assert.rejects(store.appendChunks(m.id, 1, 5, [bytes(6)]), /is complete, not open for writing/);
  } finally {
    await store.close();
  }
});

test('a connection killed mid-operation gives a clear error naming no secret, and the next operation works', async () => {
  const { name, url } = await dbs.create();
  const store = open(url);
  const blocker = new pg.Client({ connectionString: url.reveal() });
  try {
    const m = manifest();
    await store.create(m);
    // Another session holds the stream's row, so the append waits inside its transaction.
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM streams WHERE recording = $1 FOR UPDATE', [m.id]);
    const pending = store.appendChunks(m.id, 1, 0, [bytes(1)]).then(() => undefined, (e: unknown) => e);
    let victims: number[] = [];
    for (let i = 0; i < 200 && victims.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      victims = (await sql(name, "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'recgate' AND wait_event_type = 'Lock'", [name])).rows.map((r) => r.pid as number);
    }
    assert.equal(victims.length, 1, 'the append waits on the lock');
    await sql(name, 'SELECT pg_terminate_backend($1)', [victims[0]]);
    const err = (await pending) as Error & { code?: string };
    assert.ok(err, 'the append fails');
    assert.equal(err.code, 'RG_ERR_STORE');
    assert.match(err.message, new RegExp(`^PostgreSQL store 127\\.0\\.0\\.1:${dbs.server.port}/${name}: appending to recording ${m.id} failed: terminating connection`));
    assert.ok(!err.message.includes(dbs.server.password), 'no password in the message');
    assert.equal(store.health().state, 'down');
    await blocker.query('ROLLBACK');
    // Nothing of the failed append was kept; the same chunk goes in now.
    await store.appendChunks(m.id, 1, 0, [bytes(1)]);
    assert.equal(store.health().state, 'up');
    assert.deepEqual((await collect(store.chunks(m.id, 1))).map((c) => [...c.data]), [[1]]);
  } finally {
    await blocker.end().catch(() => undefined);
    await store.close();
  }
});

test('an unreachable server gives a clear error naming no secret', async () => {
  const secretPassword = 'hunter2-very-secret';
  const store = open(new Secret(`postgres://app:${secretPassword}@127.0.0.1:1/app`, 'test'));
  try {
    const err = (await store.list().then(() => undefined, (e: unknown) => e)) as Error;
    assert.match(err.message, /^PostgreSQL store 127\.0\.0\.1:1\/app: preparing the schema failed: connect ECONNREFUSED/);
    assert.ok(!err.message.includes(secretPassword) && !String(err.stack).includes(secretPassword));
    assert.equal(store.health().state, 'down');
    assert.ok(!JSON.stringify(store.health()).includes(secretPassword));
  } finally {
    await store.close();
  }
});

test('recipients of many recordings are replaced in one batch, and the schema is migrated once', async () => {
  const { name, url } = await dbs.create();
  const store = open(url);
  try {
    const ms = ['01', '02', '03'].map((day) => manifest('a', 'web01', `2026-04-${day}T00:00:00.000Z`));
    for (const m of ms) await store.create(m);
    const updates = ms.slice(0, 2).map((m, i) => ({ id: m.id, recipients: [{ kid: `ffffffffffffff0${i}`, sealedKey: `NEW${i}` }] }));
    await store.updateRecipientsMany(updates);
    assert.deepEqual((await store.recipientsMany(ms.map((m) => m.id))).map((m) => m.recipients.map((r) => r.sealedKey)), [['NEW0'], ['NEW1'], ['AAAA']]);
    assert.deepEqual((await store.list()).map((s) => s.recipients), [['ffffffffffffff00'], ['ffffffffffffff01'], ['0011223344556677']]);
    const second = open(url);
    await second.list();
    await second.close();
    assert.deepEqual((await sql(name, 'SELECT component, version FROM recgate_schema')).rows, [{ component: 'store', version: 1 }]);
  } finally {
    await store.close();
  }
});

/** A new store database with its schema, and two auditor keys: rotation goes from `old` to `next`. */
async function rotationSetup(): Promise<{ name: string; store: PostgresStore; s: Sodium; old: AuditorKeyPair; next: AuditorKeyPair }> {
  const { name, url } = await dbs.create();
  const store = open(url);
  await store.list().catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const s = nativeSodium();
  return { name, store, s, old: generateAuditorKey(s), next: generateAuditorKey(s) };
}

test('keys rotate re-seals thousands of recordings in batches across listing pages (on worker threads), and each new sealed key opens', async () => {
  const { store, s, old, next } = await rotationSetup();
  try {
    const recordKeys = Array.from({ length: 50 }, () => s.randomBytes(32));
    const ids = await seedRecordings(store.pool, { count: 2_500, kid: old.kid, sealedKeys: recordKeys.map((k) => toBase64(s.boxSeal(k, old.publicKey))) });
    const live = manifest();
    live.recipients = [{ kid: old.kid, sealedKey: toBase64(s.boxSeal(recordKeys[0]!, old.publicKey)) }];
    await store.create(live);
    // Listing pages of 700 and batches of 1000: batches span pages, and the live recording sits on the last page.
    const result = await rotateRecordings(s, store, old, { publicKey: next.publicKey, name: 'next' }, { listPage: 700 });
    assert.deepEqual(result, { rotated: 2_500, live: [live.id] });
    const manifests = await store.manifests(ids);
    assert.equal(manifests.length, 2_500);
    manifests.forEach((m, i) => {
      assert.deepEqual(m.recipients.map((r) => [r.kid, r.name]), [[next.kid, 'next']]);
      if (i % 97 === 0) assert.deepEqual(openRecordKey(s, m, next), recordKeys[i % 50], `recording ${i} opens with the new key`);
    });
    assert.deepEqual((await store.list({ limit: 1 }))[0]?.recipients, [next.kid]);
    assert.deepEqual((await store.manifest(live.id)).recipients.map((r) => r.kid), [old.kid], 'the live recording is left alone');
  } finally {
    await store.close();
  }
});

test('a sealed key that does not open stops the rotation on the worker threads, naming its recording; the batches before it are done', async () => {
  const { name, store, s, old, next } = await rotationSetup();
  try {
    const ids = await seedRecordings(store.pool, { count: 2_600, kid: old.kid, sealedKeys: [toBase64(s.boxSeal(s.randomBytes(32), old.publicKey))] });
    // Well formed, the right length, sealed for another key: only opening it tells.
    const bad = ids[2_400]!;
    await sql(name, 'UPDATE recording_keys SET sealed_key = $1 WHERE recording = $2', [toBase64(s.boxSeal(s.randomBytes(32), generateAuditorKey(s).publicKey)), bad]);
    await assert.rejects(
      rotateRecordings(s, store, old, { publicKey: next.publicKey }),
      (err: Error) => err.name === 'CryptoError' && err.message.includes(`recording ${bad}: the record key sealed for key ${old.kid} does not open`),
    );
    const kids = (await store.manifests(ids)).map((m) => m.recipients[0]!.kid);
    assert.deepEqual([kids[0], kids[1_999], kids[2_400]], [next.kid, next.kid, old.kid], 'committed batches stay rotated; the bad one is untouched');
  } finally {
    await store.close();
  }
});

test('a large append (a spool drained at once) goes in as several INSERTs of one transaction, in order', async () => {
  const { url } = await dbs.create();
  const store = open(url);
  try {
    const m = manifest();
    await store.create(m);
    const many = Array.from({ length: 2_500 }, (_, i) => bytes(i & 0xff, i >> 8));
    const big = Array.from({ length: 3 }, (_, i) => new Uint8Array(7 << 20).fill(i + 1));
    await store.appendChunks(m.id, 1, 0, many);
    await store.appendChunks(m.id, 1, 2_500, big);
    const read = await collect(store.chunks(m.id, 1));
    assert.equal(read.length, 2_503);
    read.slice(0, 2_500).forEach((c, i) => assert.deepEqual([c.index, ...c.data], [i, i & 0xff, i >> 8]));
    read.slice(2_500).forEach((c, i) => assert.ok(c.data.length === 7 << 20 && c.data.every((b) => b === i + 1)));
    assert.deepEqual(insertGroups(many).map((g) => [g.offset, g.chunks.length]), [[0, 1000], [1000, 1000], [2000, 500]]);
    assert.deepEqual(insertGroups(big).map((g) => [g.offset, g.chunks.length]), [[0, 2], [2, 1]]);
  } finally {
    await store.close();
  }
});

test('a store found down sees the database come back by itself, with nothing written through it', async () => {
  const { url } = await dbs.create();
  const store = open(url);
  try {
    await store.list();
    await dbs.server.stopServer();
    try {
      await assert.rejects(store.list(), /PostgreSQL store .* failed/);
      assert.equal(store.health().state, 'down');
    } finally {
      await dbs.server.startServer();
    }
    let state = store.health().state;
    for (const deadline = Date.now() + 15_000; state !== 'up' && Date.now() < deadline; state = store.health().state) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(state, 'up', 'health() alone finds the database again');
  } finally {
    await store.close();
  }
});
