import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../log.js';
import { FrameKind } from '../../recording/frames.js';
import { RecordingReader } from '../../recording/reader.js';
import { Recorder } from '../../recording/recorder.js';
import { generateAuditorKey } from '../../seal/keys.js';
import { chainLogEntry, deletedEvent } from '../../seal/log.js';
import { generateSigningKey } from '../../seal/signing.js';
import { defaultSodium } from '../../seal/sodium.js';
import { verifyRecording } from '../../seal/verify.js';
import { StoreError } from '../../errors.js';
import { LocalStore } from '../local.js';
import type { RecordingStore } from '../types.js';
import { readRecords } from './format.js';
import { SpoolingStore } from './spooling-store.js';
import { isUnreachable, StoreUnreachableError } from './unreachable.js';

const s = defaultSodium();
const auditor = generateAuditorKey(s);
const signer = generateSigningKey(s);
const who = { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' };
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const WRITES = new Set(['create', 'addStream', 'appendChunks', 'checkpoint', 'finalize', 'appendLog']);

/** A real LocalStore behind a switch: `down` makes every call fail as an unreachable server does. */
interface Flaky {
  store: RecordingStore;
  local: LocalStore;
  down: boolean;
  /** The next `appendChunks` is stored, then fails as if the reply were lost. */
  loseNextReply: boolean;
  /** The next write is refused (a constraint violation: not unreachable). */
  refuseNext: boolean;
}

function flaky(local: LocalStore): Flaky {
  const f: Flaky = { store: undefined as never, local, down: false, loseNextReply: false, refuseNext: false };
  f.store = new Proxy(local, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'chunks' || prop === 'tail' || prop === 'readLog') {
        return (...args: unknown[]) => (async function* () {
          if (f.down) throw new StoreUnreachableError('connect ECONNREFUSED 127.0.0.1:5432');
          yield* fn.apply(target, args) as AsyncIterable<unknown>;
        })();
      }
      return async (...args: unknown[]) => {
        if (f.down) throw new StoreUnreachableError('connect ECONNREFUSED 127.0.0.1:5432');
        if (f.refuseNext && WRITES.has(String(prop))) {
          f.refuseNext = false;
          throw new StoreError('duplicate key value violates unique constraint');
        }
        const result = await fn.apply(target, args);
        if (prop === 'appendChunks' && f.loseNextReply) {
          f.loseNextReply = false;
          throw new StoreUnreachableError('Connection terminated unexpectedly');
        }
        return result;
      };
    },
  });
  return f;
}

async function setup(maxBytes = 64 * 1024 * 1024): Promise<{ dataDir: string; spoolDir: string; f: Flaky; store: SpoolingStore }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'recgate-spool-store-'));
  dirs.push(dataDir);
  const spoolDir = join(dataDir, 'spool');
  const f = flaky(new LocalStore(dataDir));
  const store = await SpoolingStore.open(f.store, { dir: spoolDir, maxBytes, log: silentLogger(), retryMinMs: 20, retryMaxMs: 50, segmentBytes: 4096 });
  return { dataDir, spoolDir, f, store };
}

const start = (store: RecordingStore): Promise<Recorder> =>
  Recorder.start({ store, sodium: s, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger() }, who, {
    flushInterval: 10, chunkSize: 512, checkpointInterval: 40, keystrokes: false,
  });

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function ttyText(store: RecordingStore, id: string): Promise<string> {
  const reader = await RecordingReader.open(store, s, (await store.get(id))!, auditor);
  let text = '';
  for await (const frame of reader.frames('tty')) if (frame.kind === FrameKind.Data) text += Buffer.from(frame.data).toString('utf8');
  reader.close();
  return text;
}

async function verify(store: RecordingStore, id: string): Promise<unknown[]> {
  const summary = (await store.get(id))!;
  return verifyRecording(s, {
    id, manifest: await store.manifest(id), checkpoints: await store.checkpoints(id), status: summary.status, trustedSigners: [signer.publicKey],
    readChunks: (streamId) => (async function* () {
      for await (const c of store.chunks(id, streamId)) yield c.data;
    })(),
  });
}

const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => `line ${from + i} ${'x'.repeat(40)}\r\n`).join('');

test('while the store answers, writes go straight through and nothing is spooled', async () => {
  const { spoolDir, store, f } = await setup();
  const rec = await start(store);
  rec.output(Buffer.from(lines(0, 20)));
  assert.equal((await rec.end('closed')).ok, true);
  assert.deepEqual(store.health(), { state: 'up', spooledBytes: 0, spooledChunks: 0, drainedChunks: 0 });
  assert.deepEqual((await readdir(spoolDir)).filter((n) => n.endsWith('.spool')), []);
  assert.equal(await ttyText(f.local, rec.id), lines(0, 20));
  assert.deepEqual(await verify(f.local, rec.id), []);
  await store.close();
});

