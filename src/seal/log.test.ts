import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { toBase64 } from './encoding.js';
import { buildRecording, textChunks } from './fixtures.js';
import {
  chainLogEntry,
  checkpointDigest,
  deletedEvent,
  endEvent,
  interruptedEvent,
  logEntryHash,
  logGenesis,
  startEvent,
  verifyLogEntry,
  type LogEntry,
  type LogEvent,
} from './log.js';
import { generateSigningKey } from './signing.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';
import { formatLogHead, parseLogHead, walkLog, type LogWalk } from './verify-log.js';

const s = nativeSodium();
const gateway = generateSigningKey(s);
const other = generateSigningKey(s);
const trusted = [gateway.publicKey];

const rec = buildRecording(s, { id: 'rec-log', signer: gateway, streams: [{ name: 'tty', kind: 'tty', chunks: textChunks('x', 4) }] });
const final = rec.checkpoints.at(-1)!;

function events(n: number): LogEvent[] {
  return Array.from({ length: n }, (_, i): LogEvent => {
    const id = `rec-${i >> 1}`;
    return i % 2 === 0
      ? { ...startEvent(s, rec.manifest), recording: id }
      : endEvent(s, id, final, { endedAt: '2024-05-01T10:05:00.000Z', endReason: 'closed' });
  });
}

function chain(list: LogEvent[], signer = gateway): LogEntry[] {
  const out: LogEntry[] = [];
  for (const e of list) out.push(chainLogEntry(s, signer, out.at(-1) ?? null, e, new Date('2024-05-01T11:00:00Z')));
  return out;
}

const messages = (walk: LogWalk): string[] => walk.findings.map((f) => f.message);

test('entries chain from the genesis hash, each to the hash of the one before, and verify', () => {
  const log = chain(events(4));
  assert.deepEqual(log.map((e) => e.seq), [0, 1, 2, 3]);
  assert.equal(log[0]!.prev, logGenesis(s));
  for (let i = 1; i < log.length; i++) assert.equal(log[i]!.prev, logEntryHash(s, log[i - 1]!));
  assert.ok(log.every((e) => verifyLogEntry(s, gateway.publicKey, e)));
  assert.equal(log[0]!.signer, toBase64(gateway.publicKey));
  const walk = walkLog(s, log, trusted);
  assert.deepEqual(walk.findings, []);
  assert.equal(walk.count, 4);
  assert.deepEqual(walk.head, { seq: 3, hash: logEntryHash(s, log[3]!) });
  assert.deepEqual([...walk.recordings.keys()], ['rec-0', 'rec-1']);
});

test('an entry read back from JSON verifies and hashes alike, with either backend', async () => {
  const log = chain(events(2)).map((e) => JSON.parse(JSON.stringify(e)) as LogEntry);
  const wasm = await wasmSodium();
  assert.deepEqual(walkLog(wasm, log, trusted).findings, []);
  assert.equal(logEntryHash(wasm, log[1]!), logEntryHash(s, log[1]!));
});

test('the end entry carries the final checkpoint digest, counts and chunk counts', () => {
  const end = endEvent(s, 'rec-log', final, { endedAt: 'T', endReason: 'closed' });
  assert.equal(end.checkpoints, final.seq + 1);
  assert.equal(end.finalCheckpoint, checkpointDigest(s, final));
  assert.deepEqual(end.chunks, { tty: 4 });
  const cut = interruptedEvent(s, 'rec-log', 'T', rec.checkpoints.slice(0, 1), { tty: 3 });
  assert.deepEqual([cut.checkpoints, cut.lastCheckpoint, cut.chunks], [1, checkpointDigest(s, rec.checkpoints[0]!), { tty: 3 }]);
  assert.equal(interruptedEvent(s, 'r', 'T', [], {}).lastCheckpoint, null);
});

test('an altered entry is a bad signature, and the next entry no longer chains to it', () => {
  const log = chain(events(4));
  const altered = structuredClone(log);
  (altered[1] as { endReason: string }).endReason = 'idle-timeout';
  assert.deepEqual(messages(walkLog(s, altered, trusted)), ['log: seq 1: bad signature', 'log: seq 2: prev is not the hash of seq 1 (an entry altered, removed or reordered)']);
  assert.ok(!walkLog(s, altered, trusted).recordings.get('rec-0')!.some((e) => e.kind === 'end'), 'a bad entry is not believed');
});

test('a dropped middle entry is a seq gap', () => {
  const log = chain(events(5));
  const walk = walkLog(s, [...log.slice(0, 2), ...log.slice(3)], trusted);
  assert.deepEqual(messages(walk), ['log: seq 3 found where seq 2 was expected (entries missing or out of order)']);
});

