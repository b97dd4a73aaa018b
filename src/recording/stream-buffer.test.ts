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
      assert.deepEqual(Buffer.from(asText.take(false)), Buffer.from(asBytes.take(false)));
    }),
  );
});

test('a text frame written before it is measured is the same frame, however its UTF-8 length moves the length field', () => {
  // 'é' and '😀' take more UTF-8 bytes than code units: a text of 64 to 127 of them has a one-byte
  // length in code units but a two-byte length in bytes, so the payload moves on once written.
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom('a', 'é', '\u2028', '\ud800', '😀'), maxLength: 200 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(text, fc.nat(100_000))), (frames) => {
      const unmeasured = new StreamBuffer(1 << 20);
      const measured = new StreamBuffer(1 << 20);
      for (const [s, t] of frames) {
        assert.equal(unmeasured.appendTextIfRoom(FrameKind.Event, t, s), Buffer.byteLength(s));
        measured.append(FrameKind.Event, t, Buffer.from(s, 'utf8'));
      }
      assert.deepEqual(Buffer.from(unmeasured.take(false)), Buffer.from(measured.take(false)));
    }),
  );
  const b = new StreamBuffer(1 << 20);
  b.appendTextIfRoom(FrameKind.Data, 5, 'é'.repeat(100));
  assert.deepEqual(Buffer.from(b.take(false)), Buffer.concat([Buffer.from([FrameKind.Data, 5, 0xc8, 0x01]), Buffer.from('é'.repeat(100))]));
});

test('a text frame that might not fit the chunk is left to the caller, nothing written', () => {
  const b = new StreamBuffer(1024);
  // 1024 less the largest frame header (17) leaves 1007 bytes: 335 code units surely fit, 336 might not.
  assert.equal(b.appendTextIfRoom(FrameKind.Data, 0, 'x'.repeat(336)), -1);
  assert.equal(b.size, 0);
  assert.equal(b.appendTextIfRoom(FrameKind.Data, 0, 'x'.repeat(335)), 335);
  assert.equal(b.appendTextIfRoom(FrameKind.Data, 0, 'x', 2), -1);
  assert.equal(b.appendTextIfRoom(FrameKind.Data, 0, 'x', 3), 1);
});

test("a busy stream's chunks double up to four times the chunk size; a flushed one halves them again", () => {
  const b = new StreamBuffer(1024);
  const fill = (): number => {
    // Frames of 100 bytes until the next would not fit: the chunk is as full as the recorder fills it.
    while (b.free() >= 100) b.append(FrameKind.Data, 0, new Uint8Array(100));
    return b.take(true).length;
  };
  const filled = [fill(), fill(), fill(), fill()];
  assert.deepEqual(filled.map((n) => Math.ceil(n / 1024)), [1, 2, 4, 4], `${filled}`);
  for (const [i, n] of filled.entries()) assert.ok(n <= 1024 << Math.min(i, 2), `chunk ${i} of ${n} bytes`);
  assert.equal(b.chunkLimit, 4096);
  b.append(FrameKind.Data, 0, new Uint8Array(10));
  assert.equal(b.take(false).length, 13, 'a frame of 10 bytes and its 3 bytes of header');
  assert.equal(b.chunkLimit, 2048);
  assert.ok(b.held >= 4096, `${b.held}`);
  b.take(false);
  b.take(false);
  assert.ok(b.held <= 2048, `a stream quiet again gives back a burst's buffer: ${b.held} bytes held`);
  assert.equal(b.chunkLimit, 1024, 'never below the chunk size');
  assert.equal(b.free(), 1024 - 17);
});
