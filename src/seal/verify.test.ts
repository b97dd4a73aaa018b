import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import fc from 'fast-check';

import { fromBase64, toBase64, utf8 } from './encoding.js';
import { buildRecording, iterate, textChunks, type BuiltRecording } from './fixtures.js';
import { MANIFEST_FORMAT, type Checkpoint, type Manifest, type RecordingStatus } from './manifest.js';
import { RecordOpener } from './opener.js';
import { generateSigningKey, signCheckpoint } from './signing.js';
import { nativeSodium } from './sodium-native.js';
import { wasmSodium } from './sodium-wasm.js';
import { verifyRecording, type Finding, type VerifyInput } from './verify.js';

const s = nativeSodium();
const signer = generateSigningKey(s);

function build(id: string, complete = true): BuiltRecording {
  return buildRecording(s, {
    id,
    signer,
    complete,
    streams: [
      { name: 'tty', kind: 'tty', chunks: textChunks(`${id} output`, 6) },
      { name: 'events', kind: 'events', chunks: textChunks(`${id} event`, 3) },
    ],
  });
}

const A = build('rec-a');
const B = build('rec-b');

function input(rec: BuiltRecording, patch: Partial<VerifyInput> & { tty?: Uint8Array[] } = {}): VerifyInput {
  const chunks = new Map(rec.chunks);
  if (patch.tty) chunks.set(1, patch.tty);
  return {
    id: rec.manifest.id,
    manifest: rec.manifest,
    checkpoints: rec.checkpoints,
    status: 'complete',
    trustedSigners: [signer.publicKey],
    readChunks: (id) => iterate(chunks.get(id) ?? []),
    ...patch,
  };
}

const errors = (f: Finding[]) => f.filter((x) => x.severity === 'error');

function assertFirstError(findings: Finding[], expected: { stream?: string; chunk?: number; message: RegExp }): void {
  const first = errors(findings)[0];
  assert.ok(first, `expected an error, got ${JSON.stringify(findings)}`);
  assert.equal(first.stream, expected.stream);
  assert.equal(first.chunk, expected.chunk);
  assert.match(first.message, expected.message);
  assert.ok(first.message.startsWith(`recording ${first.recording}`));
}

test('an intact complete recording verifies clean, with either backend', async () => {
  assert.deepEqual(await verifyRecording(s, input(A)), []);
  assert.deepEqual(await verifyRecording(await wasmSodium(), input(A)), []);
});

test('a format no reader knows is an error, never a pass or a crash', async () => {
  for (const format of ['recgate-recording/9', 'constructor', '__proto__']) {
    const manifest = { ...A.manifest, format } as unknown as Manifest;
    const findings = await verifyRecording(s, input(A, { manifest }));
    assertFirstError(findings, { message: /manifest format is / });
    assert.ok(errors(findings)[0]!.message.includes(JSON.stringify(format)), errors(findings)[0]!.message);
  }
});

test('a flipped byte names the recording, stream and chunk', async () => {
  const tty = A.chunks.get(1)!.map((c) => c.slice());
  tty[3]![10]! ^= 0x01;
  const findings = await verifyRecording(s, input(A, { tty }));
  assert.equal(errors(findings).length, 1);
  assertFirstError(findings, { stream: 'tty', chunk: 3, message: /^recording rec-a: stream tty chunk 3: ciphertext does not match its signed digest/ });
});

test('a dropped chunk is named, and so is the shortfall', async () => {
  const tty = A.chunks.get(1)!.filter((_, i) => i !== 2);
  const findings = await verifyRecording(s, input(A, { tty }));
  assertFirstError(findings, { stream: 'tty', chunk: 2, message: /chunk 2: holds chunk 3 in its place/ });
  assert.ok(findings.some((f) => f.chunk === 5 && /chunk 5 missing/.test(f.message)));
});

