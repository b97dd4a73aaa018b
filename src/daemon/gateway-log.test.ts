import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RecordingError } from '../errors.js';
import { silentLogger } from '../log.js';
import { Recorder } from '../recording/recorder.js';
import { generateAuditorKey } from '../seal/keys.js';
import type { LogEntry } from '../seal/log.js';
import { RecordSealer } from '../seal/sealer.js';
import { generateSigningKey, metaHash } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { verifyRecording } from '../seal/verify.js';
import { checkRecordingLog } from '../seal/verify-log-store.js';
import { walkLog } from '../seal/verify-log.js';
import { newRecordingId } from '../store/ids.js';
import { LocalStore } from '../store/local.js';
import { GatewayLog } from './gateway-log.js';
import { sweepRetention } from './retention.js';

const s = defaultSodium();
const signer = generateSigningKey(s);
const auditor = generateAuditorKey(s);
const who = { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' };
const options = { flushInterval: 1000, chunkSize: 64 * 1024, checkpointInterval: 10_000, keystrokes: true };
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempStore(): Promise<LocalStore> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-gateway-log-'));
  dirs.push(dir);
  return new LocalStore(dir);
}

async function entries(store: LocalStore): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of store.readLog()) out.push(e);
  return out;
}

function record(store: LocalStore, journal: GatewayLog | { started(): Promise<void>; ended(): Promise<void> }): Promise<Recorder> {
  return Recorder.start({ store, sodium: s, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger(), journal }, who, options);
}

test('a recording through the gateway is entered in the log when it starts and when it ends', async () => {
  const store = await tempStore();
  const recorder = await record(store, new GatewayLog(s, store, signer));
  assert.deepEqual((await entries(store)).map((e) => [e.seq, e.kind, e.recording]), [[0, 'start', recorder.id]]);
  recorder.output(new TextEncoder().encode('hello\r\n'));
  const result = await recorder.end('closed');
  assert.equal(result.ok, true);
  const log = await entries(store);
  assert.deepEqual(log.map((e) => e.kind), ['start', 'end']);
  const end = log[1]!;
  assert.ok(end.kind === 'end');
  const summary = (await store.get(recorder.id))!;
  assert.deepEqual([end.endedAt, end.endReason, end.checkpoints], [summary.endedAt, 'closed', (await store.checkpoints(recorder.id)).length]);
  assert.deepEqual(walkLog(s, log, [signer.publicKey]).findings, []);
  await store.close();
});

test('a log that cannot be written fails the recording: at the start it is refused, at the end the result says so', async () => {
  const store = await tempStore();
  const broken = { started: () => Promise.reject(new Error('log down')), ended: () => Promise.resolve() };
  await assert.rejects(record(store, broken), (err: unknown) => err instanceof RecordingError && /cannot log the start of recording .*: log down/.test(err.message));
  const [left] = await store.list();
  assert.deepEqual([left?.status, left?.endReason], ['complete', 'recording-failed'], 'closed, not left open');

  const failingEnd = { started: () => Promise.resolve(), ended: () => Promise.reject(new Error('log down')) };
  const recorder = await record(store, failingEnd);
  const result = await recorder.end('closed');
  assert.equal(result.ok, false);
  assert.match(result.error!.message, /log down/);
  await store.close();
});

test('recovery enters the interruption before marking the recording', async () => {
  const store = await tempStore();
  const recorder = await record(store, new GatewayLog(s, store, signer));
  recorder.output(new TextEncoder().encode('cut off\r\n'));
  const tty = async (): Promise<number> => {
    const info = (await store.manifest(recorder.id)).streams.find((st) => st.name === 'tty');
    let n = 0;
    for await (const _ of store.chunks(recorder.id, info?.id ?? 0)) n++;
    return n;
  };
  while ((await tty()) === 0) await new Promise((r) => setTimeout(r, 100));
  await store.close();
  const reopened = new LocalStore(store.dataDir);
  const journal = new GatewayLog(s, reopened, signer);
  assert.deepEqual(await reopened.recoverInterrupted((found) => journal.recovered(found)), [recorder.id]);
  const last = (await entries(reopened)).at(-1)!;
  assert.ok(last.kind === 'interrupted');
  assert.deepEqual([last.recording, last.checkpoints, last.lastCheckpoint], [recorder.id, 0, null]);
  assert.equal(last.chunks['tty'], 1);
  recorder.removeAllListeners();
  await reopened.close();
});

