import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecentDecodes } from './recent-decodes.js';

test('what bytes decoded to is found again by equal bytes in any buffer, not by others', () => {
  const cache = new RecentDecodes<{ text: string }>(4, 64);
  const value = { text: 'abc' };
  cache.add(Buffer.from('abc'), value);
  assert.equal(cache.find(Buffer.from('abc')), value);
  assert.equal(cache.find(Buffer.from('xabcx').subarray(1, 4)), value, 'a view of a larger chunk');
  assert.equal(cache.find(Buffer.from('abd')), undefined);
  assert.equal(cache.find(Buffer.from('ab')), undefined);
});

test('bytes found where they lie in a chunk, short and long, and not past their end', () => {
  const cache = new RecentDecodes<string>(4, 1024);
  const short = Buffer.from('column');
  const long = Buffer.alloc(300, 'x');
  cache.add(short, 'short');
  cache.add(long, 'long');
  for (const [bytes, value] of [[short, 'short'], [long, 'long']] as const) {
    const chunk = Buffer.concat([Buffer.from('..'), bytes, Buffer.from('..')]);
    assert.equal(cache.findAt(chunk, 2, 2 + bytes.length), value);
    assert.equal(cache.findAt(chunk, 2, 1 + bytes.length), undefined, 'one byte short');
    assert.equal(cache.findAt(chunk, 1, 1 + bytes.length), undefined, 'one byte early');
    const changed = Buffer.from(chunk);
    changed[2 + bytes.length - 1] = 0x41;
    assert.equal(cache.findAt(changed, 2, 2 + bytes.length), undefined, 'its last byte changed');
  }
});

test('the bytes kept are a copy, and longer ones than maxBytes are not kept', () => {
  const cache = new RecentDecodes<string>(4, 4);
  const chunk = Buffer.from('abcd');
  cache.add(chunk, 'abcd');
  chunk.write('x', 0);
  assert.equal(cache.find(chunk), undefined);
  assert.equal(cache.find(Buffer.from('abcd')), 'abcd');
  cache.add(Buffer.from('abcde'), 'abcde');
  assert.equal(cache.find(Buffer.from('abcde')), undefined);
});

test('the cache holds its last `size` additions, the latest first, as a list of them would', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.record({ add: fc.boolean(), bytes: fc.uint8Array({ maxLength: 3, max: 1 }).map((b) => Buffer.from(b)) }), { maxLength: 40 }), (size, steps) => {
      const cache = new RecentDecodes<number>(size, 2);
      const model: { bytes: Buffer; value: number }[] = [];
      steps.forEach(({ add, bytes }, value) => {
        if (add) {
          cache.add(bytes, value);
          if (bytes.length > 2) return;
          model.push({ bytes, value });
          if (model.length > size) model.shift();
        } else {
          const expected = [...model].reverse().find((m) => m.bytes.equals(bytes))?.value;
          assert.equal(cache.find(bytes), expected);
          // The same bytes where they lie in a larger chunk, between bytes that may look alike.
          const chunk = Buffer.concat([bytes.subarray(0, 1), bytes, bytes.subarray(-1)]);
          const start = Math.min(1, bytes.length);
          assert.equal(cache.findAt(chunk, start, start + bytes.length), expected);
        }
      });
    }),
  );
});

test('keys of every length up to 140 bytes are told apart by any one byte', () => {
  const key = fc.integer({ min: 0, max: 140 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n, max: 1 }).map((b) => Buffer.from(b)));
  /** The value of the latest key added with these bytes. */
  const latest = (keys: Buffer[], bytes: Buffer): number | undefined => {
    for (let i = keys.length - 1; i >= 0; i--) if (keys[i]!.equals(bytes)) return i;
    return undefined;
  };
  fc.assert(
    fc.property(fc.array(key, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(3), (keys, flip, pad) => {
      const cache = new RecentDecodes<number>(4, 1024);
      keys.forEach((k, i) => cache.add(k, i));
      for (const k of keys) {
        const chunk = Buffer.concat([Buffer.alloc(pad, 1), k, Buffer.alloc(pad, 1)]);
        assert.equal(cache.findAt(chunk, pad, pad + k.length), latest(keys, k));
        if (k.length === 0) continue;
        // One byte different, anywhere: found only if another key has exactly those bytes.
        const changed = Buffer.from(chunk);
        changed[pad + (flip % k.length)]! ^= 1;
        assert.equal(cache.findAt(changed, pad, pad + k.length), latest(keys, changed.subarray(pad, pad + k.length)));
      }
    }),
    { numRuns: 500 },
  );
});

test('bytes that are not text are told apart too: every byte value is its own', () => {
  // Invalid UTF-8 (a lone continuation byte, an overlong lead) would decode to the same U+FFFD.
  const cache = new RecentDecodes<string>(8, 64);
  const keys = [[0x80], [0xbf], [0xff], [0xc0, 0x80], [0xc1, 0xbf], [0x00], [0x7f]].map((b) => Buffer.from(b));
  keys.forEach((k) => cache.add(k, k.toString('hex')));
  for (const k of keys) assert.equal(cache.findAt(Buffer.concat([Buffer.from([0xfe]), k]), 1, 1 + k.length), k.toString('hex'));
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, at, delta) => {
      const held = new RecentDecodes<string>(2, 64);
      held.add(Buffer.from(bytes), 'held');
      const other = Buffer.from(bytes);
      other[at % other.length] = (other[at % other.length]! + delta) & 0xff;
      assert.equal(held.find(Buffer.from(bytes)), 'held');
      assert.equal(held.find(other), undefined);
    }),
  );
});
