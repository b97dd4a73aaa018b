/**
 * The RecordingStore contract as tests: what every store must do alike,
 * run against the local store (local-contract.test.ts) and the PostgreSQL
 * store (postgres/store.test.ts). A `StoreHome` is one place a store lives
 * (a data directory, a database); `open()` opens another instance on it,
 * as a restarted process or a second process of the same node would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogEntry } from '../seal/log.js';
import { MANIFEST_FORMAT, type Checkpoint, type Manifest } from '../seal/manifest.js';
import { newRecordingId } from './ids.js';
import type { InterruptedRecording, RecordingStore } from './types.js';

export interface StoreHome {
  open(): RecordingStore;
}

export function manifest(user = 'alice', target = 'web01', startedAt = new Date().toISOString()): Manifest {
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

export function checkpoint(id: string, seq: number): Checkpoint {
  return { recording: id, seq, at: new Date().toISOString(), metaHash: 'x', streams: [], signature: 's' };
}

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function logEntry(last: LogEntry | null, recording: string): LogEntry {
  const seq = last === null ? 0 : last.seq + 1;
  return { kind: 'deleted', recording, reason: 'test', seq, prev: last === null ? 'genesis' : `after ${last.seq}`, at: 'T', signer: 'k', signature: 's' };
}

const end = (): { endedAt: string; endReason: string } => ({ endedAt: new Date().toISOString(), endReason: 'closed' });

export function storeContract(kind: string, home: () => Promise<StoreHome>): void {
  test(`${kind}: chunks, checkpoints and the end of a recording are stored and read back in order`, async () => {
    const store = (await home()).open();
    const m = manifest();
    await store.create(m);
    await store.addStream(m.id, { id: 2, name: 'tty', kind: 'tty', channel: 0, noncePrefix: 'BBBB' });
    await store.appendChunks(m.id, 2, 0, [bytes(1, 2, 3)]);
    await store.appendChunks(m.id, 2, 1, [bytes(4)]);
    await store.appendChunks(m.id, 1, 0, [bytes(9, 9)]);
    await store.checkpoint(m.id, checkpoint(m.id, 0));
    assert.equal((await store.get(m.id))?.bytes, 6, 'bytes as of the checkpoint');
    await assert.rejects(store.appendChunks(m.id, 2, 5, [bytes(0)]), /expects chunk 2, got 5/);
    await store.finalize(m.id, checkpoint(m.id, 1), end());
    assert.deepEqual(
      (await collect(store.chunks(m.id, 2))).map((c) => [c.index, [...c.data]]),
      [[0, [1, 2, 3]], [1, [4]]],
    );
    assert.deepEqual((await collect(store.chunks(m.id, 2, 1))).map((c) => c.index), [1]);
    assert.deepEqual(await collect(store.chunks(m.id, 2, 7)), []);
    assert.deepEqual((await store.checkpoints(m.id)).map((c) => c.seq), [0, 1]);
    const read = await store.manifest(m.id);
    assert.deepEqual(read.streams.map((s) => s.name), ['events', 'tty']);
    assert.deepEqual({ ...read, streams: read.streams.slice(0, 1) }, m, 'the manifest comes back as written');
    const summary = await store.get(m.id);
    assert.equal(summary?.status, 'complete');
    assert.equal(summary?.endReason, 'closed');
    assert.equal(summary?.bytes, 6);
    assert.equal(summary?.startedAt, m.meta.startedAt);
    assert.equal(await store.tornBytes(m.id, 2), 0);
    await store.close();
  });

  test(`${kind}: list filters by user, target, protocol, status and start time, and pages in either order`, async () => {
    const store = (await home()).open();
    const early = manifest('alice', 'web01', '2026-01-01T10:00:00.000Z');
    const late = manifest('bob', 'db01', '2026-03-01T10:00:00.000Z');
    const middle = manifest('carol', 'web01', '2026-02-01T10:00:00.000Z');
    for (const m of [early, late, middle]) await store.create(m);
    await store.finalize(middle.id, checkpoint(middle.id, 0), end());
    const ids = async (filter?: Parameters<RecordingStore['list']>[0]): Promise<string[]> => (await store.list(filter)).map((r) => r.id);
    assert.deepEqual(await ids(), [early.id, middle.id, late.id]);
    assert.deepEqual(await ids({ user: 'bob' }), [late.id]);
    assert.deepEqual(await ids({ target: 'web01' }), [early.id, middle.id]);
    assert.deepEqual(await ids({ since: '2026-02-15T00:00:00Z' }), [late.id]);
    assert.deepEqual(await ids({ until: '2026-02-15T00:00:00Z' }), [early.id, middle.id]);
    assert.deepEqual(await ids({ status: 'complete' }), [middle.id]);
    assert.deepEqual(await ids({ protocol: 'rdp' }), []);
    assert.deepEqual(await ids({ users: ['alice', 'bob'] }), [early.id, late.id]);
    assert.deepEqual(await ids({ targets: [] }), []);
    assert.deepEqual(await ids({ descending: true }), [late.id, middle.id, early.id]);
    const page = await store.list({ limit: 2 });
    assert.deepEqual(page.map((r) => r.id), [early.id, middle.id]);
    assert.deepEqual(await ids({ after: { startedAt: page[1]!.startedAt, id: page[1]!.id } }), [late.id]);
    assert.deepEqual(await ids({ descending: true, after: { startedAt: page[1]!.startedAt, id: page[1]!.id } }), [early.id]);
    await store.close();
  });

  test(`${kind}: a recording left open by a writer that is gone is marked interrupted at its last checkpoint`, async () => {
    const place = await home();
    const store = place.open();
    const m = manifest();
    await store.create(m);
    await store.appendChunks(m.id, 1, 0, [bytes(1, 2, 3, 4)]);
    const cp = checkpoint(m.id, 0);
    await store.checkpoint(m.id, cp);
    await store.close();

    const reopened = place.open();
    assert.deepEqual(await reopened.recoverInterrupted(), [m.id]);
    const summary = await reopened.get(m.id);
    assert.equal(summary?.status, 'interrupted');
    assert.equal(summary?.endedAt, cp.at);
    assert.equal(summary?.bytes, 4);
    assert.deepEqual(await reopened.recoverInterrupted(), []);
    await reopened.close();
  });

  test(`${kind}: recovery tells the hook what it found before marking; a hook that throws leaves the recording for later`, async () => {
    const place = await home();
    const store = place.open();
    const m = manifest();
    await store.create(m);
    await store.appendChunks(m.id, 1, 0, [bytes(1), bytes(2), bytes(3)]);
    const cp = checkpoint(m.id, 0);
    await store.checkpoint(m.id, cp);
    await store.close();

    const reopened = place.open();
    assert.deepEqual(await reopened.recoverInterrupted(async () => { throw new Error('log down'); }), []);
    assert.equal((await reopened.get(m.id))?.status, 'recording');
    const found: InterruptedRecording[] = [];
    assert.deepEqual(await reopened.recoverInterrupted(async (r) => void found.push(r)), [m.id]);
    assert.deepEqual(found, [{ id: m.id, endedAt: cp.at, checkpoints: [cp], chunks: { events: 3 } }]);
    assert.equal((await reopened.get(m.id))?.status, 'interrupted');
    await reopened.close();
  });

  test(`${kind}: tail follows a live recording and stops when it ends`, async () => {
    const store = (await home()).open();
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
    await store.finalize(m.id, checkpoint(m.id, 0), end());
    await following;
    assert.deepEqual(seen, [0, 1, 2]);
    await store.close();
  });

  test(`${kind}: tail stops when its signal aborts`, async () => {
    const store = (await home()).open();
    const m = manifest();
    await store.create(m);
    const abort = new AbortController();
    const seen: number[] = [];
    const following = (async () => {
      for await (const c of store.tail(m.id, 1, 0, abort.signal)) seen.push(c.index);
    })();
    await store.appendChunks(m.id, 1, 0, [bytes(7)]);
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await following;
    assert.deepEqual(seen, [0]);
    await store.close();
  });

  test(`${kind}: recipients are replaced in the manifest and the listing; delete removes the recording`, async () => {
    const store = (await home()).open();
    const m = manifest();
    await store.create(m);
    await store.appendChunks(m.id, 1, 0, [bytes(5)]);
    await store.finalize(m.id, checkpoint(m.id, 0), end());
    const next = [{ kid: 'ffeeddccbbaa9988', name: 'new auditor', sealedKey: 'CCCC' }, { kid: '0011223344556677', sealedKey: 'DDDD' }];
    await store.updateRecipients(m.id, next);
    assert.deepEqual((await store.manifest(m.id)).recipients, next);
    assert.deepEqual((await store.get(m.id))?.recipients, ['ffeeddccbbaa9988', '0011223344556677']);
    await store.delete(m.id);
    assert.equal(await store.get(m.id), undefined);
    assert.deepEqual(await store.list(), []);
    await assert.rejects(store.manifest(m.id), /no recording/);
    assert.deepEqual(await collect(store.chunks(m.id, 1)), []);
    await store.close();
  });

  test(`${kind}: ids that are not recording ids are not found`, async () => {
    const store = (await home()).open();
    await assert.rejects(store.manifest('../../etc/passwd'), { code: 'RG_ERR_NOT_FOUND' });
    await assert.rejects(store.manifest(newRecordingId()), { code: 'RG_ERR_NOT_FOUND' });
    await store.close();
  });

  test(`${kind}: the log appends after the last entry under the lock, even from two store instances, and reads back in order`, async () => {
    const place = await home();
    const a = place.open();
    const b = place.open();
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
}
