import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../log.js';
import { generateAuditorKey } from '../seal/keys.js';
import type { Checkpoint } from '../seal/manifest.js';
import { generateSigningKey } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { verifyRecording } from '../seal/verify.js';
import { LocalStore } from '../store/local.js';
import { TableRows } from '../transcript/table-frame.js';
import { FrameKind, type Frame } from './frames.js';
import { RecordingReader } from './reader.js';
import { Recorder, WATCHED_FLUSH_MS, type RecorderOptions, type StoredCount } from './recorder.js';

const s = defaultSodium();
const auditor = generateAuditorKey(s);
const signer = generateSigningKey(s);
const who = { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' };
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function setup(options: Partial<RecorderOptions> = {}, store?: LocalStore): Promise<{ store: LocalStore; recorder: Recorder }> {
  if (!store) {
    const dir = await mkdtemp(join(tmpdir(), 'recgate-recorder-'));
    dirs.push(dir);
    store = new LocalStore(dir);
  }
  const recorder = await Recorder.start(
    { store, sodium: s, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger() },
    who,
    { flushInterval: 1000, chunkSize: 64 * 1024, checkpointInterval: 10_000, keystrokes: true, ...options },
  );
  return { store, recorder };
}

async function frames(store: LocalStore, id: string, stream: string): Promise<Frame[]> {
  const reader = await RecordingReader.open(store, s, (await store.get(id))!, auditor);
  const out: Frame[] = [];
  for await (const f of reader.frames(stream)) out.push(f);
  reader.close();
  return out;
}

const chunkSizes = async (store: LocalStore, id: string, name: string): Promise<number[]> => {
  const info = (await store.manifest(id)).streams.find((x) => x.name === name);
  const sizes: number[] = [];
  if (!info) return sizes;
  for await (const c of store.chunks(id, info.id)) sizes.push(c.data.length);
  return sizes;
};

test('output is chunked at the chunk size, growing while busy, and read back whole, in order, with times', async () => {
  const { store, recorder } = await setup();
  recorder.terminal(0, { term: 'xterm', cols: 80, rows: 24 });
  const big = new Uint8Array(200_000).map((_, i) => i % 251);
  recorder.output(big);
  recorder.output(new TextEncoder().encode('tail'));
  const result = await recorder.end('closed');
  assert.equal(result.ok, true);

  const sizes = await chunkSizes(store, recorder.id, 'tty');
  // 64 KiB, then 128 KiB (the first filled up), then the rest: at most 256 KiB each while busy.
  assert.ok(sizes.length >= 3, `${sizes}`);
  for (const [i, size] of sizes.entries()) assert.ok(size <= (64 << Math.min(i, 2)) * 1024 + 16, `chunk ${i} of ${size} bytes`);
  assert.ok(sizes[1]! > 64 * 1024 + 16, `the second chunk grew: ${sizes}`);
  const data = (await frames(store, recorder.id, 'tty')).flatMap((f) => (f.kind === FrameKind.Data ? [...f.data] : []));
  assert.deepEqual(Buffer.from(data), Buffer.concat([big, Buffer.from('tail')]));
  await store.close();
});

test('a frame waits at most the flush interval before it is in the store', async () => {
  const { store, recorder } = await setup({ flushInterval: 100 });
  recorder.output(new TextEncoder().encode('soon'));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(await chunkSizes(store, recorder.id, 'tty'), []);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal((await chunkSizes(store, recorder.id, 'tty')).length, 1);
  await recorder.end('closed');
  await store.close();
});

test('a checkpoint flushes early and cancels the flush that was due; nothing of the recording is left scheduled after end()', async () => {
  const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timeouts();
  const { store, recorder } = await setup({ flushInterval: 60_000, checkpointInterval: 40 });
  recorder.output(new TextEncoder().encode('before the checkpoint'));
  for (let waited = 0; waited < 5000 && (await chunkSizes(store, recorder.id, 'tty')).length === 0; waited += 20) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await chunkSizes(store, recorder.id, 'tty')).length, 1, 'the checkpoint stored the frame without waiting for the flush interval');
  recorder.output(new TextEncoder().encode('after it'));
  await recorder.end('closed');
  assert.equal(timeouts(), before, 'no flush timer outlives the recording');
  assert.equal((await chunkSizes(store, recorder.id, 'tty')).length, 2);
  await store.close();
});

