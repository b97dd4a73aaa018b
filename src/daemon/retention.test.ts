/**
 * Retention over real local stores: deletion by crypto-shredding (keys
 * destroyed before chunks, nothing left that holds them), the archive tier's
 * move (an exact copy that verifies, checked before the original goes), moves
 * and deletions cut short by a crash and finished by the next sweep, and the
 * hot store with the archive behind it as the CLI reads them.
 */
import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { filesUnder } from '../../test/fixtures/files-under.js';
import { silentLogger } from '../log.js';
import { Recorder } from '../recording/recorder.js';
import { generateAuditorKey } from '../seal/keys.js';
import type { LogEntry } from '../seal/log.js';
import { RecordOpener } from '../seal/opener.js';
import { generateSigningKey } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { verifyRecording } from '../seal/verify.js';
import { walkLog } from '../seal/verify-log.js';
import { copyDifference, moveRecording, recordingCopy } from '../store/archive.js';
import { shredManifest } from '../store/local-import.js';
import { LocalStore } from '../store/local.js';
import { TieredStore } from '../store/tiered.js';
import type { RecordingStore, StoredChunk } from '../store/types.js';
import { GatewayLog } from './gateway-log.js';
import { sweepRetention } from './retention.js';

const s = defaultSodium();
const signer = generateSigningKey(s);
const auditor = generateAuditorKey(s);
const who = { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' };
const options = { flushInterval: 1000, chunkSize: 1024, checkpointInterval: 10_000, keystrokes: true };
const DAY = 86_400_000;
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempStore(name: string): Promise<LocalStore> {
  const dir = await mkdtemp(join(tmpdir(), `recgate-retention-${name}-`));
  dirs.push(dir);
  return new LocalStore(dir);
}

/** A finished recording of several chunks per stream, through the gateway's log. */
async function record(store: LocalStore, journal: GatewayLog, text = 'hello'): Promise<string> {
  const recorder = await Recorder.start({ store, sodium: s, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger(), journal }, who, options);
  recorder.terminal(0, { term: 'xterm', cols: 80, rows: 24 });
  // 12 KB: chunks of 1, 2 and 4 KiB (a busy stream's chunks grow), then more of 4 KiB.
  for (let i = 0; i < 40; i++) {
    recorder.output(new TextEncoder().encode(`${text} ${i} ${'x'.repeat(300)}\r\n`));
    recorder.input(new TextEncoder().encode('y'));
  }
  recorder.event({ type: 'command', command: 'ls' });
  const result = await recorder.end('closed');
  assert.equal(result.ok, true);
  return recorder.id;
}

async function entries(store: RecordingStore): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of store.readLog()) out.push(e);
  return out;
}

async function allChunks(store: RecordingStore, id: string, streamId: number): Promise<StoredChunk[]> {
  const out: StoredChunk[] = [];
  for await (const c of store.chunks(id, streamId)) out.push(c);
  return out;
}

async function verify(store: RecordingStore, id: string): Promise<unknown[]> {
  const summary = (await store.get(id))!;
  return verifyRecording(s, {
    id,
    manifest: await store.manifest(id),
    checkpoints: await store.checkpoints(id),
    status: summary.status,
    endedAt: summary.endedAt,
    endReason: summary.endReason,
    trustedSigners: [signer.publicKey],
    readChunks: async function* (streamId) {
      for await (const c of store.chunks(id, streamId)) yield c.data;
    },
  });
}

