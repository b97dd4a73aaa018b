import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildRecording, textChunks } from './fixtures.js';
import { chainLogEntry, deletedEvent, endEvent, interruptedEvent, startEvent, type LogEntry, type LogEvent } from './log.js';
import { generateSigningKey, metaHash } from './signing.js';
import { nativeSodium } from './sodium-native.js';
import { checkRecordingLog, type StoredRecording } from './verify-log-store.js';

const s = nativeSodium();
const signer = generateSigningKey(s);
const rec = buildRecording(s, {
  id: 'rec-x',
  signer,
  streams: [
    { name: 'tty', kind: 'tty', chunks: textChunks('out', 6) },
    { name: 'events', kind: 'events', chunks: textChunks('ev', 2) },
  ],
});
const id = rec.manifest.id;
const final = rec.checkpoints.at(-1)!;
const END = { endedAt: final.final!.endedAt, endReason: final.final!.endReason };

function log(...list: LogEvent[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const e of list) out.push(chainLogEntry(s, signer, out.at(-1) ?? null, e));
  return out;
}

const complete: StoredRecording = {
  status: 'complete',
  ...END,
  metaHash: metaHash(s, rec.manifest.meta),
  checkpoints: rec.checkpoints,
  chunks: { tty: 6, events: 2 },
};
const started = log(startEvent(s, rec.manifest));
const ended = log(startEvent(s, rec.manifest), endEvent(s, id, final, END));

const check = (entries: LogEntry[] | undefined, stored: StoredRecording | null) =>
  checkRecordingLog(s, id, entries, stored).map((f) => `${f.severity}: ${f.message}`);

test('a recording that is as the log says has no finding', () => {
  assert.deepEqual(check(ended, complete), []);
  assert.deepEqual(check(started, { ...complete, status: 'recording', endedAt: null, endReason: null }), [], 'still being written');
});

test('a recording the log started and never deleted, absent from the store, is an error; one the gateway deleted is not', () => {
  assert.deepEqual(check(ended, null), [`error: recording ${id}: the log records its start (seq 0), but the store no longer holds it (deleted)`]);
  assert.deepEqual(check(log(startEvent(s, rec.manifest), endEvent(s, id, final, END), deletedEvent(id, 'retention')), null), []);
  assert.deepEqual(check(undefined, null), []);
});

test('cut short and marked interrupted: the status, the end and the missing checkpoints and chunks are named', () => {
  const cut: StoredRecording = {
    ...complete,
    status: 'interrupted',
    endedAt: rec.checkpoints.at(-2)!.at,
    endReason: 'interrupted',
    checkpoints: rec.checkpoints.slice(0, -1),
    chunks: { tty: 4, events: 2 },
  };
  const found = check(ended, cut);
  assert.ok(found.every((f) => f.startsWith(`error: recording ${id}:`)), found.join('\n'));
  assert.match(found.join('\n'), /the index says interrupted, the log \(seq 1\) records that it ended complete \(client closed\) \(status edited, or cut short\)/);
  assert.match(found.join('\n'), /cut short: the log \(seq 1\) records \d+ checkpoints, the store holds \d+/);
  assert.match(found.join('\n'), /stream tty: cut short: the log \(seq 1\) records 6 chunks, the store holds 4/);
  assert.match(found.join('\n'), /the index says endReason "interrupted", the log \(seq 1\) "client closed"/);
});

test('an edited status, end time or end reason is an error', () => {
  assert.deepEqual(check(ended, { ...complete, endedAt: '2030-01-01T00:00:00.000Z' }), [
    `error: recording ${id}: the index says endedAt "2030-01-01T00:00:00.000Z", the log (seq 1) "${END.endedAt}"`,
  ]);
  assert.deepEqual(check(ended, { ...complete, endReason: 'idle-timeout' }), [
    `error: recording ${id}: the index says endReason "idle-timeout", the log (seq 1) "${END.endReason}"`,
  ]);
  assert.match(check(ended, { ...complete, status: 'recording' })[0]!, /the index says recording, the log \(seq 1\) records that it ended complete/);
});

test('an interrupted recording is held to the chunks recovery counted, more or fewer', () => {
  const open = rec.checkpoints.slice(0, 2);
  const stored: StoredRecording = { ...complete, status: 'interrupted', endedAt: open.at(-1)!.at, endReason: 'interrupted', checkpoints: open, chunks: { tty: 5, events: 2 } };
  const entries = log(startEvent(s, rec.manifest), interruptedEvent(s, id, open.at(-1)!.at, open, { tty: 5, events: 2 }));
  assert.deepEqual(check(entries, stored), []);
  assert.deepEqual(check(entries, { ...stored, chunks: { tty: 3, events: 2 } }), [
    `error: recording ${id}: stream tty: cut short: the log (seq 1) records 5 chunks, the store holds 3`,
  ]);
  assert.deepEqual(check(entries, { ...stored, chunks: { tty: 7, events: 2 } }), [
    `error: recording ${id}: stream tty: the log (seq 1) records 5 chunks, the store holds 7 (added after it was closed)`,
  ]);
  assert.match(check(entries, { ...stored, status: 'recording' })[0]!, /the index says recording, the log \(seq 1\) records that it was interrupted/);
});

test('marked interrupted with no interruption in the log is an error; complete without an end entry a warning', () => {
  assert.deepEqual(check(started, { ...complete, status: 'interrupted' }), [
    `error: recording ${id}: the index says interrupted, but the log records no end and no interruption (status edited)`,
  ]);
  assert.deepEqual(check(started, complete).map((f) => f.split(':')[0]), ['warning']);
});

test('a replaced last checkpoint, altered metadata or a stream the log never saw are errors', () => {
  const older = [...rec.checkpoints.slice(0, -1), { ...final, at: '2024-05-01T10:06:00.000Z' }];
  assert.match(check(ended, { ...complete, checkpoints: older }).join('\n'), /its last checkpoint differs from the one the log \(seq 1\) records \(replaced\)/);
  assert.match(check(ended, { ...complete, metaHash: 'x' }).join('\n'), /its metadata differs from what the log recorded at its start \(seq 0\)/);
  assert.match(check(ended, { ...complete, chunks: { ...complete.chunks, 'tty-1': 2 } }).join('\n'), /stream tty-1: the log \(seq 1\) records no such stream/);
});

test('a recording the log never mentions only warns; one it deleted yet still held warns', () => {
  const never = check([], complete);
  assert.equal(never.length, 1);
  assert.match(never[0]!, /^warning: recording .*: the gateway's log never mentions this recording/);
  const kept = check(log(startEvent(s, rec.manifest), endEvent(s, id, final, END), deletedEvent(id, 'retention')), complete);
  assert.deepEqual(kept.map((f) => f.split(':')[0]), ['warning']);
});