test('each chunk the store accepted is announced with its stream, and stored() counts them', async () => {
  const { store, recorder } = await setup({ flushInterval: 20 });
  const seen: string[] = [];
  recorder.on('stored', (c: StoredCount) => seen.push(`${c.stream.name}:${c.chunks}`));
  recorder.terminal(0, { cols: 80, rows: 24 });
  recorder.output(new TextEncoder().encode('one'));
  recorder.input(new TextEncoder().encode('k'));
  await new Promise((r) => setTimeout(r, 100));
  const counts = Object.fromEntries(recorder.stored().map((c) => [c.stream.name, c.chunks]));
  assert.deepEqual(counts, { events: 1, tty: 1, input: 1 });
  // What is announced is readable: the store holds exactly that many chunks.
  assert.equal((await chunkSizes(store, recorder.id, 'tty')).length, 1);
  recorder.output(new TextEncoder().encode('two'));
  await recorder.end('closed');
  assert.ok(seen.includes('tty:1') && seen.includes('tty:2') && seen.includes('events:2') && seen.includes('input:2'), seen.join(' '));
  await store.close();
});

test('while watched live a frame waits at most WATCHED_FLUSH_MS; unwatched, the flush interval', async () => {
  const { store, recorder } = await setup({ flushInterval: 1500 });
  recorder.output(new TextEncoder().encode('unwatched'));
  await new Promise((r) => setTimeout(r, WATCHED_FLUSH_MS + 300));
  assert.deepEqual(await chunkSizes(store, recorder.id, 'tty'), [], 'unwatched: still waiting for the flush interval');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await chunkSizes(store, recorder.id, 'tty')).length, 1);
  recorder.watchFor(10_000);
  recorder.output(new TextEncoder().encode('watched'));
  await new Promise((r) => setTimeout(r, WATCHED_FLUSH_MS + 300));
  assert.equal((await chunkSizes(store, recorder.id, 'tty')).length, 2, 'watched: stored within WATCHED_FLUSH_MS');
  await recorder.end('closed');
  await store.close();
});

test('a recording can be read while it is still being written, and followed live', async () => {
  const { store, recorder } = await setup({ flushInterval: 20 });
  recorder.output(new TextEncoder().encode('first '));
  await new Promise((r) => setTimeout(r, 80));
  const summary = (await store.get(recorder.id))!;
  assert.equal(summary.status, 'recording');
  const reader = await RecordingReader.open(store, s, summary, auditor);
  const sofar = [];
  for await (const f of reader.frames('tty')) if (f.kind === FrameKind.Data) sofar.push(Buffer.from(f.data).toString());
  assert.deepEqual(sofar, ['first ']);

  const live: string[] = [];
  const following = (async () => {
    for await (const f of reader.follow('tty')) if (f.kind === FrameKind.Data) live.push(Buffer.from(f.data).toString());
  })();
  recorder.output(new TextEncoder().encode('second'));
  await new Promise((r) => setTimeout(r, 80));
  await recorder.end('closed');
  await following;
  reader.close();
  assert.deepEqual(live, ['first ', 'second']);
  await store.close();
});

test('times are milliseconds from the start and never go back', async () => {
  const { store, recorder } = await setup();
  recorder.input(new TextEncoder().encode('a'));
  await new Promise((r) => setTimeout(r, 120));
  recorder.input(new TextEncoder().encode('b'));
  recorder.event({ type: 'command', command: 'ab' });
  await recorder.end('closed');
  const input = await frames(store, recorder.id, 'input');
  assert.equal(input.length, 2);
  assert.ok(input[1]!.t - input[0]!.t >= 110, `${input.map((f) => f.t)}`);
  const events = (await frames(store, recorder.id, 'events')).flatMap((f) => (f.kind === FrameKind.Event ? [f] : []));
  assert.deepEqual(events.map((e) => e.event.type), ['terminal', 'command', 'end']);
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.t >= events[i - 1]!.t);
  await store.close();
});

