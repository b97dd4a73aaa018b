import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CryptoError, KeyError, NotFoundError } from '../errors.js';
import { toBase64, utf8 } from './encoding.js';
import { buildRecording, iterate, textChunks } from './fixtures.js';
import { decryptKeyFile, encryptKeyFile, generateAuditorKey } from './keys.js';
import { RecordOpener } from './opener.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';

const s = nativeSodium();
const rec = buildRecording(s, {
  id: 'rec-open',
  streams: [
    { name: 'tty', kind: 'tty', chunks: textChunks('output', 5) },
    { name: 'events', kind: 'events', chunks: [utf8('{"type":"command","cmd":"ls"}')] },
  ],
});

test('wasmSodium alone opens what the native sealer sealed, from the key file on', async () => {
  const w = await wasmSodium();
  assert.equal(w.backend, 'wasm');
  const keyFile = encryptKeyFile(s, rec.auditor, 'pw', { opslimit: 1, memlimit: 65536 });
  const pair = decryptKeyFile(w, keyFile, 'pw', 'auditor.key');
  const opener = RecordOpener.open(w, rec.manifest, pair);
  const tty = textChunks('output', 5);
  rec.chunks.get(1)!.forEach((ct, i) => {
    assert.deepEqual(opener.openChunk(1, i, ct), { plaintext: tty[i], last: i === 4 });
  });
  assert.deepEqual(opener.openChunk(2, 0, rec.chunks.get(2)![0]!).plaintext, utf8('{"type":"command","cmd":"ls"}'));
  opener.close();
});

test('any chunk opens alone, and only at its own index', () => {
  const opener = RecordOpener.open(s, rec.manifest, rec.auditor);
  assert.deepEqual(opener.openChunk(1, 3, rec.chunks.get(1)![3]!).plaintext, textChunks('output', 5)[3]);
  assert.throws(
    () => opener.openChunk(1, 2, rec.chunks.get(1)![3]!),
    (err: unknown) => err instanceof CryptoError && err.message === 'recording rec-open: stream tty chunk 2: authentication failed',
  );
  assert.throws(() => opener.openChunk(2, 0, rec.chunks.get(1)![0]!), /stream events chunk 0: authentication failed/);
  assert.throws(() => opener.openChunk(7, 0, rec.chunks.get(1)![0]!), NotFoundError);
});

test('a key that is not a recipient gets KeyError; a corrupt entry gets CryptoError', () => {
  const stranger = generateAuditorKey(s);
  assert.throws(
    () => RecordOpener.open(s, rec.manifest, stranger),
    (err: unknown) => err instanceof KeyError && err.message === `key ${stranger.kid} is not a recipient of recording rec-open`,
  );
  const posing = { ...stranger, kid: rec.auditor.kid };
  assert.throws(() => RecordOpener.open(s, rec.manifest, posing), CryptoError);
  const corrupt = structuredClone(rec.manifest);
  corrupt.recipients[0]!.sealedKey = toBase64(new Uint8Array(80));
  assert.throws(() => RecordOpener.open(s, corrupt, rec.auditor), /does not open/);
});

test('openStream yields every chunk, and catches a cut or a chunk after the last', async () => {
  const opener = RecordOpener.open(s, rec.manifest, rec.auditor);
  const tty = rec.chunks.get(1)!;
  const all = [];
  for await (const c of opener.openStream(1, iterate(tty), { requireEnd: true })) all.push(c);
  assert.deepEqual(all.map((c) => [c.index, c.last]), [[0, false], [1, false], [2, false], [3, false], [4, true]]);
  const tail = [];
  for await (const c of opener.openStream(1, tty.slice(3), { from: 3 })) tail.push(c.index);
  assert.deepEqual(tail, [3, 4]);
  const drain = async (chunks: Uint8Array[], requireEnd: boolean) => {
    for await (const _ of opener.openStream(1, chunks, { requireEnd })) void _;
  };
  await assert.rejects(drain(tty.slice(0, 4), true), /stream tty stops at chunk 4 without its last chunk/);
  await drain(tty.slice(0, 4), false);
  await assert.rejects(drain([...tty, tty[4]!], false), /chunk 5: data after the last chunk/);
});

test('close wipes the key; the opener refuses work afterwards', () => {
  const opener = RecordOpener.open(s, rec.manifest, rec.auditor);
  opener.openChunk(1, 0, rec.chunks.get(1)![0]!);
  const key = (opener as unknown as { recordKey: Uint8Array }).recordKey;
  opener.close();
  assert.ok(key.every((b) => b === 0));
  assert.throws(() => opener.openChunk(1, 0, rec.chunks.get(1)![0]!), /opener is closed/);
});
