import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameKind } from './frames.js';
import { StreamBuffer } from './stream-buffer.js';

test('a frame appended as text holds the bytes of the text as UTF-8, ASCII or not', () => {
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('a', '\r\n', '\x7f', '\x80', 'é', '\u2028', '\ud800', '😀') }));
  fc.assert(
    fc.property(fc.array(fc.tuple(text, fc.nat(100_000))), (frames) => {
      const asText = new StreamBuffer(1 << 20);
      const asBytes = new StreamBuffer(1 << 20);
      for (const [s, t] of frames) {
        asText.appendText(FrameKind.Data, t, s, Buffer.byteLength(s));
        asBytes.append(FrameKind.Data, t, Buffer.from(s, 'utf8'));
      }
      assert.deepEqual(Buffer.from(asText.take()), Buffer.from(asBytes.take()));
    }),
  );
});