test('a keystroke recorded late keeps the time it was typed, never before the stream\'s last frame nor after now', async () => {
  const { store, recorder } = await setup();
  const typed = recorder.now();
  await new Promise((r) => setTimeout(r, 120));
  recorder.input(new TextEncoder().encode('a'), 0, typed);
  recorder.input(new TextEncoder().encode('b'));
  recorder.input(new TextEncoder().encode('c'), 0, typed);
  recorder.input(new TextEncoder().encode('d'), 0, recorder.now() + 60_000);
  await recorder.end('closed');
  const [a, b, c, d] = await frames(store, recorder.id, 'input');
  assert.equal(a!.t, typed);
  assert.ok(b!.t >= typed + 110, `${a!.t} ${b!.t}`);
  assert.equal(c!.t, b!.t, 'clamped to the last frame of the stream');
  assert.ok(d!.t < b!.t + 1000, 'clamped to now');
  await store.close();
});

test('an oversized event is kept as a marker with its size', async () => {
  const { store, recorder } = await setup();
  recorder.event({ type: 'query', text: 'x'.repeat(2 << 20) });
  recorder.event({ type: 'query', text: 'small' });
  await recorder.end('closed');
  const events = (await frames(store, recorder.id, 'events')).flatMap((f) => (f.kind === FrameKind.Event ? [f.event] : []));
  assert.equal(events[0]!.type, 'query');
  assert.equal(events[0]!.truncated, true);
  assert.ok((events[0]!.bytes as number) > 2 << 20);
  assert.equal(events[1]!.text, 'small');
  for (const size of await chunkSizes(store, recorder.id, 'events')) assert.ok(size <= 64 * 1024 + 16);
  await store.close();
});

test('events are their JSON as UTF-8, whatever the characters, across chunk boundaries', async () => {
  const { store, recorder } = await setup({ chunkSize: 512 });
  const sent = Array.from({ length: 200 }, (_, i) => ({ type: 'query', text: `select '${'é😀\u2028\ud800"\\'.repeat(i % 7)}' -- ${i}`, rows: i }));
  for (const e of sent) recorder.event(e);
  await recorder.end('closed');
  const eventFrames = (await frames(store, recorder.id, 'events')).flatMap((f) => (f.kind === FrameKind.Event ? [f] : []));
  const queries = eventFrames.map((f) => f.event).filter((e) => e.type === 'query');
  assert.deepEqual(queries, sent.map((e) => JSON.parse(JSON.stringify(e))));
  assert.ok((await chunkSizes(store, recorder.id, 'events')).length > 5);
  await store.close();
});

test('result tables are kept as table frames and read back as their text, in order with the text around them; one too big for a chunk is recorded as its text', async () => {
  const { store, recorder } = await setup({ chunkSize: 1024 });
  const table = (rows: number): TableRows => {
    const t = new TableRows(1000);
    t.columns([{ name: 'n', align: 'right' }]);
    for (let i = 0; i < rows; i++) t.row([String(i)]);
    return t;
  };
  const small = table(3);
  const big = table(1000);
  const expected = ['app=> select 3;\r\n', small.render(), 'app=> select 1000;\r\n', big.render(), 'app=> '];
  recorder.outputText(expected[0]!);
  recorder.outputTable(small.payload());
  recorder.outputText(expected[2]!);
  recorder.outputTable(big.payload());
  recorder.outputText(expected[4]!);
  await recorder.end('closed');
  const chunks: Uint8Array[] = [];
  for await (const c of store.chunks(recorder.id, (await store.manifest(recorder.id)).streams.find((x) => x.name === 'tty')!.id)) chunks.push(c.data);
  assert.ok(chunks.length >= 3, 'the big table took several chunks, as text');
  const text = (await frames(store, recorder.id, 'tty')).flatMap((f) => (f.kind === FrameKind.Data ? [Buffer.from(f.data).toString()] : []));
  assert.equal(text.join(''), expected.join(''));
  await store.close();
});

test('a result table is stored as its values, in fewer bytes than its text', async () => {
  const { store, recorder } = await setup();
  const table = new TableRows(10);
  // Right-aligned under a wide name, each value is padded to the name's width in the text.
  table.columns([{ name: 'a wide column name '.repeat(5), align: 'right' }]);
  for (let i = 0; i < 8; i++) table.row([String(i)]);
  const text = table.render();
  recorder.outputTable(table.payload());
  await recorder.end('closed');
  const stored = (await chunkSizes(store, recorder.id, 'tty')).reduce((a, b) => a + b, 0);
  assert.ok(stored < text.length / 2, `${stored} bytes stored for ${text.length} of text`);
  const read = (await frames(store, recorder.id, 'tty')).flatMap((f) => (f.kind === FrameKind.Data ? [Buffer.from(f.data).toString()] : []));
  assert.equal(read.join(''), text);
  await store.close();
});

