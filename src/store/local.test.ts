/** What the local store does beyond the store contract (store-contract.ts, run for it by local-contract.test.ts): torn records, learned chunk positions, the index, ids and file permissions. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, chmod, mkdir, mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { LocalStore } from './local.js';
import { bytes, checkpoint, collect, logEntry, manifest } from './store-contract.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempStore(): Promise<LocalStore> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-store-'));
  dirs.push(dir);
  return new LocalStore(dir);
}

test('list filters by user, target, protocol and start time', async () => {
  const store = await tempStore();
  const early = manifest('alice', 'web01', '2026-01-01T10:00:00.000Z');
  const late = manifest('bob', 'db01', '2026-03-01T10:00:00.000Z');
  await store.create(early);
  await store.create(late);
  assert.deepEqual((await store.list()).map((r) => r.id), [early.id, late.id]);
  assert.deepEqual((await store.list({ user: 'bob' })).map((r) => r.id), [late.id]);
  assert.deepEqual((await store.list({ target: 'web01' })).map((r) => r.id), [early.id]);
  assert.deepEqual((await store.list({ since: '2026-02-01T00:00:00Z' })).map((r) => r.id), [late.id]);
  assert.deepEqual((await store.list({ until: '2026-02-01T00:00:00Z' })).map((r) => r.id), [early.id]);
  assert.deepEqual(await store.list({ protocol: 'rdp' }), []);
  await store.close();
});

test('a torn record at the end of a chunk file is left out and measured', async () => {
  const store = await tempStore();
  const m = manifest();
  await store.create(m);
  await store.appendChunks(m.id, 1, 0, [bytes(1, 2, 3)]);
  await appendFile(join(store.dataDir, 'recordings', m.id, '1.chunks'), bytes(0, 0, 0, 50, 1, 2));
  assert.deepEqual((await collect(store.chunks(m.id, 1))).map((c) => c.index), [0]);
  assert.equal(await store.tornBytes(m.id, 1), 6);
  await store.close();
});

test('reading from chunk N finds it by learned positions, as the file grows, shrinks, or holds a torn record', async () => {
  const store = await tempStore();
  const m = manifest();
  await store.create(m);
  const chunk = (i: number): Uint8Array => Uint8Array.from({ length: 1 + (i % 7) * 20_000 }, (_, k) => (i + k) % 256);
  const from = async (n: number): Promise<number[]> => (await collect(store.chunks(m.id, 1, n))).map((c) => c.index);
  await store.appendChunks(m.id, 1, 0, Array.from({ length: 30 }, (_, i) => chunk(i)));
  assert.deepEqual(await from(28), [28, 29]);
  const read = await collect(store.chunks(m.id, 1, 17));
  assert.deepEqual([...read[0]!.data], [...chunk(17)]);
  // Past the end, then after the file grows, the new chunks are found.
  assert.deepEqual(await from(31), []);
  await store.appendChunks(m.id, 1, 30, [chunk(30), chunk(31)]);
  assert.deepEqual(await from(31), [31]);
  assert.deepEqual([...(await collect(store.chunks(m.id, 1, 30)))[0]!.data], [...chunk(30)]);
  // A torn record after them is not a chunk; cut the file back and the positions are learned again.
  const file = join(store.dataDir, 'recordings', m.id, '1.chunks');
  await appendFile(file, bytes(0, 0, 0, 50, 1, 2));
  assert.deepEqual(await from(32), []);
  const { size } = await stat(file);
  await truncate(file, size - 6 - 4 - chunk(31).length - 4 - chunk(30).length - 4 - chunk(29).length);
  assert.deepEqual(await from(27), [27, 28]);
  assert.deepEqual(await from(29), []);
  await store.close();
});

test('recipients are replaced in the manifest and the index; delete removes both', async () => {
  const store = await tempStore();
  const m = manifest();
  await store.create(m);
  await store.finalize(m.id, checkpoint(m.id, 0), { endedAt: new Date().toISOString(), endReason: 'closed' });
  await store.updateRecipients(m.id, [{ kid: 'ffeeddccbbaa9988', sealedKey: 'CCCC' }]);
  assert.deepEqual((await store.manifest(m.id)).recipients.map((r) => r.kid), ['ffeeddccbbaa9988']);
  assert.deepEqual((await store.get(m.id))?.recipients, ['ffeeddccbbaa9988']);
  await store.delete(m.id);
  assert.equal(await store.get(m.id), undefined);
  await assert.rejects(store.manifest(m.id), /no recording/);
  await store.close();
});

test('ids that are not recording ids never reach the file system', async () => {
  const store = await tempStore();
  await assert.rejects(store.manifest('../../etc/passwd'), { code: 'RG_ERR_NOT_FOUND' });
  await store.close();
});

test('the data directory is private to its owner, and so is the index with the log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-store-'));
  dirs.push(dir);
  const data = join(dir, 'data');
  await mkdir(data, { mode: 0o755 });
  await chmod(data, 0o755);
  const store = new LocalStore(data);
  await store.create(manifest());
  assert.equal((await stat(data)).mode & 0o777, 0o700);
  for (const name of ['index.db', 'index.db-wal', 'index.db-shm']) assert.equal((await stat(join(data, name))).mode & 0o777, 0o600, name);
  await store.close();
});

test('reopening the store in one process keeps its locks: another process reading the log between appends sees every entry', async () => {
  const store = await tempStore();
  const db = join(store.dataDir, 'index.db');
  await store.appendLog((last) => logEntry(last, 'first'));
  await store.close();
  // The reader opens, reads and closes the database, as a CLI does; it is the
  // last one out only if this process's locks are gone.
  const libsql = createRequire(import.meta.url).resolve('libsql');
  const count = async (): Promise<number> => {
    const script = `const D = require(${JSON.stringify(libsql)}); const d = new D(${JSON.stringify(db)}); process.stdout.write(String(d.prepare('SELECT count(*) AS n FROM log').get().n)); d.close();`;
    return Number((await promisify(execFile)(process.execPath, ['-e', script])).stdout);
  };
  for (let n = 2; n <= 8; n++) {
    const again = new LocalStore(store.dataDir);
    await again.appendLog((last) => logEntry(last, `entry-${n}`));
    await again.close();
    assert.equal(await count(), n, `after append ${n}`);
  }
});
