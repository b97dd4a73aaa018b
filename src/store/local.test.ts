import assert from 'node:assert/strict';
import { appendFile, chmod, mkdir, mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { LogEntry } from '../seal/log.js';
import { MANIFEST_FORMAT, type Checkpoint, type Manifest } from '../seal/manifest.js';
import { newRecordingId } from './ids.js';
import { LocalStore } from './local.js';
import type { InterruptedRecording } from './types.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempStore(): Promise<LocalStore> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-store-'));
  dirs.push(dir);
  return new LocalStore(dir);
}

function manifest(user = 'alice', target = 'web01', startedAt = new Date().toISOString()): Manifest {
  const id = newRecordingId(Date.parse(startedAt));
  return {
    format: MANIFEST_FORMAT,
    id,
    meta: { id, user, target, protocol: 'ssh', clientAddress: '127.0.0.1', startedAt },
    signer: 'AAAA',
    streams: [{ id: 1, name: 'events', kind: 'events', channel: 0, noncePrefix: 'AAAA' }],
    recipients: [{ kid: '0011223344556677', sealedKey: 'AAAA' }],
  };
}

function checkpoint(id: string, seq: number): Checkpoint {
  return { recording: id, seq, at: new Date().toISOString(), metaHash: 'x', streams: [], signature: 's' };
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('chunks, checkpoints and the end of a recording are stored and read back in order', async () => {
  const store = await tempStore();
  const m = manifest();
  await store.create(m);
  await store.addStream(m.id, { id: 2, name: 'tty', kind: 'tty', channel: 0, noncePrefix: 'BBBB' });
  await store.appendChunks(m.id, 2, 0, [bytes(1, 2, 3)]);
  await store.appendChunks(m.id, 2, 1, [bytes(4)]);
  await store.appendChunks(m.id, 1, 0, [bytes(9, 9)]);
  await store.checkpoint(m.id, checkpoint(m.id, 0));
  await assert.rejects(store.appendChunks(m.id, 2, 5, [bytes(0)]), /expects chunk 2, got 5/);
  await store.finalize(m.id, checkpoint(m.id, 1), { endedAt: new Date().toISOString(), endReason: 'closed' });

  assert.deepEqual(
    (await collect(store.chunks(m.id, 2))).map((c) => [c.index, [...c.data]]),
    [[0, [1, 2, 3]], [1, [4]]],
  );
  assert.deepEqual((await collect(store.chunks(m.id, 2, 1))).map((c) => c.index), [1]);
  assert.deepEqual((await store.checkpoints(m.id)).map((c) => c.seq), [0, 1]);
  assert.deepEqual((await store.manifest(m.id)).streams.map((s) => s.name), ['events', 'tty']);
  const summary = await store.get(m.id);
  assert.equal(summary?.status, 'complete');
  assert.equal(summary?.endReason, 'closed');
  assert.equal(summary?.bytes, 6);
  await store.close();
});

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

test('a recording left open by a writer that is gone is marked interrupted at its last checkpoint', async () => {
  const store = await tempStore();
  const m = manifest();
  await store.create(m);
  await store.appendChunks(m.id, 1, 0, [bytes(1, 2, 3, 4)]);
  const cp = checkpoint(m.id, 0);
  await store.checkpoint(m.id, cp);
  await store.close();

  const reopened = new LocalStore(store.dataDir);
  assert.deepEqual(await reopened.recoverInterrupted(), [m.id]);
  const summary = await reopened.get(m.id);
  assert.equal(summary?.status, 'interrupted');
  assert.equal(summary?.endedAt, cp.at);
  assert.equal(summary?.bytes, 4);
  assert.deepEqual(await reopened.recoverInterrupted(), []);
  await reopened.close();
});

test('tail follows a live recording and stops when it ends', async () => {
  const store = await tempStore();
  const m = manifest();
  await store.create(m);
  await store.appendChunks(m.id, 1, 0, [bytes(0)]);
  const seen: number[] = [];
  const following = (async () => {
    for await (const c of store.tail(m.id, 1)) seen.push(c.data[0]!);
  })();
  await new Promise((r) => setTimeout(r, 50));
  await store.appendChunks(m.id, 1, 1, [bytes(1)]);
  await store.appendChunks(m.id, 1, 2, [bytes(2)]);
  await store.finalize(m.id, checkpoint(m.id, 0), { endedAt: new Date().toISOString(), endReason: 'closed' });
  await following;
  assert.deepEqual(seen, [0, 1, 2]);
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

function logEntry(last: LogEntry | null, recording: string): LogEntry {
  const seq = last === null ? 0 : last.seq + 1;
  return { kind: 'deleted', recording, reason: 'test', seq, prev: last === null ? 'genesis' : `after ${last.seq}`, at: 'T', signer: 'k', signature: 's' };
}

test('the log appends after the last entry under the lock, even from two stores on one data directory, and reads back in order', async () => {
  const a = await tempStore();
  const b = new LocalStore(a.dataDir);
  const seen: (number | null)[] = [];
  for (let i = 0; i < 6; i++) {
    const store = i % 2 === 0 ? a : b;
    await store.appendLog((last) => {
      seen.push(last?.seq ?? null);
      return logEntry(last, `rec-${i}`);
    });
  }
  assert.deepEqual(seen, [null, 0, 1, 2, 3, 4]);
  const read = await collect(b.readLog());
  assert.deepEqual(read.map((e) => [e.seq, e.recording, e.prev]), [0, 1, 2, 3, 4, 5].map((n) => [n, `rec-${n}`, n === 0 ? 'genesis' : `after ${n - 1}`]));
  await assert.rejects(a.appendLog((last) => ({ ...logEntry(last, 'x'), seq: 9 })), /seq 9 does not follow the last one \(expected seq 6\)/);
  await assert.rejects(a.appendLog(() => { throw new Error('signing failed'); }), /signing failed/);
  assert.equal((await collect(a.readLog())).length, 6, 'a failed append leaves nothing behind');
  await Promise.all([a.close(), b.close()]);
});

test('recovery tells the hook what it found before marking; a hook that throws leaves the recording for later', async () => {
  const store = await tempStore();
  const m = manifest();
  await store.create(m);
  await store.appendChunks(m.id, 1, 0, [bytes(1), bytes(2), bytes(3)]);
  const cp = checkpoint(m.id, 0);
  await store.checkpoint(m.id, cp);
  await store.close();

  const reopened = new LocalStore(store.dataDir);
  assert.deepEqual(await reopened.recoverInterrupted(async () => { throw new Error('log down'); }), []);
  assert.equal((await reopened.get(m.id))?.status, 'recording');
  const found: InterruptedRecording[] = [];
  assert.deepEqual(await reopened.recoverInterrupted(async (r) => void found.push(r)), [m.id]);
  assert.deepEqual(found, [{ id: m.id, endedAt: cp.at, checkpoints: [cp], chunks: { events: 3 } }]);
  assert.equal((await reopened.get(m.id))?.status, 'interrupted');
  await reopened.close();
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