test('an outage mid-recording: writes are spooled and acknowledged, a live reader sees them, and the spool drains in order once the store is back', async () => {
  const { store, f } = await setup();
  const rec = await start(store);
  rec.output(Buffer.from(lines(0, 30)));
  await new Promise((r) => setTimeout(r, 80));
  const tty = (await store.manifest(rec.id)).streams.find((x) => x.name === 'tty')!;
  const seen: number[] = [];
  const viewer = new AbortController();
  const following = (async () => {
    for await (const c of store.tail(rec.id, tty.id, 0, viewer.signal)) seen.push(c.index);
  })();
  await waitFor('the viewer', () => seen.length > 0);
  const storedBefore = rec.stored().find((x) => x.stream.name === 'tty')!.chunks;
  f.down = true;
  let failed: Error | undefined;
  rec.on('error', (err: Error) => (failed = err));
  for (let i = 30; i < 300; i += 30) {
    rec.output(Buffer.from(lines(i, i + 30)));
    await new Promise((r) => setTimeout(r, 20));
  }
  await waitFor('chunks in the spool', () => store.health().spooledChunks > 5);
  const h = store.health();
  assert.equal(h.state, 'spooling');
  assert.ok(h.spooledBytes > 0);
  assert.match(h.detail ?? '', /unreachable/);
  // The live viewer on this node (started before the outage) follows it: the spooled chunks reach it.
  await waitFor('the viewer past the outage', () => seen.length > storedBefore + 3);
  assert.equal(store.health().state, 'spooling');
  assert.deepEqual(seen, seen.map((_, i) => i));

  f.down = false;
  await waitFor('the store up again', () => store.health().state === 'up');
  rec.output(Buffer.from(lines(300, 310)));
  assert.equal((await rec.end('closed')).ok, true);
  await following;
  viewer.abort();
  assert.equal(failed, undefined);
  assert.deepEqual(seen, seen.map((_, i) => i), 'the viewer saw every chunk once, in order');
  const after = store.health();
  assert.equal(after.spooledBytes, 0);
  assert.equal(after.drainedChunks, after.spooledChunks);
  assert.equal(await ttyText(f.local, rec.id), lines(0, 310));
  assert.deepEqual(await verify(f.local, rec.id), []);
  await store.close();
});

test('a reply lost during the replay (the store took the write) stores nothing twice', async () => {
  const { store, f, spoolDir } = await setup();
  const rec = await start(store);
  f.down = true;
  rec.output(Buffer.from(lines(0, 100)));
  await new Promise((r) => setTimeout(r, 100));
  f.loseNextReply = true;
  f.down = false;
  await waitFor('the store up again', () => store.health().state === 'up');
  assert.equal(f.loseNextReply, false, 'a reply was lost during the replay');
  assert.equal((await rec.end('closed')).ok, true);
  assert.equal(await ttyText(f.local, rec.id), lines(0, 100));
  assert.deepEqual(await verify(f.local, rec.id), []);
  assert.ok(!(await readdir(spoolDir)).includes('rejected'), 'no write was refused');
  await store.close();
});

test('a write the store refuses is an error, not a reason to spool', async () => {
  const { store, f } = await setup();
  f.refuseNext = true;
  await assert.rejects(start(store), /unique constraint/);
  assert.equal(store.health().state, 'up');
  assert.equal(store.health().spooledChunks, 0);
  await store.close();
});

test('a node stopped while spooling leaves a spool the next start replays, a torn last record left out', async () => {
  const { dataDir, spoolDir, store, f } = await setup();
  f.down = true;
  const rec = await start(store);
  rec.output(Buffer.from(lines(0, 50)));
  await new Promise((r) => setTimeout(r, 150));
  await waitFor('chunks in the spool', () => store.health().spooledChunks > 3);
  // The process dies here: its recorder never ends; a record was being written.
  const segments = (await readdir(spoolDir)).filter((n) => n.endsWith('.spool')).sort();
  await appendFile(join(spoolDir, segments.at(-1)!), Buffer.from('RGSP\0\0\0\x40half'));
  await store.close();

  const local = new LocalStore(dataDir);
  const next = await SpoolingStore.open(local, { dir: spoolDir, maxBytes: 1 << 26, log: silentLogger() });
  assert.equal(next.health().state, 'spooling');
  // Recovery replays the spool first (the local store then leaves this process's own recordings alone).
  await next.recoverInterrupted();
  assert.equal(next.health().state, 'up');
  assert.equal(next.health().spooledBytes, 0);
  assert.deepEqual((await readdir(spoolDir)).filter((n) => n.endsWith('.spool')), []);
  assert.equal((await local.get(rec.id))?.user, 'alice');
  // Everything acknowledged verifies up to the last spooled checkpoint: no error, at most warnings.
  const findings = (await verify(local, rec.id)) as { severity: string }[];
  assert.deepEqual(findings.filter((x) => x.severity === 'error'), []);
  assert.ok((await ttyText(local, rec.id)).startsWith(lines(0, 10)));
  await next.close();
});

