/**
 * Retention acceptance on the PostgreSQL store (a real server from
 * test/fixtures/postgres.ts, store kind postgres, archive kind postgres in a
 * second database). Recordings are made by the gateway's code path in their
 * own process and read back with the real CLI; the sweep runs as the daemon
 * runs it, with a later `now` (the gateway's signed end times are real).
 *
 * - An expired recording's sealed keys are gone first: while the test holds
 *   its chunk rows locked, the sweep has already committed the keys' deletion,
 *   no row holds a sealed key, and a raw copy of its chunks taken before no
 *   longer opens with the auditor's key; then, released, its chunks go.
 * - A recording past archiveAfterDays moves to the archive database, and is
 *   listed, verified and exported byte for byte from there; past days it is
 *   crypto-shredded out of the archive, and `verify --all` accepts both.
 * - Nodes sharing the store sweep one at a time.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.js';
import { GatewayLog } from '../../src/daemon/gateway-log.js';
import { ensureSigningKey } from '../../src/daemon/gateway-keys.js';
import { sweepRetention, type SweepResult } from '../../src/daemon/retention.js';
import { silentLogger } from '../../src/log.js';
import { withSweepLock } from '../../src/retention/sweep-lock.js';
import { decryptKeyFile, type AuditorKeyPair } from '../../src/seal/keys.js';
import type { Manifest } from '../../src/seal/manifest.js';
import { RecordOpener } from '../../src/seal/opener.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { describeLocation, moveRecording, openArchiveStore, recordingCopy } from '../../src/store/archive.js';
import { openStore } from '../../src/store/index.js';
import { GatewayHome, PASSPHRASE } from '../fixtures/gateway-env.js';
import { startStoreDatabases, superuserQuery, type StoreDatabases } from '../fixtures/pg-store.js';
import type { Step } from '../fixtures/record-session.js';
import { readZip } from '../fixtures/zip.js';

const DAY = 86_400_000;
const s = defaultSodium();
const steps = (label: string): Step[] => [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'output', text: `$ echo ${label}\r\n${label}\r\n` },
  { op: 'repeat', times: 3, steps: [{ op: 'output', text: `${label} `.repeat(9_000) + '\r\n' }] },
];

let dbs: StoreDatabases;
let hotDb: string;
let archiveDb: string;
let home: GatewayHome;
let auditor: AuditorKeyPair;

before(async () => {
  dbs = await startStoreDatabases();
  const hot = await dbs.create();
  const archive = await dbs.create();
  hotDb = hot.name;
  archiveDb = archive.name;
  home = await GatewayHome.create(
    `retention: { days: 30, archiveAfterDays: 7, archive: { kind: postgres, url: "${archive.url.reveal()}" } }`,
  );
  const config = await readFile(home.configPath, 'utf8');
  await writeFile(home.configPath, config.replace('store: { kind: local }', `store: { kind: postgres, url: "${hot.url.reveal()}" }`));
  auditor = decryptKeyFile(s, await readFile(home.key('officer'), 'utf8'), PASSPHRASE, home.key('officer'));
});
after(async () => {
  await home?.remove();
  await dbs?.stop();
});

/** A connection to one of the test's databases as the superuser, held by the caller (to hold row locks). */
async function connect(database: string): Promise<pg.Client> {
  const client = new pg.Client({ host: dbs.server.host, port: dbs.server.port, user: 'postgres', password: dbs.server.password, database });
  await client.connect();
  return client;
}

/** SQL in one of the test's databases as the superuser. */
async function sql<R extends pg.QueryResultRow>(database: string, text: string, values: unknown[] = []): Promise<R[]> {
  return (await superuserQuery<R>(dbs.server, database, text, values)).rows;
}

/** How many rows of each table a recording has in a database. */
interface RowCounts {
  recordings: number;
  keys: number;
  chunks: number;
}

async function rows(database: string, id: string): Promise<RowCounts> {
  const [r] = await sql<RowCounts & pg.QueryResultRow>(
    database,
    `SELECT (SELECT count(*)::int FROM recordings WHERE id = $1) AS recordings,
            (SELECT count(*)::int FROM recording_keys WHERE recording = $1) AS keys,
            (SELECT count(*)::int FROM chunks WHERE recording = $1) AS chunks`,
    [id],
  );
  return r!;
}

/** Whether any row of any table in a database holds one of these sealed keys (in its text form). */
async function holdsSealedKey(database: string, sealed: string[]): Promise<boolean> {
  const tables = await sql<{ name: string }>(database, "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'");
  for (const { name } of tables) {
    const [hit] = await sql<{ n: number }>(database, `SELECT count(*)::int AS n FROM ${name} t WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) AS k(key) WHERE strpos(t::text, k.key) > 0)`, [sealed]);
    if (hit!.n > 0) return true;
  }
  return false;
}