test('reordered chunks name the first out-of-place chunk', async () => {
  const tty = [...A.chunks.get(1)!];
  [tty[1], tty[2]] = [tty[2]!, tty[1]!];
  assertFirstError(await verifyRecording(s, input(A, { tty })), { stream: 'tty', chunk: 1, message: /stream tty chunk 1: holds chunk 2 in its place/ });
});

test('a chunk substituted from another recording is caught', async () => {
  const tty = [...A.chunks.get(1)!];
  tty[4] = B.chunks.get(1)![4]!;
  assertFirstError(await verifyRecording(s, input(A, { tty })), { stream: 'tty', chunk: 4, message: /does not match its signed digest/ });
});

test('a truncated stream reports "chunk N missing"', async () => {
  const findings = await verifyRecording(s, input(A, { tty: A.chunks.get(1)!.slice(0, 4) }));
  assert.equal(errors(findings).length, 1);
  assertFirstError(findings, { stream: 'tty', chunk: 4, message: /^recording rec-a: stream tty chunk 4: chunk 4 missing \(and 1 more, to chunk 5\)/ });
});

test('an extra chunk is an error after a final checkpoint, a warning while interrupted', async () => {
  const extra = [...A.chunks.get(1)!, utf8('appended')];
  assertFirstError(await verifyRecording(s, input(A, { tty: extra })), { stream: 'tty', chunk: 6, message: /chunk 6 after the final checkpoint is not covered by a signature/ });
  const open = build('rec-open', false);
  const more = [...open.chunks.get(1)!, utf8('x'), utf8('y')];
  const findings = await verifyRecording(s, input(open, { tty: more, status: 'interrupted' }));
  assert.deepEqual(errors(findings), []);
  assert.equal(findings.length, 1);
  assert.match(findings[0]!.message, /^recording rec-open: stream tty chunk 6: chunks 6\.\.7 after the last checkpoint are not covered by a signature$/);
});

test('swapped manifests or checkpoints between two recordings are caught', async () => {
  const withB = await verifyRecording(s, input(A, { manifest: B.manifest }));
  assert.ok(errors(withB).some((f) => /^recording rec-a: manifest names recording rec-b/.test(f.message)));
  assert.ok(errors(withB).some((f) => /metadata altered/.test(f.message)));
  assert.ok(errors(withB).some((f) => f.stream === 'tty' && /stream table mismatch/.test(f.message)));
  const cpB = await verifyRecording(s, input(A, { checkpoints: B.checkpoints }));
  assert.ok(errors(cpB).some((f) => /checkpoint seq 0 belongs to recording rec-b/.test(f.message)));
});

test('forged checkpoints and untrusted signers are caught', async () => {
  const cps = structuredClone(A.checkpoints);
  cps[1]!.streams[0]!.digests.reverse();
  assertFirstError(await verifyRecording(s, input(A, { checkpoints: cps })), { message: /^recording rec-a: checkpoint seq 1: bad signature$/ });

  const mallory = generateSigningKey(s);
  const resigned = A.checkpoints.map(({ signature: _, ...rest }) => signCheckpoint(s, mallory.secretKey, rest));
  const forged = await verifyRecording(s, input(A, { checkpoints: resigned }));
  assertFirstError(forged, { message: /checkpoint seq 0: bad signature/ });
  assert.ok(errors(forged).some((f) => f.stream === 'tty' && /chunks 0\.\.5 are not covered by a signature/.test(f.message)));
  const takeover = await verifyRecording(s, input(A, { checkpoints: resigned, manifest: { ...A.manifest, signer: toBase64(mallory.publicKey) } }));
  assertFirstError(takeover, { message: new RegExp(`signer ${toBase64(mallory.publicKey).replace(/[+/]/g, '\\$&')} is not trusted`) });
  const untrusted = await verifyRecording(s, input(A, { trustedSigners: [mallory.publicKey] }));
  assert.equal(errors(untrusted).length, 1);
  assert.match(errors(untrusted)[0]!.message, /is not trusted/);
});

