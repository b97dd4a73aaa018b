import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MANIFEST_FORMAT, type Manifest } from '../seal/manifest.js';
import { newRecordingId } from '../store/ids.js';
import { LocalStore } from '../store/local.js';
import { WriteQueue } from './write-queue.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A real local store that notes every append call and can be held up. */
class WatchedStore extends LocalStore {
  readonly calls: { streamId: number; from: number; count: number }[] = [];
  gate: Promise<void> = Promise.resolve();
  override async appendChunks(id: string, streamId: number, from: number, chunks: Uint8Array[]): Promise<void> {
    this.calls.push({ streamId, from, count: chunks.length });
    await this.gate;
    return super.appendChunks(id, streamId, from, chunks);
  }
}

async function recording(): Promise<{ store: WatchedStore; id: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-queue-'));
  dirs.push(dir);
  const store = new WatchedStore(dir);
  const id = newRecordingId();
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    id,
    meta: { id, user: 'a', target: 'b', protocol: 'ssh', clientAddress: '127.0.0.1', startedAt: new Date().toISOString() },
    signer: '',
    streams: [1, 2].map((n) => ({ id: n, name: `s${n}`, kind: 'tty' as const, channel: 0, noncePrefix: '' })),
    recipients: [],
  };
  await store.create(manifest);
  return { store, id };
}

test("a stream's chunks queued while the store is busy go out in one append, in order", async () => {
  const { store, id } = await recording();
  let release!: () => void;
  store.gate = new Promise((r) => (release = r));
  const queue = new WriteQueue(store, id, 1 << 20);
  queue.append(1, 0, Uint8Array.of(0));
  for (let i = 1; i <= 5; i++) queue.append(1, i, Uint8Array.of(i));
  queue.append(2, 0, Uint8Array.of(9));
  queue.append(1, 6, Uint8Array.of(6));
  release();
  await queue.idle();
  assert.deepEqual(store.calls, [
    { streamId: 1, from: 0, count: 1 },
    { streamId: 1, from: 1, count: 5 },
    { streamId: 2, from: 0, count: 1 },
    { streamId: 1, from: 6, count: 1 },
  ]);
  const stored: number[] = [];
  for await (const c of store.chunks(id, 1)) stored.push(c.data[0]!);
  assert.deepEqual(stored, [0, 1, 2, 3, 4, 5, 6]);
  await store.close();
});

test('after a failure later operations are skipped and the failure is reported once', async () => {
  const { store, id } = await recording();
  const queue = new WriteQueue(store, id, 1 << 20);
  const failures: unknown[] = [];
  queue.on('failed', (e) => failures.push(e));
  queue.append(1, 5, Uint8Array.of(1)); // the store expects chunk 0
  queue.append(1, 6, Uint8Array.of(2));
  let ran = false;
  queue.call(async () => {
    ran = true;
  });
  await queue.idle();
  assert.equal(failures.length, 1);
  assert.match(String(failures[0]), /expects chunk 0, got 5/);
  assert.equal(ran, false);
  assert.equal(queue.failed, true);
  await store.close();
});