test('deleting a local recording destroys its sealed record keys before any chunk, and nothing in the data directory holds them after', async () => {
  const store = await tempStore('shred');
  const journal = new GatewayLog(s, store, signer);
  const id = await record(store, journal);
  const manifest = await store.manifest(id);
  const tty = manifest.streams.find((st) => st.name === 'tty')!;
  const rawCopy = await allChunks(store, id, tty.id);
  assert.ok(rawCopy.length > 3);
  // The copy is real ciphertext: with the sealed key it opens.
  assert.match(new TextDecoder().decode(RecordOpener.open(s, manifest, auditor).openChunk(tty.id, 0, rawCopy[0]!.data).plaintext), /hello 0/);

  const dir = join(store.dataDir, 'recordings', id);
  const seen: string[] = [];
  const watcher = watch(dir, (_event, name) => seen.push(String(name)));
  const firstChunkGone = new Promise<void>((resolve) => {
    watcher.on('change', (_e, name) => {
      if (String(name).endsWith('.chunks')) resolve();
    });
  });
  await store.delete(id);
  await firstChunkGone;
  watcher.close();
  const manifestAt = seen.indexOf('manifest.json');
  const chunkAt = seen.findIndex((n) => n.endsWith('.chunks'));
  assert.ok(manifestAt >= 0 && chunkAt > manifestAt, `the keyless manifest replaced the old one before a chunk file went (${seen.join(', ')})`);

  assert.equal(await store.get(id), undefined);
  await assert.rejects(store.manifest(id), /no recording/);
  const sealed = manifest.recipients.map((r) => r.sealedKey);
  for (const bytes of (await filesUnder(store.dataDir)).map((f) => f.bytes)) {
    for (const key of sealed) {
      assert.equal(bytes.includes(key), false, 'a sealed key left in the data directory');
      assert.equal(bytes.includes(Buffer.from(key, 'base64')), false, 'a sealed key left in the data directory (binary)');
    }
  }
  // Without its sealed key the raw copy does not open: the manifest a store could still show names no recipient.
  assert.throws(() => RecordOpener.open(s, { ...manifest, recipients: [] }, auditor), /not a recipient/);
  await store.close();
});

test('a recording moves to the archive exactly: same row, manifest, checkpoints and chunks; it verifies there and is gone from the hot store', async () => {
  const hot = await tempStore('hot');
  const archive = await tempStore('archive');
  const journal = new GatewayLog(s, hot, signer);
  const id = await record(hot, journal);
  const before = { summary: await hot.get(id), manifest: await hot.manifest(id), checkpoints: await hot.checkpoints(id) };
  const streams = new Map<number, StoredChunk[]>();
  for (const st of before.manifest.streams) streams.set(st.id, await allChunks(hot, id, st.id));

  await moveRecording(hot, archive, id, { journal, reason: 'test', archive: 'local test', log: silentLogger() });
  assert.equal(await hot.get(id), undefined);
  assert.deepEqual(await archive.get(id), before.summary);
  assert.deepEqual(await archive.manifest(id), before.manifest);
  assert.deepEqual(await archive.checkpoints(id), before.checkpoints);
  for (const [streamId, chunks] of streams) assert.deepEqual((await allChunks(archive, id, streamId)).map((c) => Buffer.from(c.data)), chunks.map((c) => Buffer.from(c.data)));
  assert.deepEqual(await verify(archive, id), []);
  const log = await entries(hot);
  assert.deepEqual(log.map((e) => e.kind), ['start', 'end', 'archived']);
  assert.deepEqual(walkLog(s, log, [signer.publicKey]).findings, []);
  await hot.close();
  await archive.close();
});

test('an import cut short is never visible in the archive, and the next move copies the recording whole', async () => {
  const hot = await tempStore('hot');
  const archive = await tempStore('archive');
  const journal = new GatewayLog(s, hot, signer);
  const id = await record(hot, journal);
  const copy = await recordingCopy(hot, (await hot.get(id))!);
  const failing = {
    ...copy,
    chunks: async function* (streamId: number) {
      let n = 0;
      for await (const c of copy.chunks(streamId)) {
        if (n++ === 2) throw new Error('disk gone');
        yield c;
      }
    },
  };
  await assert.rejects(archive.importRecording(failing), /cannot import: disk gone/);
  assert.equal(await archive.get(id), undefined);
  assert.deepEqual(await archive.list(), []);
  // A crash after the rename, before the index row: a folder without a row is not a recording, and is redone.
  await mkdir(join(archive.dataDir, 'recordings', id));
  await writeFile(join(archive.dataDir, 'recordings', id, 'manifest.json'), '{"torn":');
  assert.equal(await archive.get(id), undefined);

  await moveRecording(hot, archive, id, { journal, reason: 'test', archive: 'local test', log: silentLogger() });
  assert.deepEqual(await verify(archive, id), []);
  assert.equal(await hot.get(id), undefined);
  await hot.close();
  await archive.close();
});

