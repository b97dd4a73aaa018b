import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BitmapCodec, encodeRecords, RecordType, ScreenFormatError, ScreenParser, type ScreenRecord } from './records.js';

const sample: ScreenRecord[] = [
  { type: RecordType.DesktopSize, w: 1920, h: 1080 },
  { type: RecordType.Bitmap, x: 10, y: 20, destW: 64, destH: 63, width: 64, height: 64, bpp: 16, codec: BitmapCodec.Interleaved, flags: 0x401, data: Uint8Array.from([1, 2, 3, 4, 5]) },
  { type: RecordType.Palette, colors: Uint8Array.from([255, 0, 0, 0, 255, 0]) },
  { type: RecordType.Keyframe, w: 2, h: 1, rgb: new Uint8Array(300).fill(7) },
  { type: RecordType.PointerPosition, x: 500, y: 400 },
  { type: RecordType.PointerShape, index: 3, hotX: 1, hotY: 2, w: 32, h: 32, xorBpp: 32, and: new Uint8Array(128).fill(0xff), xor: new Uint8Array(4096).fill(9) },
  { type: RecordType.PointerSystem, kind: 0 },
  { type: RecordType.PointerCached, index: 3 },
];

const norm = (rs: ScreenRecord[]): unknown => JSON.parse(JSON.stringify(rs, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v)));

test('every record type reads back as written', () => {
  const p = new ScreenParser();
  assert.deepEqual(norm(p.push(encodeRecords(sample))), norm(sample));
  p.end();
});

test('split at every byte, the records read back the same', () => {
  const bytes = encodeRecords(sample);
  for (let i = 0; i <= bytes.length; i++) {
    const p = new ScreenParser();
    const got = [...p.push(bytes.subarray(0, i)), ...p.push(bytes.subarray(i))];
    assert.deepEqual(norm(got), norm(sample), `split at ${i}`);
    p.end();
  }
});

test('byte by byte, the records read back the same', () => {
  const bytes = encodeRecords(sample);
  const p = new ScreenParser();
  const got: ScreenRecord[] = [];
  for (let i = 0; i < bytes.length; i++) got.push(...p.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(norm(got), norm(sample));
});

test('a stream cut inside a record is reported at its end', () => {
  const p = new ScreenParser();
  p.push(encodeRecords(sample).subarray(0, 12));
  assert.throws(() => p.end(), ScreenFormatError);
});

test('another format version is refused with its number', () => {
  assert.throws(() => new ScreenParser().push(Uint8Array.from([0x21, 4, 0, 0, 0, 0])), /version 2 is not supported/);
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const bytes = fc.uint8Array({ maxLength: 64 });
const record: fc.Arbitrary<ScreenRecord> = fc.oneof(
  fc.record({ type: fc.constant(RecordType.DesktopSize as const), w: u16, h: u16 }),
  fc.record({ type: fc.constant(RecordType.Bitmap as const), x: u16, y: u16, destW: u16, destH: u16, width: u16, height: u16, bpp: fc.integer({ min: 0, max: 255 }), codec: fc.constantFrom(BitmapCodec.None, BitmapCodec.Interleaved, BitmapCodec.Planar), flags: u16, data: bytes }),
  fc.record({ type: fc.constant(RecordType.Palette as const), colors: fc.integer({ min: 0, max: 20 }).chain((n) => fc.uint8Array({ minLength: n * 3, maxLength: n * 3 })) }),
  fc.record({ type: fc.constant(RecordType.Keyframe as const), w: u16, h: u16, rgb: bytes }),
  fc.record({ type: fc.constant(RecordType.PointerPosition as const), x: u16, y: u16 }),
  fc.record({ type: fc.constant(RecordType.PointerShape as const), index: u16, hotX: u16, hotY: u16, w: u16, h: u16, xorBpp: fc.integer({ min: 0, max: 255 }), and: bytes, xor: bytes }),
  fc.record({ type: fc.constant(RecordType.PointerSystem as const), kind: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ type: fc.constant(RecordType.PointerCached as const), index: u16 }),
);

test('fuzz: any records survive any chunking', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (records, cuts) => {
      const bytes = encodeRecords(records);
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const p = new ScreenParser();
      const got: ScreenRecord[] = [];
      let prev = 0;
      for (const c of [...points, bytes.length]) {
        got.push(...p.push(bytes.subarray(prev, c)));
        prev = c;
      }
      p.end();
      assert.deepEqual(norm(got), norm(records));
    }),
  );
});

test('fuzz: arbitrary bytes give records or a ScreenFormatError, nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        new ScreenParser().push(b);
      } catch (err) {
        assert.ok(err instanceof ScreenFormatError, String(err));
      }
    }),
  );
});

test('a malformed or unknown record is skipped and counted; the records after it read on', () => {
  const p = new ScreenParser();
  const bad = Uint8Array.from([0x11, 1, 0, 0x19, 2, 7, 7]);
  const got = p.push(Uint8Array.from([...bad, ...encodeRecords([{ type: RecordType.PointerCached, index: 9 }])]));
  assert.deepEqual(norm(got), norm([{ type: RecordType.PointerCached, index: 9 }]));
  assert.equal(p.skipped, 2);
  assert.match(p.firstError ?? '', /DesktopSize record is too short/);
});
