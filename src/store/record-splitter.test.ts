import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { recordHeader } from './chunk-file.js';
import { MAX_RECORD, RecordSplitter } from './record-splitter.js';

const file = (records: Uint8Array[]): Uint8Array => Buffer.concat(records.flatMap((r) => [recordHeader(r.length), r]));

function split(bytes: Uint8Array, cuts: number[]): { records: Uint8Array[]; pending: number } {
  const splitter = new RecordSplitter();
  const records: Uint8Array[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    records.push(...splitter.push(bytes.subarray(at, cut)));
    at = cut;
  }
  return { records, pending: splitter.pending };
}

test('records come out whole, whatever byte they were split at', () => {
  const records = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.from({ length: 300 }, (_, i) => i % 251)];
  const bytes = file(records);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const out = split(bytes, [cut]);
    assert.deepEqual(out.records.map((r) => [...r]), records.map((r) => [...r]), `split at ${cut}`);
    assert.equal(out.pending, 0);
  }
});

test('a cut record is held back and counted, not returned', () => {
  const bytes = file([Uint8Array.of(7, 7), Uint8Array.of(9, 9, 9)]);
  const out = split(bytes.subarray(0, bytes.length - 1), []);
  assert.deepEqual(out.records.map((r) => [...r]), [[7, 7]]);
  assert.equal(out.pending, 4 + 3 - 1);
});

test('a length no chunk can have is refused', () => {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, MAX_RECORD + 1);
  assert.throws(() => new RecordSplitter().push(header), /more than any chunk/);
});

test('any records, split anywhere, come out as they went in', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 }), fc.array(fc.nat(3000), { maxLength: 20 }), (records, cuts) => {
      const out = split(file(records), cuts);
      assert.deepEqual(out.records.map((r) => [...r]), records.map((r) => [...r]));
      assert.equal(out.pending, 0);
    }),
  );
});
