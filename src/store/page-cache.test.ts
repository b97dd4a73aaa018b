/**
 * The page-cache advice: the native call on real files (what `fincore` reports resident),
 * the stepping of CacheDropper on a stand-in, and a LocalStore's chunk files after a
 * recording is finalized.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalStore } from './local.js';
import { CacheDropper, pageCache, type PageCache } from './page-cache.js';
import { checkpoint, collect, manifest } from './store-contract.js';

const MIB = 1024 * 1024;
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-page-cache-'));
  dirs.push(dir);
  return dir;
}

/** Bytes of `file` in the page cache, as util-linux's fincore counts them. */
function residentBytes(file: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', file], { encoding: 'utf8' }).trim());
}

// The addon is built by scripts/build.mjs; in CI a missing build is a failure, not a skip.
const native = { skip: pageCache === undefined && process.env['CI'] !== 'true' ? 'dist/native/page-cache.node is not built (no C compiler?)' : false };

test('the addon frees a written-back file from the page cache and leaves its bytes alone', native, async () => {
  assert.ok(pageCache, 'dist/native/page-cache.node is built and loads');
  const file = join(await tempDir(), 'f');
  const data = randomBytes(16 * MIB);
  const fh = await open(file, 'w');
  try {
    await fh.write(data);
    await fh.datasync();
    assert.equal(residentBytes(file), data.length, 'a file just written is cached');
    await pageCache.drop(fh.fd, 0, 0);
    assert.equal(residentBytes(file), 0);
  } finally {
    await fh.close();
  }
  assert.ok((await readFile(file)).equals(data));
});

test('the addon reports a bad descriptor as an error with its errno', native, async () => {
  assert.ok(pageCache);
  const fd = 2 ** 30; // above any process's descriptor limit
  await assert.rejects(pageCache.drop(fd, 0, 0), (err: Error & { errno?: number }) => err.errno === 9 && /bad file descriptor/i.test(err.message));
});