test('a whole copy left by a move cut short is checked and the move finished; a copy that differs is made again', async () => {
  const hot = await tempStore('hot');
  const archive = await tempStore('archive');
  const journal = new GatewayLog(s, hot, signer);
  const a = await record(hot, journal, 'first');
  const b = await record(hot, journal, 'second');
  await archive.importRecording!(await recordingCopy(hot, (await hot.get(a))!));
  await archive.importRecording!(await recordingCopy(hot, (await hot.get(b))!));
  assert.equal(await copyDifference(hot, archive, a), null);
  // Damage b's archived copy: one byte of one chunk.
  const ttyB = (await archive.manifest(b)).streams.find((st) => st.name === 'tty')!;
  const file = join(archive.dataDir, 'recordings', b, `${ttyB.id}.chunks`);
  const bytes = await readFile(file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 1, bytes.length - 5);
  await writeFile(file, bytes);
  assert.match((await copyDifference(hot, archive, b))!, /stream tty: chunk \d+ differs/);

  for (const id of [a, b]) await moveRecording(hot, archive, id, { journal, reason: 'test', archive: 'local test', log: silentLogger() });
  for (const id of [a, b]) {
    assert.equal(await hot.get(id), undefined);
    assert.deepEqual(await verify(archive, id), []);
  }
  await hot.close();
  await archive.close();
});

test('a sweep moves recordings past archiveAfterDays and later deletes them from the archive, logging each step', async () => {
  const hot = await tempStore('hot');
  const archive = await tempStore('archive');
  const journal = new GatewayLog(s, hot, signer);
  const id = await record(hot, journal);
  const policy = { days: 30, archiveAfterDays: 7 };
  const stores = { hot, archive: { store: archive, name: 'local test' } };
  assert.deepEqual(await sweepRetention(stores, journal, policy, silentLogger(), Date.now() + 6 * DAY), { deleted: [], archived: [], failed: [] });
  assert.deepEqual(await sweepRetention(stores, journal, policy, silentLogger(), Date.now() + 8 * DAY), { deleted: [], archived: [id], failed: [] });
  const tiered = new TieredStore(hot, archive);
  assert.deepEqual((await tiered.list()).map((r) => r.id), [id]);
  assert.deepEqual(await verify(tiered, id), []);
  const sealed = (await archive.manifest(id)).recipients.map((r) => r.sealedKey);
  assert.deepEqual(await sweepRetention(stores, journal, policy, silentLogger(), Date.now() + 31 * DAY), { deleted: [id], archived: [], failed: [] });
  assert.equal(await tiered.get(id), undefined);
  for (const bytes of (await filesUnder(archive.dataDir)).map((f) => f.bytes)) for (const key of sealed) assert.equal(bytes.includes(key), false);
  const log = await entries(hot);
  assert.deepEqual(log.map((e) => e.kind), ['start', 'end', 'archived', 'deleted']);
  const moved = log[2] as LogEntry & { reason: string; archive: string };
  assert.match(moved.reason, /^retention: ended \S+, archived after 7 days$/);
  assert.equal(moved.archive, 'local test');
  assert.deepEqual(walkLog(s, log, [signer.publicKey]).findings, []);
  await hot.close();
  await archive.close();
});

test('a deletion cut short after its keys were destroyed is finished by the next sweep without a second log entry', async () => {
  const store = await tempStore('cut');
  const journal = new GatewayLog(s, store, signer);
  const id = await record(store, journal);
  await journal.deleted(id, 'retention: ended earlier, kept 1 day');
  // The crash: keys destroyed, chunks and row still there.
  await shredManifest(join(store.dataDir, 'recordings', id), await store.manifest(id));
  assert.deepEqual((await store.manifest(id)).recipients, []);
  const result = await sweepRetention({ hot: store }, journal, { days: 1 }, silentLogger(), Date.now() + 2 * DAY);
  assert.deepEqual(result.deleted, [id]);
  assert.equal(await store.get(id), undefined);
  assert.deepEqual((await entries(store)).map((e) => e.kind), ['start', 'end', 'deleted']);
  await store.close();
});