test('retention goes by the end time the gateway signed, not an edited index, and logs each deletion first', async () => {
  const store = await tempStore();
  const journal = new GatewayLog(s, store, signer);
  const recorder = await record(store, journal);
  await recorder.end('closed');
  const { default: Database } = await import('libsql');
  const db = new Database(join(store.dataDir, 'index.db'));
  db.prepare("UPDATE recordings SET ended_at = '2001-01-01T00:00:00.000Z', started_at = '2001-01-01T00:00:00.000Z' WHERE id = ?").run(recorder.id);
  db.close();
  assert.deepEqual((await sweepRetention({ hot: store }, journal, { days: 30 }, silentLogger())).deleted, [], 'a backdated index does not get it deleted early');
  const later = Date.now() + 31 * 86_400_000;
  assert.deepEqual((await sweepRetention({ hot: store }, journal, { days: 30 }, silentLogger(), later)).deleted, [recorder.id]);
  const log = await entries(store);
  assert.deepEqual(log.map((e) => e.kind), ['start', 'end', 'deleted']);
  assert.match((log[2] as { reason: string }).reason, /^retention: ended \S+, kept 30 days$/);
  assert.deepEqual(walkLog(s, log, [signer.publicKey]).findings, []);
  await store.close();
});

test('a writer killed after signing the end but before the index said so is recovered complete, and verifies', async () => {
  const store = await tempStore();
  const journal = new GatewayLog(s, store, signer);
  const id = newRecordingId();
  const meta = { id, ...who, startedAt: new Date().toISOString() };
  const sealer = RecordSealer.create(s, { meta, recipients: [{ publicKey: auditor.publicKey }], signer });
  const events = sealer.addStream('events', 'events', 0);
  await store.create(sealer.manifest);
  await journal.started(sealer.manifest);
  await store.appendChunks(id, events.id, 0, [sealer.sealChunk(events.id, new Uint8Array([1, 2, 3]), true)]);
  const final = sealer.checkpoint({ endedAt: new Date().toISOString(), status: 'complete', endReason: 'closed' });
  await store.checkpoint(id, final);
  sealer.close();
  await store.close();

  const reopened = new LocalStore(store.dataDir);
  assert.deepEqual(await reopened.recoverInterrupted((found) => new GatewayLog(s, reopened, signer).recovered(found)), [id]);
  const summary = (await reopened.get(id))!;
  assert.deepEqual([summary.status, summary.endedAt, summary.endReason], ['complete', final.final!.endedAt, 'closed']);
  const log = await entries(reopened);
  assert.deepEqual(log.map((e) => e.kind), ['start', 'end']);
  const checkpoints = await reopened.checkpoints(id);
  const stored = { ...summary, metaHash: metaHash(s, meta), checkpoints, chunks: { events: 1 } };
  assert.deepEqual(checkRecordingLog(s, id, log, stored), []);
  const findings = await verifyRecording(s, {
    id,
    manifest: await reopened.manifest(id),
    checkpoints,
    status: summary.status,
    endedAt: summary.endedAt,
    endReason: summary.endReason,
    trustedSigners: [signer.publicKey],
    readChunks: async function* (streamId) {
      for await (const c of reopened.chunks(id, streamId)) yield c.data;
    },
  });
  assert.deepEqual(findings, []);
  await reopened.close();
});