/** A PageCache that records each advice and resolves it when the test says. */
class StandInCache implements PageCache {
  readonly calls: { offset: number; length: number; done: (err?: Error) => void }[] = [];
  drop(_fd: number, offset: number, length: number): Promise<void> {
    return new Promise((resolve, reject) => this.calls.push({ offset, length, done: (err) => (err ? reject(err) : resolve()) }));
  }
  ranges(): [number, number][] {
    return this.calls.map((c) => [c.offset, c.offset + c.length]);
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('each advice covers the step before the last and the last, one at a time', async () => {
  const cache = new StandInCache();
  const d = new CacheDropper(3, 100, cache, () => assert.fail('no error expected'));
  d.note(60);
  await turn();
  assert.deepEqual(cache.ranges(), [], 'nothing before a step is written');
  d.note(60);
  await turn();
  assert.deepEqual(cache.ranges(), [[0, 120]]);
  d.note(150);
  await turn();
  assert.equal(cache.calls.length, 1, 'no second advice while the first is in flight');
  cache.calls[0]!.done();
  await turn();
  d.note(1);
  await turn();
  // The first step is advised again (its writeback was only started the first time).
  assert.deepEqual(cache.ranges(), [[0, 120], [0, 271]]);
  cache.calls[1]!.done();
  await turn();
  d.note(100);
  await turn();
  assert.deepEqual(cache.ranges()[2], [120, 371], 'the range starts where the one before last ended');
  cache.calls[2]!.done();
  const flushed = d.flush();
  await turn();
  assert.deepEqual(cache.ranges()[3], [0, 371], 'a flush covers everything since the last flush: pages advised while still being written back are freed too');
  cache.calls[3]!.done();
  await flushed;
  await d.flush();
  assert.equal(cache.calls.length, 4, 'after a flush, a flush with nothing new written advises nothing');
  d.note(5);
  const again = d.flush();
  await turn();
  assert.deepEqual(cache.ranges()[4], [371, 376], 'and the next covers only what came since');
  cache.calls[4]!.done();
  await again;
});

test('a failed advice is reported once and the file is not advised again', async () => {
  const cache = new StandInCache();
  const errors: Error[] = [];
  const d = new CacheDropper(3, 10, cache, (err) => errors.push(err));
  d.note(10);
  await turn();
  cache.calls[0]!.done(new Error('EINVAL'));
  await d.settle();
  d.note(100);
  await d.flush();
  assert.deepEqual(errors.map((e) => e.message), ['EINVAL']);
  assert.equal(cache.calls.length, 1);
});

test('a flush covers what was written when it was asked, not what came after', async () => {
  const cache = new StandInCache();
  const d = new CacheDropper(3, 1000, cache, () => undefined);
  d.note(10);
  const flushed = d.flush();
  d.note(5); // appended after the fsync the flush follows: maybe dirty, so not counted as freed
  await turn();
  assert.deepEqual(cache.ranges(), [[0, 10]]);
  cache.calls[0]!.done();
  await flushed;
  const again = d.flush();
  await turn();
  assert.deepEqual(cache.ranges(), [[0, 10], [10, 15]]);
  cache.calls[1]!.done();
  await again;
});

test('settle waits for a flush asked before it', async () => {
  const cache = new StandInCache();
  const d = new CacheDropper(3, 1000, cache, () => undefined);
  d.note(10);
  void d.flush();
  let settled = false;
  const s = d.settle().then(() => (settled = true));
  await turn();
  assert.equal(settled, false, 'the advice is still in flight');
  cache.calls[0]!.done();
  await s;
  assert.equal(settled, true);
});

async function storeWithChunks(pageCacheOption: PageCache | null | undefined): Promise<{ file: string; written: Uint8Array[]; store: LocalStore; id: string }> {
  const dir = await tempDir();
  const store = new LocalStore(dir, pageCacheOption === undefined ? {} : { pageCache: pageCacheOption });
  const m = manifest();
  await store.create(m);
  const written = Array.from({ length: 320 }, () => randomBytes(64 * 1024));
  for (let i = 0; i < written.length; i += 8) await store.appendChunks(m.id, 1, i, written.slice(i, i + 8));
  await store.finalize(m.id, checkpoint(m.id, 1), { endedAt: new Date().toISOString(), endReason: 'closed' });
  return { file: join(dir, 'recordings', m.id, '1.chunks'), written, store, id: m.id };
}

test('a finalized recording is not left in the page cache, and reads back whole', native, async () => {
  const { file, written, store, id } = await storeWithChunks(undefined);
  assert.ok(residentBytes(file) < MIB, `at most a stray page or two of 20 MiB stays cached (${residentBytes(file)} bytes)`);
  const read = await collect(store.chunks(id, 1));
  assert.equal(read.length, written.length);
  read.forEach((c, i) => assert.ok(Buffer.from(c.data).equals(written[i]!), `chunk ${i}`));
  await store.close();
});

/** A LocalStore with one recording open whose page-cache advice is recorded in `advised`, as [from, to) ranges. */
async function adviceRecordingStore(): Promise<{ advised: [number, number][]; store: LocalStore; m: ReturnType<typeof manifest> }> {
  const advised: [number, number][] = [];
  const cache: PageCache = {
    drop: (_fd, offset, length) => {
      advised.push([offset, offset + length]);
      return Promise.resolve();
    },
  };
  const store = new LocalStore(await tempDir(), { pageCache: cache });
  const m = manifest();
  await store.create(m);
  return { advised, store, m };
}

test('a stream file is advised as it grows, before any checkpoint, and wholly after the last', async () => {
  const { advised, store, m } = await adviceRecordingStore();
  const chunk = randomBytes(64 * 1024);
  for (let i = 0; i < 320; i += 8) await store.appendChunks(m.id, 1, i, Array.from({ length: 8 }, () => chunk));
  const size = 320 * (chunk.length + 4);
  assert.ok(advised.length >= 2, `advised in steps while written: ${JSON.stringify(advised)}`);
  assert.ok(advised.every(([, to]) => to <= size));
  await store.finalize(m.id, checkpoint(m.id, 1), { endedAt: new Date().toISOString(), endReason: 'closed' });
  assert.equal(advised.at(-1)![1], size, 'after the final checkpoint the advice reaches the end of the file');
  await store.close();
});

test('with the advice off, the chunk files stay cached', async () => {
  const { file, store } = await storeWithChunks(null);
  assert.ok(residentBytes(file) > 19 * MIB);
  await store.close();
});

test('a checkpoint leaves a small rest to the end; the end advises it', async () => {
  const { advised, store, m } = await adviceRecordingStore();
  await store.appendChunks(m.id, 1, 0, [randomBytes(100 * 1024)]);
  await store.checkpoint(m.id, checkpoint(m.id, 1));
  await store.checkpoint(m.id, checkpoint(m.id, 2));
  assert.deepEqual(advised, [], 'no advice for 100 KiB at a checkpoint');
  await store.finalize(m.id, checkpoint(m.id, 3), { endedAt: new Date().toISOString(), endReason: 'closed' });
  assert.deepEqual(advised, [[0, 100 * 1024 + 4]]);
  await store.close();
});