test('a copy a move left behind in the archive (cut short before the index row, or while staging) goes when the original expires', async () => {
  const hot = await tempStore('hot');
  const archive = await tempStore('archive');
  const journal = new GatewayLog(s, hot, signer);
  const id = await record(hot, journal);
  const copy = await recordingCopy(hot, (await hot.get(id))!);
  // What a crash leaves: the folder renamed into place without its index row, and a staging folder.
  const { writeImportFolder } = await import('../store/local-import.js');
  await writeImportFolder(join(archive.dataDir, 'recordings', id), copy);
  await writeImportFolder(join(archive.dataDir, 'imports', id), copy);
  const sealed = copy.manifest.recipients.map((r) => r.sealedKey);
  const result = await sweepRetention({ hot, archive: { store: archive, name: 'local test' } }, journal, { days: 30, archiveAfterDays: 7 }, silentLogger(), Date.now() + 31 * DAY);
  assert.deepEqual(result, { deleted: [id], archived: [], failed: [] });
  assert.deepEqual(await readdir(join(archive.dataDir, 'recordings')), []);
  // The staging folder goes at the next import; here, another recording's.
  const other = await record(hot, journal, 'other');
  await archive.importRecording!(await recordingCopy(hot, (await hot.get(other))!));
  assert.deepEqual(await readdir(join(archive.dataDir, 'imports')), []);
  await archive.delete(other);
  for (const bytes of (await filesUnder(archive.dataDir)).map((f) => f.bytes)) for (const key of sealed) assert.equal(bytes.includes(key), false);
  await hot.close();
  await archive.close();
});

test('an archive that fails stops the sweep after three failed moves in a row; the recordings stay whole in the hot store and move at the next sweep', async () => {
  const hot = await tempStore('hot');
  const archive = await tempStore('archive');
  const journal = new GatewayLog(s, hot, signer);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await record(hot, journal, `r${i}`));
  const stores = { hot, archive: { store: archive, name: 'local test' } };
  const policy = { days: 30, archiveAfterDays: 7 };
  const lines: string[] = [];
  const log = silentLogger();
  log.error = ((obj: unknown, msg?: string) => void lines.push(String(msg ?? obj))) as typeof log.error;
  archive.importRecording = async () => {
    throw new Error('archive disk gone');
  };
  const failing = await sweepRetention(stores, journal, policy, log, Date.now() + 8 * DAY);
  assert.deepEqual(failing, { deleted: [], archived: [], failed: ids.slice(0, 3) });
  assert.equal(lines.filter((l) => /3 failures in a row moving to the archive/.test(l)).length, 1);
  for (const id of ids) assert.deepEqual(await verify(hot, id), []);
  delete (archive as { importRecording?: unknown }).importRecording;
  assert.deepEqual((await sweepRetention(stores, journal, policy, silentLogger(), Date.now() + 8 * DAY)).archived, ids);
  await hot.close();
  await archive.close();
});

test('the hot store with the archive behind it lists both in order, reads each from where it is, and rotates keys in both', async () => {
  const hot = await tempStore('hot');
  const archive = await tempStore('archive');
  const journal = new GatewayLog(s, hot, signer);
  const ids = [await record(hot, journal, 'one'), await record(hot, journal, 'two'), await record(hot, journal, 'three')];
  await moveRecording(hot, archive, ids[1]!, { journal, reason: 'test', archive: 'local test', log: silentLogger() });
  const tiered = new TieredStore(hot, archive);
  assert.deepEqual((await tiered.list()).map((r) => r.id), ids);
  assert.deepEqual((await tiered.list({ descending: true, limit: 2 })).map((r) => r.id), [ids[2], ids[1]]);
  assert.deepEqual((await tiered.list({ after: { startedAt: (await tiered.get(ids[0]!))!.startedAt, id: ids[0]! } })).map((r) => r.id), ids.slice(1));
  const tty = (await tiered.manifest(ids[1]!)).streams.find((st) => st.name === 'tty')!;
  const opener = RecordOpener.open(s, await tiered.manifest(ids[1]!), auditor);
  assert.match(new TextDecoder().decode(opener.openChunk(tty.id, 0, (await allChunks(tiered, ids[1]!, tty.id))[0]!.data).plaintext), /two 0/);
  const next = generateAuditorKey(s);
  const { rotateRecordings } = await import('../store/rotation.js');
  assert.equal((await rotateRecordings(s, tiered, auditor, { publicKey: next.publicKey })).rotated, 3);
  assert.deepEqual((await archive.get(ids[1]!))!.recipients, [next.kid]);
  await tiered.close();
});