/** One sweep as the daemon runs it, with the clock `days` ahead; `archive: false` as a gateway without the archive tier. */
async function sweepAt(days: number, archive = true): Promise<SweepResult> {
  const config = loadConfig(home.configPath);
  const log = silentLogger();
  const signer = await ensureSigningKey(s, config.gateway.signingKey, log);
  const hot = openStore(config, log);
  const location = config.retention.archive!;
  const archiveStore = archive ? openArchiveStore(location, log, config.gateway.nodeId) : undefined;
  try {
    const stores = { hot, archive: archiveStore && { store: archiveStore, name: describeLocation(location) } };
    const policy = archive ? config.retention : { days: config.retention.days };
    return await sweepRetention(stores, new GatewayLog(s, hot, signer), policy, log, Date.now() + days * DAY);
  } finally {
    await hot.close();
    await archiveStore?.close();
  }
}

async function exportFiles(id: string, name: string): Promise<Map<string, Buffer>> {
  const out = join(home.dir, `${name}.zip`);
  const r = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return readZip(out);
}

async function manifestOf(database: string, id: string): Promise<Manifest> {
  const config = loadConfig(home.configPath);
  const store = database === hotDb ? openStore(config, silentLogger()) : openArchiveStore(config.retention.archive!, silentLogger(), 'test');
  try {
    return await store.manifest(id);
  } finally {
    await store.close();
  }
}

