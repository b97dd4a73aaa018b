import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeFrames, encodeFrames, FrameKind, type Frame } from './frames.js';

// fast-check builds records without a prototype; spread them into plain objects.
const plain = <T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> => arb.map((o) => ({ ...o }));

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  plain(fc.record({ kind: fc.constant(FrameKind.Data as const), t: fc.nat(2 ** 40), data: fc.uint8Array({ maxLength: 300 }) })),
  plain(fc.record({ kind: fc.constant(FrameKind.Resize as const), t: fc.nat(2 ** 40), cols: fc.nat(65535), rows: fc.nat(65535) })),
  plain(
    fc.record({
      kind: fc.constant(FrameKind.Event as const),
      t: fc.nat(2 ** 40),
      event: plain(fc.record({ type: fc.string(), text: fc.string() })),
    }),
  ),
);

test('frames round-trip through encode and decode', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { maxLength: 30 }), (frames) => {
      assert.deepEqual(decodeFrames(encodeFrames(frames)), frames);
    }),
  );
});

test('any truncation of an encoded chunk is rejected, never misread', () => {
  fc.assert(
    fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), fc.nat(), (frames, cut) => {
      const bytes = encodeFrames(frames);
      const at = cut % bytes.length;
      try {
        const decoded = decodeFrames(bytes.subarray(0, at));
        // A cut exactly on a frame boundary decodes to a prefix of the frames.
        assert.deepEqual(decoded, frames.slice(0, decoded.length));
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'RG_ERR_RECORDING');
      }
    }),
  );
});

test('arbitrary bytes either decode or throw a RecordingError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeFrames(bytes);
      } catch (err) {
        assert.equal((err as { code?: string }).code, 'RG_ERR_RECORDING');
      }
    }),
  );
});

test('large times and payload lengths use multi-byte varints', () => {
  const frames: Frame[] = [{ kind: FrameKind.Data, t: 8 * 3600 * 1000, data: new Uint8Array(70000).fill(7) }];
  const bytes = encodeFrames(frames);
  assert.equal(bytes.length, 1 + 4 + 3 + 70000);
  assert.deepEqual(decodeFrames(bytes), frames);
});
