import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeRecord, readRecords, SpoolCorruption, SpoolParser, type SpoolRecord } from './format.js';

const manifest = {
  format: 'recgate-manifest-1',
  id: 'r1',
  meta: { id: 'r1', user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1', startedAt: '2026-01-01T00:00:00.000Z' },
  signer: 'c2lnbmVy',
  streams: [],
  recipients: [{ kid: '0011223344556677', sealedKey: 'a2V5' }],
} as unknown as Extract<SpoolRecord, { kind: 'create' }>['manifest'];

const samples: SpoolRecord[] = [
  { kind: 'create', manifest },
  { kind: 'addStream', id: 'r1', stream: { id: 2, name: 'tty', kind: 'tty', channel: 0, noncePrefix: 'bm9uY2U=' } },
  { kind: 'append', id: 'r1', streamId: 2, from: 0, chunks: [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.from({ length: 300 }, (_, i) => i % 251)] },
  { kind: 'append', id: 'r1', streamId: 2, from: 3, chunks: [Uint8Array.of(9)], mayBeStored: true },
  { kind: 'log', token: 't-1' },
];

const bytesOf = (records: SpoolRecord[]): Buffer => Buffer.concat(records.map(encodeRecord));
const plain = (records: { record: SpoolRecord }[]): unknown => records.map((r) => JSON.parse(JSON.stringify(r.record, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v))));

test('records read back as written, in order', () => {
  const out = readRecords(bytesOf(samples));
  assert.deepEqual(plain(out.records), plain(samples.map((record) => ({ record }))));
  assert.equal(out.tornBytes, 0);
  assert.equal(out.corruption, undefined);
  assert.deepEqual(out.records.map((r) => r.end), out.records.map((r, i, all) => (i + 1 < all.length ? all[i + 1]!.offset : bytesOf(samples).length)));
});

test('records come out whole whatever byte the input is split at', () => {
  const bytes = bytesOf(samples);
  const whole = plain(readRecords(bytes).records);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const parser = new SpoolParser();
    const got = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
    assert.deepEqual(plain(got), whole, `split at ${cut}`);
    assert.equal(parser.partialBytes, 0);
  }
});

test('a torn last record (a crash mid-append) is left out and counted, the ones before it kept', () => {
  const bytes = bytesOf(samples);
  const lastStart = bytes.length - encodeRecord(samples.at(-1)!).length;
  for (let cut = lastStart; cut < bytes.length; cut++) {
    const out = readRecords(bytes.subarray(0, cut));
    assert.equal(out.records.length, samples.length - 1, `cut at ${cut}`);
    assert.equal(out.tornBytes, cut - lastStart);
    assert.equal(out.corruption, undefined);
  }
});

test('a flipped byte anywhere inside a record is found as corruption at that record, never read as data', () => {
  const bytes = bytesOf(samples);
  const third = readRecords(bytes).records[2]!;
  for (let at = third.offset; at < third.end; at++) {
    const damaged = Buffer.from(bytes);
    damaged[at]! ^= 0x40;
    const out = readRecords(damaged);
    // A changed length may make the record look torn when it runs past the end; otherwise it is corruption.
    if (out.corruption) {
      assert.ok(out.corruption instanceof SpoolCorruption);
      assert.equal(out.corruption.offset, third.offset, `flip at ${at}`);
    } else assert.ok(out.tornBytes > 0, `flip at ${at} went unnoticed`);
    assert.equal(out.records.length, 2, `flip at ${at}: the two records before it stay`);
  }
});

test('garbage between records is corruption, not a silent skip', () => {
  const bytes = Buffer.concat([encodeRecord(samples[0]!), Buffer.from('garbage!garbage!'), encodeRecord(samples[1]!)]);
  const out = readRecords(bytes);
  assert.equal(out.records.length, 1);
  assert.match(out.corruption?.message ?? '', /no record starts here/);
});

const chunkArb = fc.uint8Array({ maxLength: 200 });
const recordArb: fc.Arbitrary<SpoolRecord> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), id: fc.string(), streamId: fc.nat(), from: fc.nat(), chunks: fc.array(chunkArb, { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('log' as const), token: fc.string() }),
  fc.record({ kind: fc.constant('finalize' as const), id: fc.string(), checkpoint: fc.constant({ seq: 1 } as never), end: fc.record({ endedAt: fc.string(), endReason: fc.string() }) }),
);

test('fuzz: any records, split anywhere, read back the same', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (records, cuts) => {
      const bytes = bytesOf(records);
      const parser = new SpoolParser();
      const got = [];
      let at = 0;
      for (const cut of cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b).concat(bytes.length)) {
        got.push(...parser.push(bytes.subarray(at, cut)));
        at = cut;
      }
      assert.deepEqual(plain(got), plain(records.map((record) => ({ record }))));
    }),
  );
});

test('fuzz: arbitrary bytes never crash the reader; it reports records, a torn tail or corruption', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { maxLength: 3 }), fc.uint8Array({ maxLength: 300 }), fc.nat(), (records, noise, where) => {
      const good = bytesOf(records);
      const at = where % (good.length + 1);
      const bytes = Buffer.concat([good.subarray(0, at), noise, good.subarray(at)]);
      const out = readRecords(bytes);
      const consumed = out.records.at(-1)?.end ?? 0;
      assert.ok(consumed <= bytes.length);
      if (!out.corruption) assert.equal(consumed + out.tornBytes, bytes.length);
    }),
  );
});