test('reordered entries are named', () => {
  const log = chain(events(4));
  [log[1], log[2]] = [log[2]!, log[1]!];
  const found = messages(walkLog(s, log, trusted));
  assert.match(found[0]!, /^log: seq 2 found where seq 1 was expected/);
  assert.ok(found.length >= 2);
});

test('entries renumbered to close a gap break the chain; re-signed by another key they are untrusted', () => {
  const log = chain(events(4));
  const renumbered = [log[0]!, { ...log[2]!, seq: 1 }, { ...log[3]!, seq: 2 }];
  assert.match(messages(walkLog(s, renumbered, trusted)).join('\n'), /seq 1: prev is not the hash of seq 0/);
  const forged = chain(events(4), other);
  assert.deepEqual(messages(walkLog(s, forged, trusted)), [0, 1, 2, 3].map((n) => `log: seq ${n}: signed by ${toBase64(other.publicKey)}, which is not a trusted signer`));
  assert.deepEqual(walkLog(s, forged, [gateway.publicKey, other.publicKey]).findings, []);
});

test('a signature by the named signer over other bytes is a bad signature', () => {
  const log = chain(events(2));
  const swapped = [log[0]!, { ...log[1]!, signature: log[0]!.signature }];
  assert.deepEqual(messages(walkLog(s, swapped, trusted)), ['log: seq 1: bad signature']);
});

test('a malformed entry is named and the walk goes on', () => {
  const log: unknown[] = chain(events(3));
  log[1] = { seq: 1, kind: 'start' };
  const found = messages(walkLog(s, log, trusted));
  assert.match(found[0]!, /^log: entry #1 is malformed: prev is not a string/);
  assert.match(found[1]!, /^log: seq 2: prev is not the hash of seq 1/);
});

test('a noted head must be in the chain: a cut or rewritten tail is found', () => {
  const log = chain(events(6));
  const head = walkLog(s, log, trusted).head!;
  assert.deepEqual(parseLogHead(formatLogHead(head)), head);
  assert.deepEqual(walkLog(s, log, trusted, head).findings, []);
  assert.deepEqual(walkLog(s, chain(events(8)), trusted, head).findings, [], 'a longer chain still contains it');
  assert.deepEqual(walkLog(s, log.slice(0, 4), trusted).findings, [], 'without the head, a cut tail leaves a whole chain');
  assert.deepEqual(messages(walkLog(s, log.slice(0, 4), trusted, head)), [
    `log: no entry seq 5, the expected head ${formatLogHead(head)} (the log was cut short)`,
  ]);
  const rewritten = [...log.slice(0, 5), chainLogEntry(s, gateway, log[4]!, deletedEvent('rec-9', 'rewritten'))];
  assert.deepEqual(messages(walkLog(s, rewritten, trusted, head)), [`log: seq 5 is not the expected head ${formatLogHead(head)} (the log was rewritten)`]);
  assert.equal(parseLogHead('5:nothash'), null);
});

test('property: any change to one field of one entry is found, naming that seq or the next', () => {
  const log = chain([...events(4), deletedEvent('rec-0', 'retention')]);
  fc.assert(
    fc.property(fc.nat(), fc.nat(), fc.string({ minLength: 1, maxLength: 8 }), (pe, pk, value) => {
      const copy = structuredClone(log) as unknown as Record<string, unknown>[];
      const entry = copy[pe % copy.length]!;
      const keys = Object.keys(entry);
      const key = keys[pk % keys.length]!;
      const before = JSON.stringify(entry[key]);
      entry[key] = typeof entry[key] === 'number' ? (entry[key] as number) + value.length : value;
      fc.pre(JSON.stringify(entry[key]) !== before);
      const found = messages(walkLog(s, copy, trusted));
      assert.ok(found.length > 0, `${key} of entry ${pe % copy.length} changed unnoticed`);
    }),
    { numRuns: 300 },
  );
});

test('property: a log split anywhere and appended from two writers in turn is one valid chain', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), (turns) => {
      const log: LogEntry[] = [];
      turns.forEach((first, i) => {
        const signer = first ? gateway : other;
        log.push(chainLogEntry(s, signer, log.at(-1) ?? null, deletedEvent(`rec-${i}`, 'test')));
      });
      assert.deepEqual(walkLog(s, log, [gateway.publicKey, other.publicKey]).findings, []);
    }),
    { numRuns: 50 },
  );
});

test('property: arbitrary JSON in the log never throws and never passes as a valid chain', () => {
  fc.assert(
    fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }), (junk) => {
      const walk = walkLog(s, junk, trusted);
      assert.ok(walk.findings.length > 0);
      assert.equal(walk.recordings.size, 0);
    }),
    { numRuns: 200 },
  );
});