test('without keystrokes there is no input stream at all', async () => {
  const { store, recorder } = await setup({ keystrokes: false });
  recorder.input(new TextEncoder().encode('secret'));
  recorder.output(new TextEncoder().encode('shown'));
  await recorder.end('closed');
  assert.deepEqual((await store.manifest(recorder.id)).streams.map((x) => x.name), ['events', 'tty']);
  await store.close();
});

test('a terminal nobody types on has no input stream, and its store no file for one; the first keystroke opens it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-recorder-'));
  dirs.push(dir);
  const { store, recorder } = await setup({}, new LocalStore(dir));
  recorder.output(new TextEncoder().encode('a database session writes only its transcript'));
  recorder.input(new Uint8Array(0));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual((await store.manifest(recorder.id)).streams.map((x) => x.name), ['events', 'tty']);
  // One file per stream in the manifest, and no other.
  const files = async (): Promise<[string[], string[]]> => [
    (await readdir(join(dir, 'recordings', recorder.id))).filter((f) => f.endsWith('.chunks')).sort(),
    (await store.manifest(recorder.id)).streams.map((x) => `${x.id}.chunks`).sort(),
  ];
  const [quiet, quietDeclared] = await files();
  assert.deepEqual(quiet, quietDeclared);
  assert.equal(quiet.length, 2);
  recorder.input(new TextEncoder().encode('x'));
  await recorder.end('closed');
  assert.deepEqual((await store.manifest(recorder.id)).streams.map((x) => x.name), ['events', 'tty', 'input']);
  const [typed, typedDeclared] = await files();
  assert.deepEqual(typed, typedDeclared);
  assert.equal(typed.length, 3);
  assert.deepEqual((await frames(store, recorder.id, 'input')).flatMap((f) => (f.kind === FrameKind.Data ? [Buffer.from(f.data).toString()] : [])), ['x']);
  await store.close();
});

test('a terminal declared with the recording is in the manifest the store first writes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-recorder-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  const writes: string[] = [];
  const addStream = store.addStream.bind(store);
  store.addStream = (id, stream) => {
    writes.push(stream.name);
    return addStream(id, stream);
  };
  const recorder = await Recorder.start(
    { store, sodium: s, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger() },
    { ...who, protocol: 'postgres' },
    { flushInterval: 1000, chunkSize: 64 * 1024, checkpointInterval: 10_000, keystrokes: true },
    { cols: 160, rows: 48 },
  );
  assert.deepEqual((await store.manifest(recorder.id)).streams.map((x) => x.name), ['events', 'tty']);
  recorder.terminal(0, { cols: 160, rows: 48 });
  recorder.output(new TextEncoder().encode('app=> SELECT 1;'));
  await recorder.end('closed');
  assert.deepEqual(writes, [], 'no stream was added after the recording was created');
  const tty = await frames(store, recorder.id, 'tty');
  assert.deepEqual(tty.map((f) => f.kind), [FrameKind.Resize, FrameKind.Data]);
  assert.deepEqual(tty[0], { kind: FrameKind.Resize, t: tty[0]!.t, cols: 160, rows: 48 });
  await store.close();
});

test('a second terminal channel gets its own streams', async () => {
  const { store, recorder } = await setup();
  recorder.output(new TextEncoder().encode('zero'));
  recorder.input(new TextEncoder().encode('a'));
  recorder.terminal(1, { cols: 100, rows: 30 });
  recorder.output(new TextEncoder().encode('one'), 1);
  recorder.input(new TextEncoder().encode('b'), 1);
  await recorder.end('closed');
  assert.deepEqual((await store.manifest(recorder.id)).streams.map((x) => x.name), ['events', 'tty', 'input', 'tty-1', 'input-1']);
  const one = (await frames(store, recorder.id, 'tty-1')).flatMap((f) => (f.kind === FrameKind.Data ? [Buffer.from(f.data).toString()] : []));
  assert.deepEqual(one, ['one']);
  await store.close();
});

