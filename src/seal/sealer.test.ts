import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KeyError, RecordingError } from '../errors.js';
import { ChunkChain } from './chain.js';
import { fromBase64, toBase64, utf8 } from './encoding.js';
import { testMeta } from './fixtures.js';
import { generateAuditorKey } from './keys.js';
import { MANIFEST_FORMAT } from './manifest.js';
import { RecordOpener } from './opener.js';
import { RecordSealer } from './sealer.js';
import { generateSigningKey, metaHash, verifyCheckpoint } from './signing.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';

const s = nativeSodium();
const signer = generateSigningKey(s);
const auditor = generateAuditorKey(s);
const second = generateAuditorKey(s);

function newSealer(id = 'rec-1') {
  return RecordSealer.create(s, {
    meta: testMeta(id),
    recipients: [
      { name: 'audit', publicKey: auditor.publicKey },
      { publicKey: second.publicKey },
      { name: 'again', publicKey: auditor.publicKey },
    ],
    signer,
  });
}

test('create seals a fresh record key once per distinct recipient', () => {
  const m = newSealer().manifest;
  assert.equal(m.format, MANIFEST_FORMAT);
  assert.equal(m.id, 'rec-1');
  assert.deepEqual(m.meta, testMeta('rec-1'));
  assert.equal(m.signer, toBase64(signer.publicKey));
  assert.deepEqual(m.streams, []);
  assert.deepEqual(m.recipients.map((r) => [r.kid, r.name]), [[auditor.kid, 'audit'], [second.kid, undefined]]);
  assert.ok(!('name' in m.recipients[1]!));
  for (const r of m.recipients) assert.equal(fromBase64(r.sealedKey)!.length, 32 + 48);
  const k1 = s.boxSealOpen(fromBase64(m.recipients[0]!.sealedKey)!, auditor.publicKey, auditor.secretKey);
  const k2 = s.boxSealOpen(fromBase64(m.recipients[1]!.sealedKey)!, second.publicKey, second.secretKey);
  assert.deepEqual(k1, k2);
  const other = s.boxSealOpen(fromBase64(newSealer().manifest.recipients[0]!.sealedKey)!, auditor.publicKey, auditor.secretKey);
  assert.notDeepEqual(k1, other, 'each recording has its own key');
});

test('create refuses a recording no auditor could open, and a mismatched signer', () => {
  assert.throws(() => RecordSealer.create(s, { meta: testMeta('r'), recipients: [], signer }), RecordingError);
  const bad = { publicKey: generateSigningKey(s).publicKey, secretKey: signer.secretKey };
  assert.throws(() => RecordSealer.create(s, { meta: testMeta('r'), recipients: [auditor], signer: bad }), KeyError);
});

test('streams get ids 1, 2, 3 and their own random nonce prefixes', () => {
  const sealer = newSealer();
  const infos = [sealer.addStream('tty', 'tty', 0), sealer.addStream('events', 'events', 0), sealer.addStream('tty-1', 'tty', 1)];
  assert.deepEqual(infos.map((i) => i.id), [1, 2, 3]);
  assert.equal(new Set(infos.map((i) => i.noncePrefix)).size, 3);
  for (const i of infos) assert.equal(fromBase64(i.noncePrefix)!.length, 16);
  assert.deepEqual(sealer.manifest.streams, infos);
  assert.throws(() => sealer.addStream('tty', 'tty', 0), RecordingError);
  const copy = sealer.manifest;
  copy.streams.pop();
  assert.equal(sealer.manifest.streams.length, 3, 'manifest is a copy');
});

test('chunks open in order with the auditor key; nothing seals after a stream ends', () => {
  const sealer = newSealer();
  const tty = sealer.addStream('tty', 'tty', 0);
  const chunks = [sealer.sealChunk(tty.id, utf8('one'), false), sealer.sealChunk(tty.id, utf8('two'), true)];
  assert.throws(() => sealer.sealChunk(tty.id, utf8('three'), false), /stream tty already ended/);
  assert.throws(() => sealer.sealChunk(9, utf8('x'), false), /no stream 9/);
  const opener = RecordOpener.open(s, sealer.manifest, auditor);
  assert.deepEqual(opener.openChunk(tty.id, 0, chunks[0]!), { plaintext: utf8('one'), last: false });
  assert.deepEqual(opener.openChunk(tty.id, 1, chunks[1]!), { plaintext: utf8('two'), last: true });
});

test('checkpoints count chunks, chain them, list new digests and are signed', () => {
  const sealer = newSealer();
  const tty = sealer.addStream('tty', 'tty', 0);
  const chain = new ChunkChain(s, 'rec-1', 'tty');
  const a = sealer.sealChunk(tty.id, utf8('a'), false);
  const b = sealer.sealChunk(tty.id, utf8('b'), false);
  const cp0 = sealer.checkpoint();
  const c = sealer.sealChunk(tty.id, utf8('c'), true);
  const cp1 = sealer.checkpoint({ endedAt: '2024-05-01T10:01:00.000Z', status: 'complete', endReason: 'logout' });
  const digests = [a, b, c].map((x) => chain.push(x));
  assert.equal(cp0.seq, 0);
  assert.equal(cp1.seq, 1);
  assert.equal(cp0.metaHash, metaHash(s, testMeta('rec-1')));
  assert.deepEqual(cp0.streams, [{ id: 1, name: 'tty', noncePrefix: tty.noncePrefix, chunks: 2, hash: cp0.streams[0]!.hash, digests: digests.slice(0, 2) }]);
  assert.deepEqual(cp1.streams[0]!.digests, digests.slice(2));
  assert.equal(cp1.streams[0]!.hash, chain.hash());
  assert.deepEqual(cp1.final, { endedAt: '2024-05-01T10:01:00.000Z', status: 'complete', endReason: 'logout' });
  assert.ok(verifyCheckpoint(s, signer.publicKey, cp0) && verifyCheckpoint(s, signer.publicKey, cp1));
  assert.ok(Date.parse(cp0.at) > 0);
  assert.throws(() => sealer.checkpoint(), /already finalized/);
  assert.throws(() => sealer.addStream('x', 'events', 0), /already finalized/);
});

test('close wipes the record key and every subkey', () => {
  const sealer = newSealer();
  sealer.addStream('tty', 'tty', 0);
  sealer.addStream('events', 'events', 0);
  const internals = sealer as unknown as { recordKey: Uint8Array; streams: { cipher: { subkey: Uint8Array } }[] };
  assert.ok(internals.recordKey.some((b) => b !== 0));
  sealer.close();
  sealer.close();
  assert.ok(internals.recordKey.every((b) => b === 0));
  for (const st of internals.streams) assert.ok(st.cipher.subkey.every((b) => b === 0));
  assert.throws(() => sealer.sealChunk(1, utf8('x'), false), /sealer is closed/);
});

test('a recording sealed with the wasm backend opens with the native one', async () => {
  const w = await wasmSodium();
  const sealer = RecordSealer.create(w, { meta: testMeta('rec-w'), recipients: [auditor], signer });
  const ev = sealer.addStream('events', 'events', 0);
  const ct = sealer.sealChunk(ev.id, utf8('{"type":"command"}'), true);
  const cp = sealer.checkpoint({ endedAt: 'x', status: 'complete', endReason: 'y' });
  assert.ok(verifyCheckpoint(s, signer.publicKey, cp));
  assert.deepEqual(RecordOpener.open(s, sealer.manifest, auditor).openChunk(ev.id, 0, ct).plaintext, utf8('{"type":"command"}'));
});
