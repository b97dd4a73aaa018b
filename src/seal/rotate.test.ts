import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CryptoError, KeyError } from '../errors.js';
import { buildRecording, iterate, testMeta, textChunks } from './fixtures.js';
import { generateAuditorKey } from './keys.js';
import { RecordOpener } from './opener.js';
import { rotateRecipient } from './rotate.js';
import { RecordSealer } from './sealer.js';
import { generateSigningKey } from './signing.js';
import { nativeSodium } from './sodium-native.js';
import { verifyRecording } from './verify.js';

const s = nativeSodium();
const signer = generateSigningKey(s);
const rec = buildRecording(s, { id: 'rec-rot', signer, streams: [{ name: 'tty', kind: 'tty', chunks: textChunks('x', 3) }] });

test('after rotation the new key opens the recording and the old key is not a recipient', async () => {
  const next = generateAuditorKey(s);
  const recipients = rotateRecipient(s, rec.manifest, rec.auditor, { publicKey: next.publicKey, name: 'new audit' });
  assert.ok(recipients);
  assert.deepEqual(recipients.map((r) => [r.kid, r.name]), [[next.kid, 'new audit']]);
  const manifest = { ...rec.manifest, recipients };
  const opener = RecordOpener.open(s, manifest, next);
  rec.chunks.get(1)!.forEach((ct, i) => assert.deepEqual(opener.openChunk(1, i, ct).plaintext, textChunks('x', 3)[i]));
  assert.throws(() => RecordOpener.open(s, manifest, rec.auditor), (err: unknown) => err instanceof KeyError && /is not a recipient of recording rec-rot/.test(err.message));
  const findings = await verifyRecording(s, {
    id: 'rec-rot',
    manifest,
    checkpoints: rec.checkpoints,
    status: 'complete',
    trustedSigners: [signer.publicKey],
    readChunks: (id) => iterate(rec.chunks.get(id) ?? []),
  });
  assert.deepEqual(findings, [], 'rotation leaves chunks and signatures valid');
});

test('a key that is not a recipient rotates nothing and opens nothing', () => {
  const stranger = generateAuditorKey(s);
  assert.equal(rotateRecipient(s, rec.manifest, stranger, { publicKey: generateAuditorKey(s).publicKey }), null);
  assert.throws(() => RecordOpener.open(s, rec.manifest, stranger), KeyError);
});

test('rotating to a key that is already a recipient drops the old entry only', () => {
  const third = generateAuditorKey(s);
  const sealer = RecordSealer.create(s, { meta: testMeta('rec-two'), recipients: [rec.auditor, third], signer });
  const manifest = sealer.manifest;
  sealer.close();
  assert.deepEqual(rotateRecipient(s, manifest, rec.auditor, third), [manifest.recipients[1]]);
});

test('an old key whose entry does not open is a CryptoError, and the old secret is untouched', () => {
  const posing = { ...generateAuditorKey(s), kid: rec.auditor.kid };
  assert.throws(() => rotateRecipient(s, rec.manifest, posing, generateAuditorKey(s)), CryptoError);
  assert.ok(rec.auditor.secretKey.some((b) => b !== 0));
});