test('checkpoints are signed along the way and the recording verifies', async () => {
  const { store, recorder } = await setup({ checkpointInterval: 50, flushInterval: 20 });
  for (let i = 0; i < 5; i++) {
    recorder.output(new TextEncoder().encode(`line ${i}\r\n`));
    await new Promise((r) => setTimeout(r, 60));
  }
  await recorder.end('closed');
  const checkpoints: Checkpoint[] = await store.checkpoints(recorder.id);
  assert.ok(checkpoints.length >= 3, `${checkpoints.length} checkpoints`);
  assert.ok(checkpoints.at(-1)!.final);
  const findings = await verifyRecording(s, {
    id: recorder.id,
    manifest: await store.manifest(recorder.id),
    checkpoints,
    status: 'complete',
    trustedSigners: [signer.publicKey],
    readChunks: (streamId) => (async function* () {
      for await (const c of store.chunks(recorder.id, streamId)) yield c.data;
    })(),
  });
  assert.deepEqual(findings, []);
  await store.close();
});

test('writes report backpressure while the store lags, and drain follows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-recorder-'));
  dirs.push(dir);
  class SlowStore extends LocalStore {
    override async appendChunks(id: string, streamId: number, from: number, chunks: Uint8Array[]): Promise<void> {
      await new Promise((r) => setTimeout(r, 5));
      return super.appendChunks(id, streamId, from, chunks);
    }
  }
  const { store, recorder } = await setup({ chunkSize: 4096, highWaterMark: 16 * 1024 }, new SlowStore(dir));
  let accepted = 0;
  const piece = new Uint8Array(4096);
  while (recorder.output(piece)) accepted++;
  assert.ok(accepted < 8, `accepted ${accepted} writes before backpressure`);
  await new Promise((r) => recorder.once('drain', r));
  assert.equal(recorder.writable, true);
  await recorder.end('closed');
  await store.close();
});

test('a store that fails makes the recorder report an error once, and end() says the recording is incomplete', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-recorder-'));
  dirs.push(dir);
  class FullStore extends LocalStore {
    override async appendChunks(): Promise<void> {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
  }
  const { store, recorder } = await setup({ flushInterval: 10 }, new FullStore(dir));
  const errors: Error[] = [];
  recorder.on('error', (e: Error) => errors.push(e));
  recorder.output(new TextEncoder().encode('lost?'));
  await new Promise((r) => setTimeout(r, 50));
  recorder.output(new TextEncoder().encode('more'));
  const result = await recorder.end('closed');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, new RegExp(`recording ${recorder.id} cannot be written: ENOSPC`));
  assert.equal(result.ok, false);
  assert.equal(result.error?.code, 'RG_ERR_RECORDING');
  assert.equal(recorder.failed, true);
  await store.close();
});

test('a recording needs at least one recipient', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-recorder-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  await assert.rejects(
    Recorder.start({ store, sodium: s, signer, recipients: [], log: silentLogger() }, who),
    { code: 'RG_ERR_RECORDING' },
  );
  assert.deepEqual(await store.list(), []);
  await store.close();
});

test('recordings started apart checkpoint in one turn of the event loop when due together, so the store can sync them at once', async () => {
  // checkpointInterval 400: a grid of 40 ms (checkpoint-clock.ts). Both start early in one grid step.
  while (performance.now() % 40 > 10) await new Promise((r) => setTimeout(r, 1));
  const first = await setup({ checkpointInterval: 400 });
  await new Promise((r) => setTimeout(r, 5));
  const second = await setup({ checkpointInterval: 400 }, first.store);
  let turn = 0;
  let spinning = true;
  const spin = (): void => {
    turn++;
    if (spinning) setImmediate(spin);
  };
  spin();
  const turns = new Map<string, number>();
  const checkpoint = first.store.checkpoint.bind(first.store);
  first.store.checkpoint = (id, cp) => {
    if (!turns.has(id)) turns.set(id, turn);
    return checkpoint(id, cp);
  };
  for (const r of [first.recorder, second.recorder]) r.event({ type: 'note', text: 'to checkpoint' });
  for (let waited = 0; waited < 5000 && turns.size < 2; waited += 20) await new Promise((r) => setTimeout(r, 20));
  spinning = false;
  assert.equal(turns.size, 2, 'both checkpointed');
  assert.equal(turns.get(first.recorder.id), turns.get(second.recorder.id), 'in the same turn');
  await Promise.all([first.recorder.end('closed'), second.recorder.end('closed')]);
  await first.store.close();
});
