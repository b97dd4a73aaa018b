import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { solidRect } from '../../test/fixtures/screen.js';
import { ActivityMeter } from './activity.js';
import { ScreenKeyframer } from './keyframer.js';
import { ScreenPlayer, ScreenTimeline, type TimedRecord } from './player.js';
import { BitmapCodec, RecordType, ScreenParser, type ScreenRecord } from './records.js';

const size = (w: number, h: number): ScreenRecord => ({ type: RecordType.DesktopSize, w, h });

test('rectangles outside the screen are clipped, never written out of bounds', () => {
  const p = new ScreenPlayer();
  p.apply(size(16, 8));
  assert.equal(p.apply(solidRect(12, 6, 10, 10, [255, 0, 0])), 4 * 2);
  assert.equal(p.apply(solidRect(40, 40, 10, 10, [255, 0, 0])), 0);
  assert.equal(p.apply(solidRect(0, 0, 0, 0, [255, 0, 0])), 0);
  assert.deepEqual(p.fb.at(15, 7), [255, 0, 0, 255]);
  assert.deepEqual(p.fb.at(11, 7), [0, 0, 0, 255]);
  assert.equal(p.fb.pixels.length, 16 * 8 * 4);
});

test('a resolution change mid-session keeps what fits and follows the new size', () => {
  const p = new ScreenPlayer();
  p.apply(size(8, 8));
  p.apply(solidRect(0, 0, 8, 8, [0, 255, 0]));
  p.apply(size(12, 4));
  assert.deepEqual([p.fb.width, p.fb.height], [12, 4]);
  assert.deepEqual(p.fb.at(7, 3), [0, 255, 0, 255]);
  assert.deepEqual(p.fb.at(11, 3), [0, 0, 0, 255]);
});

test('a bitmap that cannot be decoded is skipped and counted; the next one plays', () => {
  const p = new ScreenPlayer();
  p.apply(size(8, 8));
  p.apply({ type: RecordType.Bitmap, x: 0, y: 0, destW: 8, destH: 8, width: 8, height: 8, bpp: 16, codec: BitmapCodec.Interleaved, flags: 0x400, data: Uint8Array.from([0xfb]) });
  p.apply(solidRect(0, 0, 8, 8, [1, 2, 3]));
  assert.equal(p.skipped, 1);
  assert.match(p.firstError ?? '', /RLE order 0xfb/);
  assert.deepEqual(p.fb.at(4, 4), [1, 2, 3, 255]);
});

/** A busy minute and more: a random rectangle every 100 ms, through the keyframer as the recorder side would. */
function recordBusy(keyframeEveryMs: number): TimedRecord[] {
  const keyframer = new ScreenKeyframer({ intervalMs: keyframeEveryMs });
  const parser = new ScreenParser();
  const out: TimedRecord[] = [];
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let t = 0; t <= 150_000; t += 100) {
    const records = t === 0 ? [size(64, 48)] : [solidRect(rnd(64), rnd(48), 1 + rnd(20), 1 + rnd(20), [rnd(256), rnd(256), rnd(256)])];
    for (const record of parser.push(keyframer.update(t, records))) out.push({ t, record });
  }
  return out;
}

test('the keyframer adds a keyframe per minute of activity, and seeking from keyframes shows what playing from the start shows', () => {
  const records = recordBusy(60_000);
  const timeline = new ScreenTimeline(records);
  assert.equal(timeline.keyframes.length, 2);
  for (const t of [0, 59_950, 60_000, 60_050, 119_999, 120_000, 149_000, 150_000]) {
    const fast = timeline.seek(t);
    const slow = timeline.seek(t, { useKeyframes: false });
    assert.deepEqual(Buffer.from(fast.fb.pixels), Buffer.from(slow.fb.pixels), `at ${t} ms`);
  }
});

test('idle time costs no keyframes', () => {
  const k = new ScreenKeyframer({ intervalMs: 60_000 });
  let keyframes = 0;
  for (const t of [0, 3_600_000, 7_200_000]) {
    for (const r of new ScreenParser().push(k.update(t, t === 0 ? [size(8, 8)] : [solidRect(0, 0, 2, 2, [9, 9, 9])]))) if (r.type === RecordType.Keyframe) keyframes++;
  }
  assert.equal(keyframes, 0);
});

test('the activity meter gives the share of the screen changed per second and finds idle stretches', () => {
  const m = new ActivityMeter();
  m.add(0, 100, 100);
  m.add(500, 50, 100);
  m.add(4200, 25, 100);
  assert.deepEqual(m.perSecond(), [1.5, 0, 0, 0, 0.25]);
  assert.deepEqual(m.idleStretches(2), [[1, 4]]);
  assert.deepEqual(m.idleStretches(4), []);
});

test('fuzz: any record sequence plays without throwing, and the screen stays the size it says', () => {
  const small = fc.integer({ min: 0, max: 70 });
  const pos = fc.integer({ min: 0, max: 0xffff });
  const record = fc.oneof(
    fc.record({ type: fc.constant(RecordType.DesktopSize as const), w: small, h: small }),
    fc.record({ type: fc.constant(RecordType.Bitmap as const), x: pos, y: pos, destW: small, destH: small, width: small, height: small, bpp: fc.constantFrom(8, 15, 16, 24, 32, 0), codec: fc.constantFrom(0, 1, 2, 3), flags: fc.constantFrom(0, 1, 0x401), data: fc.uint8Array({ maxLength: 200 }) }),
    fc.record({ type: fc.constant(RecordType.Palette as const), colors: fc.uint8Array({ maxLength: 900 }) }),
    fc.record({ type: fc.constant(RecordType.Keyframe as const), w: small, h: small, rgb: fc.uint8Array({ maxLength: 50 }) }),
    fc.record({ type: fc.constant(RecordType.PointerShape as const), index: small, hotX: small, hotY: small, w: small, h: small, xorBpp: fc.constantFrom(1, 24, 32), and: fc.uint8Array({ maxLength: 100 }), xor: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ type: fc.constant(RecordType.PointerCached as const), index: small }),
  ) as fc.Arbitrary<ScreenRecord>;
  fc.assert(
    fc.property(fc.array(record, { maxLength: 20 }), (records) => {
      const p = new ScreenPlayer(8, 8);
      for (const r of records) p.apply(r);
      assert.equal(p.fb.pixels.length, p.fb.width * p.fb.height * 4);
    }),
    { numRuns: 500 },
  );
});