test('a missing middle checkpoint is a seq gap; altered metadata or stream table is named', async () => {
  const gap = await verifyRecording(s, input(A, { checkpoints: A.checkpoints.filter((c) => c.seq !== 1) }));
  assertFirstError(gap, { message: /checkpoint seq 2 found where seq 1 was expected/ });
  const meta = await verifyRecording(s, input(A, { manifest: { ...A.manifest, meta: { ...A.manifest.meta, user: 'mallory' } } }));
  assertFirstError(meta, { message: /metadata hash does not match the manifest metadata/ });
  const streams = A.manifest.streams.map((st) => (st.name === 'events' ? { ...st, noncePrefix: toBase64(new Uint8Array(16)) } : st));
  assertFirstError(await verifyRecording(s, input(A, { manifest: { ...A.manifest, streams } })), { stream: 'events', message: /stream table mismatch: nonce prefix/ });
});

test('status rules: complete needs a final checkpoint; open recordings only warn', async () => {
  const none = await verifyRecording(s, input(A, { checkpoints: [] }));
  assertFirstError(none, { message: /^recording rec-a: no checkpoint: a complete recording must end/ });
  const noFinal = await verifyRecording(s, input(A, { checkpoints: A.checkpoints.slice(0, -1) }));
  assertFirstError(noFinal, { message: /no final checkpoint/ });
  for (const status of ['interrupted', 'recording'] as RecordingStatus[]) {
    const open = await verifyRecording(s, input(A, { checkpoints: A.checkpoints.slice(0, -1), status }));
    assert.deepEqual(errors(open), [], status);
    assert.ok(open.some((f) => f.severity === 'warning' && /after the last checkpoint are not covered by a signature/.test(f.message)));
  }
});

test('a torn tail record warns while interrupted and fails a complete recording', async () => {
  const partialTail = new Map([[1, 37]]);
  const open = await verifyRecording(s, input(A, { status: 'interrupted', partialTail }));
  assert.ok(open.some((f) => f.severity === 'warning' && f.stream === 'tty' && /torn record of 37 bytes follows chunk 5/.test(f.message)));
  assertFirstError(await verifyRecording(s, input(A, { partialTail })), { stream: 'tty', message: /torn record of 37 bytes/ });
});

test('property: a flip of any byte of any chunk is named at that stream and chunk', async () => {
  const streams = [...A.chunks.entries()];
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (ps, pc, pb, delta) => {
      const [streamId, list] = streams[ps % streams.length]!;
      const chunk = pc % list.length;
      const copy = list.map((c) => c.slice());
      const target = copy[chunk]!;
      target[pb % target.length] = (target[pb % target.length]! + delta) & 0xff;
      const chunks = new Map(A.chunks).set(streamId, copy);
      const findings = await verifyRecording(s, input(A, { readChunks: (id) => iterate(chunks.get(id) ?? []) }));
      const name = A.manifest.streams.find((st) => st.id === streamId)!.name;
      assertFirstError(findings, { stream: name, chunk, message: /does not match its signed digest/ });
    }),
    { numRuns: 50 },
  );
});

test("the index's status, end time and end reason must be the final checkpoint's", async () => {
  const signed = A.checkpoints.at(-1)!.final!;
  assert.deepEqual(await verifyRecording(s, input(A, { endedAt: signed.endedAt, endReason: signed.endReason })), []);
  for (const status of ['interrupted', 'recording'] as RecordingStatus[]) {
    assertFirstError(await verifyRecording(s, input(A, { status })), {
      message: new RegExp(`^recording rec-a: the index says status "${status}", the signed final checkpoint "complete" \\(status edited\\)$`),
    });
  }
  assertFirstError(await verifyRecording(s, input(A, { endedAt: '2030-01-01T00:00:00.000Z' })), {
    message: new RegExp(`the index says endedAt "2030-01-01T00:00:00.000Z", the signed final checkpoint "${signed.endedAt}"`),
  });
  assertFirstError(await verifyRecording(s, input(A, { endReason: 'idle-timeout' })), {
    message: /the index says endReason "idle-timeout", the signed final checkpoint "client closed"/,
  });
});