test('an expired recording loses its sealed keys first, durably, so a raw copy of its chunks no longer opens; then its chunks go', async () => {
  const id = await home.record({ steps: steps('EXPIRED-3b7c') });
  const before = await manifestOf(hotDb, id);
  const tty = before.streams.find((st) => st.name === 'tty')!;
  const rawCopy = await sql<{ idx: number; data: Buffer }>(hotDb, 'SELECT idx, data FROM chunks WHERE recording = $1 AND stream = $2 ORDER BY idx', [id, tty.id]);
  assert.ok(rawCopy.length > 0);
  // The copy is the real ciphertext: with the sealed key it opens.
  assert.match(Buffer.from(RecordOpener.open(s, before, auditor).openChunk(tty.id, 0, rawCopy[0]!.data).plaintext).toString(), /EXPIRED-3b7c/);
  const sealed = before.recipients.map((r) => r.sealedKey);
  assert.equal(await holdsSealedKey(hotDb, sealed), true, 'the probe finds the keys while they exist');

  // Hold the chunk rows: the sweep can destroy the keys but not yet the chunks.
  const holder = await connect(hotDb);
  let result: Promise<SweepResult> | undefined;
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT idx FROM chunks WHERE recording = $1 FOR UPDATE', [id]);
    result = sweepAt(31, false);
    const deadline = Date.now() + 20_000;
    while ((await rows(hotDb, id)).keys > 0) {
      assert.ok(Date.now() < deadline, 'the sealed keys were not destroyed within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const midway = await rows(hotDb, id);
    assert.equal(midway.keys, 0, 'no sealed key rows');
    assert.ok(midway.chunks > 0, 'the chunks are still there while the keys are already gone');
    assert.equal(await holdsSealedKey(hotDb, sealed), false, 'no row of any table holds a sealed key');
    const shredded = await manifestOf(hotDb, id);
    assert.deepEqual(shredded.recipients, []);
    assert.throws(() => RecordOpener.open(s, shredded, auditor), /not a recipient/);
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
  }
  assert.deepEqual(await result, { deleted: [id], archived: [], failed: [] });
  assert.deepEqual(await rows(hotDb, id), { recordings: 0, keys: 0, chunks: 0 });
  const log = await sql<{ kind: string }>(hotDb, 'SELECT kind FROM gateway_log WHERE recording = $1 ORDER BY seq', [id]);
  assert.deepEqual(log.map((r) => r.kind), ['start', 'end', 'deleted']);
});

test('a recording past archiveAfterDays moves to the archive database, verifies and exports identically there, and is shredded out of it past days', async () => {
  const id = await home.record({ steps: steps('ARCHIVED-91fa') });
  const exportedBefore = await exportFiles(id, 'before');
  const hotRows = await rows(hotDb, id);
  assert.equal(hotRows.recordings, 1);

  assert.deepEqual(await sweepAt(6), { deleted: [], archived: [], failed: [] });
  assert.deepEqual(await sweepAt(8), { deleted: [], archived: [id], failed: [] });
  assert.deepEqual(await rows(hotDb, id), { recordings: 0, keys: 0, chunks: 0 });
  assert.deepEqual(await rows(archiveDb, id), hotRows);

  const list = await home.cli(['recordings', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { id: string }[]).map((r) => r.id), [id]);
  const one = await home.cli(['recordings', 'verify', id]);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  const all = await home.cli(['recordings', 'verify', '--all']);
  assert.equal(all.code, 0, all.stdout + all.stderr);
  const exportedAfter = await exportFiles(id, 'after');
  assert.deepEqual([...exportedAfter.keys()].sort(), [...exportedBefore.keys()].sort());
  for (const [name, bytes] of exportedBefore) assert.ok(bytes.equals(exportedAfter.get(name)!), `${name} exports identically from the archive`);

  const sealed = (await manifestOf(archiveDb, id)).recipients.map((r) => r.sealedKey);
  assert.deepEqual(await sweepAt(31), { deleted: [id], archived: [], failed: [] });
  assert.deepEqual(await rows(archiveDb, id), { recordings: 0, keys: 0, chunks: 0 });
  assert.equal(await holdsSealedKey(archiveDb, sealed), false);
  const log = await sql<{ kind: string }>(hotDb, 'SELECT kind FROM gateway_log WHERE recording = $1 ORDER BY seq', [id]);
  assert.deepEqual(log.map((r) => r.kind), ['start', 'end', 'archived', 'deleted']);
  const afterAll = await home.cli(['recordings', 'verify', '--all']);
  assert.equal(afterAll.code, 0, afterAll.stdout + afterAll.stderr);
  const listed = await home.cli(['recordings', 'list', '--json']);
  assert.deepEqual(JSON.parse(listed.stdout), []);
});

test('an import into the PostgreSQL archive cut short by a failure leaves no row behind, and the move then succeeds', async () => {
  const id = await home.record({ steps: steps('CUT-SHORT-77e0') });
  const config = loadConfig(home.configPath);
  const hot = openStore(config, silentLogger());
  const archive = openArchiveStore(config.retention.archive!, silentLogger(), config.gateway.nodeId);
  try {
    const copy = await recordingCopy(hot, (await hot.get(id))!);
    const failing = {
      ...copy,
      chunks: async function* (streamId: number) {
        let n = 0;
        for await (const c of copy.chunks(streamId)) {
          if (n++ === 1) throw new Error('hot store connection lost');
          yield c;
        }
      },
    };
    await assert.rejects(archive.importRecording!(failing), /hot store connection lost/);
    assert.deepEqual(await rows(archiveDb, id), { recordings: 0, keys: 0, chunks: 0 });
    const snapshot = async (store: typeof hot) => {
      const manifest = await store.manifest(id);
      const chunks: string[] = [];
      for (const st of manifest.streams) for await (const c of store.chunks(id, st.id)) chunks.push(`${st.id}:${c.index}:${Buffer.from(c.data).toString('base64')}`);
      return { summary: await store.get(id), manifest, checkpoints: await store.checkpoints(id), chunks };
    };
    const original = await snapshot(hot);
    await moveRecording(hot, archive, id, { journal: { archived: async () => undefined }, reason: 'test', archive: 'test', log: silentLogger() });
    assert.deepEqual(await snapshot(archive), original);
    assert.deepEqual(await rows(hotDb, id), { recordings: 0, keys: 0, chunks: 0 });
    assert.equal((await rows(archiveDb, id)).recordings, 1);
    await archive.delete(id);
  } finally {
    await hot.close();
    await archive.close();
  }
});

test('nodes sharing the store sweep one at a time: a node finding the sweep lock taken skips its sweep', async () => {
  const config = loadConfig(home.configPath);
  const nodeA = openStore(config, silentLogger());
  const nodeB = openStore(config, silentLogger());
  try {
    let ran = 0;
    const inner = await withSweepLock(nodeA, async () => {
      ran++;
      return withSweepLock(nodeB, async () => ++ran);
    });
    assert.equal(inner, 'busy');
    assert.equal(ran, 1);
    assert.equal(await withSweepLock(nodeB, async () => ++ran), 2, 'released after the first sweep');
  } finally {
    await nodeA.close();
    await nodeB.close();
  }
});

test('recgate start on the PostgreSQL store with a PostgreSQL archive starts its retention without an error and stops cleanly', async () => {
  const { code, log } = await home.startAndStopDaemon();
  assert.equal(code, 0, log);
  assert.doesNotMatch(log, /retention sweep failed|cannot move|cannot delete/);
  assert.match(log, /"recgate started"/);
});