test('a damaged segment: the records before the damage are replayed, the file is kept for inspection, the spool goes on', async () => {
  const { dataDir, spoolDir, store, f } = await setup();
  f.down = true;
  const rec = await start(store);
  rec.output(Buffer.from(lines(0, 40)));
  await new Promise((r) => setTimeout(r, 150));
  await waitFor('chunks in the spool', () => store.health().spooledChunks > 3);
  await store.close();
  // A byte flipped in the last record of the newest segment.
  const segments = (await readdir(spoolDir)).filter((n) => n.endsWith('.spool')).sort();
  const damaged = segments.at(-1)!;
  const bytes = await readFile(join(spoolDir, damaged));
  const held = await Promise.all(segments.map(async (n) => readRecords(n === damaged ? bytes : await readFile(join(spoolDir, n))).records));
  const lost = held.at(-1)!.at(-1)!;
  assert.ok(held.at(-1)!.length > 1, 'the damaged segment holds records before the damaged one');
  bytes[lost.end - 3]! ^= 0xff;
  await writeFile(join(spoolDir, damaged), bytes);
  const expected = new Map<number, number>();
  for (const { record } of held.flat().slice(0, -1)) if (record.kind === 'append') expected.set(record.streamId, (expected.get(record.streamId) ?? 0) + record.chunks.length);

  const local = new LocalStore(dataDir);
  const next = await SpoolingStore.open(local, { dir: spoolDir, maxBytes: 1 << 26, log: silentLogger() });
  await next.recoverInterrupted();
  assert.equal(next.health().state, 'up');
  const files = await readdir(spoolDir);
  assert.ok(files.includes(damaged.replace('.spool', '.corrupt')), `kept: ${files.join(' ')}`);
  assert.equal((await local.get(rec.id))?.user, 'alice', 'the records before the damage reached the store');
  for (const [streamId, count] of expected) {
    let stored = 0;
    for await (const _ of local.chunks(rec.id, streamId)) stored++;
    assert.equal(stored, count, `stream ${streamId}: every chunk spooled before the damaged record is in the store`);
  }
  await next.close();
});

test('a full spool fails the write (the recorder reports it) and keeps what it acknowledged', async () => {
  const { store, f } = await setup(6 * 1024);
  const rec = await start(store);
  f.down = true;
  const failure = new Promise<Error>((resolve) => rec.once('error', resolve));
  for (let i = 0; i < 400 && !rec.failed; i += 20) {
    rec.output(Buffer.from(lines(i, i + 20)));
    await new Promise((r) => setTimeout(r, 15));
  }
  assert.match((await failure).message, /spool is full/);
  assert.equal(store.health().state, 'down');
  assert.match(store.health().detail ?? '', /spool is full/);
  const spooled = store.health().spooledChunks;
  assert.ok(spooled > 0);
  f.down = false;
  await waitFor('the spool drained', () => store.health().state === 'up');
  assert.equal(store.health().drainedChunks, spooled);
  await rec.end('closed');
  // Everything acknowledged is in the store, in order, from the start.
  const text = await ttyText(f.local, rec.id);
  assert.ok(text.length > 0 && lines(0, 400).startsWith(text), 'a prefix of what was written');
  await store.close();
});

test('log entries made while the store is down chain on whatever was appended meanwhile', async () => {
  const { store, f } = await setup();
  f.down = true;
  const mine = await store.appendLog((last) => chainLogEntry(s, signer, last, deletedEvent('mine', 'test')));
  assert.equal(mine.recording, 'mine');
  // Another node appends while this one cannot reach the store.
  await f.local.appendLog((last) => chainLogEntry(s, signer, last, deletedEvent('theirs', 'test')));
  f.down = false;
  await waitFor('the store up again', () => store.health().state === 'up');
  const entries = [];
  for await (const e of f.local.readLog()) entries.push(e);
  assert.deepEqual(entries.map((e) => [e.seq, e.kind === 'deleted' ? e.recording : '']), [[0, 'theirs'], [1, 'mine']]);
  await store.close();
});

test('unreachable is told from refused, through wrapped causes', () => {
  const wrap = (cause: unknown): Error => new StoreError('store write failed', { cause });
  for (const e of [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    new Error('Connection terminated unexpectedly'),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    new Error('timeout exceeded when trying to connect'),
  ]) {
    assert.ok(isUnreachable(e), e.message);
    assert.ok(isUnreachable(wrap(e)), `wrapped: ${e.message}`);
  }
  for (const e of [Object.assign(new Error('duplicate key'), { code: '23505' }), new StoreError('recording r1: stream 2 expects chunk 4, got 3'), undefined, 'text']) {
    assert.ok(!isUnreachable(e), String(e));
  }
});