test('checkpoints are checked with the trusted keys only, never with the key the manifest names', async () => {
  const mallory = generateSigningKey(s);
  const resigned = A.checkpoints.map(({ signature: _, ...rest }) => signCheckpoint(s, mallory.secretKey, rest));
  const planted = { ...A.manifest, signer: toBase64(mallory.publicKey) };
  const findings = await verifyRecording(s, input(A, { checkpoints: resigned, manifest: planted }));
  assert.ok(errors(findings).length >= 1);
  assert.ok(!findings.some((f) => f.severity === 'warning'), 'an untrusted signature is never a mere warning');
  // Two pinned gateways: a manifest naming the other one than the one that signed was altered.
  const second = generateSigningKey(s);
  const swapped = await verifyRecording(s, input(A, { manifest: { ...A.manifest, signer: toBase64(second.publicKey) }, trustedSigners: [signer.publicKey, second.publicKey] }));
  assertFirstError(swapped, { message: /checkpoint seq 0 is signed by another trusted key than the manifest's signer \(manifest altered\)/ });
  assert.deepEqual(await verifyRecording(s, input(A, { trustedSigners: [second.publicKey, signer.publicKey] })), [], 'any trusted key may have signed');
});

// Recordings the gateway sealed in earlier formats, kept as written: /1 with BLAKE2b-256 chunk
// digests, /3 with the first half of BLAKE2b-512.
const EARLIER_FORMATS = [
  { file: 'v1-complete.json', format: 'recgate-recording/1', prefix: 'v1' },
  { file: 'v3-complete.json', format: 'recgate-recording/3', prefix: 'v3' },
] as const;

for (const earlier of EARLIER_FORMATS) {
  test(`a recording sealed as ${earlier.format} still verifies and opens`, async () => {
    const fixture = JSON.parse(readFileSync(new URL(`../../../test/fixtures/recordings/${earlier.file}`, import.meta.url), 'utf8')) as {
      manifest: Manifest;
      checkpoints: Checkpoint[];
      chunks: Record<string, string[]>;
      auditor: { kid: string; publicKey: string; secretKey: string };
      signer: string;
    };
    assert.equal(fixture.manifest.format, earlier.format);
    const bytes = (b64: string): Uint8Array => fromBase64(b64)!;
    const chunks = (id: number): Uint8Array[] => (fixture.chunks[id] ?? []).map(bytes);
    const sealed: VerifyInput = {
      id: fixture.manifest.id,
      manifest: fixture.manifest,
      checkpoints: fixture.checkpoints,
      status: 'complete',
      trustedSigners: [bytes(fixture.signer)],
      readChunks: (id) => iterate(chunks(id)),
    };
    for (const backend of [s, await wasmSodium()]) assert.deepEqual(await verifyRecording(backend, sealed), []);
    const altered = chunks(1);
    altered[1]![0]! ^= 1;
    assertFirstError(await verifyRecording(s, { ...sealed, readChunks: (id) => iterate(id === 1 ? altered : chunks(id)) }), {
      stream: 'tty',
      chunk: 1,
      message: /ciphertext does not match its signed digest/,
    });
    // Read as the current format, every digest differs: an error, never a pass.
    const relabelled: VerifyInput = { ...sealed, manifest: { ...fixture.manifest, format: MANIFEST_FORMAT } };
    assertFirstError(await verifyRecording(s, relabelled), { stream: 'tty', chunk: 0, message: /ciphertext does not match its signed digest/ });
    const auditor = { kid: fixture.auditor.kid, publicKey: bytes(fixture.auditor.publicKey), secretKey: bytes(fixture.auditor.secretKey) };
    const opener = RecordOpener.open(s, fixture.manifest, auditor);
    const text = chunks(1).map((c, i) => new TextDecoder().decode(opener.openChunk(1, i, c).plaintext));
    assert.equal(text[0], `${earlier.prefix} output 0\r\n$ `);
    opener.close();
  });
}
