import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { desktopSize, solidRect, type Rgb } from '../../test/fixtures/screen.js';
import { ScreenPlayer, type TimedRecord } from '../graphics/player.js';
import { RecordType, type ScreenRecord } from '../graphics/records.js';
import { partStart } from './part-start.js';

const W = 96;
const H = 64;

function reader(records: TimedRecord[], opened: { count: number }): () => AsyncIterator<TimedRecord> {
  return () => {
    opened.count++;
    return (async function* () {
      yield* records;
    })();
  };
}

/** The screen at `until` as a player seeking from the keyframe decodes it: every bitmap since the keyframe. */
function everyBitmap(records: TimedRecord[], until: number, keyframe: number): ScreenPlayer {
  const player = new ScreenPlayer(W, H);
  for (const { t, record } of records) {
    if (t > until) break;
    if (t >= keyframe || record.type === RecordType.Palette || record.type >= RecordType.PointerPosition) player.apply(record);
  }
  return player;
}

/** A bitmap whose data is one byte short: it does not decode, and paints nothing. */
function broken(x: number, y: number, w: number, h: number): ScreenRecord {
  const r = solidRect(x, y, w, h, [1, 2, 3]);
  return r.type === RecordType.Bitmap ? { ...r, data: r.data.subarray(1) } : r;
}

test('tiles repainted many times: the screen at the part start is the one decoding every bitmap gives', async () => {
  const records: TimedRecord[] = [{ t: 0, record: desktopSize(W, H) }];
  for (let t = 1; t <= 50; t++) {
    for (let y = 0; y < H; y += 32) for (let x = 0; x < W; x += 32) records.push({ t, record: solidRect(x, y, 32, 32, [t * 5, x, y]) });
  }
  records.push({ t: 51, record: { type: RecordType.PointerPosition, x: 7, y: 9 } });
  const opened = { count: 0 };
  const start = await partStart(reader(records, opened), 40, -Infinity, W, H);
  assert.deepEqual(start.player.fb.pixels, everyBitmap(records, 40, -Infinity).fb.pixels);
  assert.equal(start.player.fb.at(40, 40)[0], 200, 'the last paint before the start shows');
  assert.equal(start.next.done, false);
  assert.equal(start.next.value?.t, 41, 'the reader goes on after the part start');
  assert.equal(opened.count, 2, 'one read to learn what is painted over, one to decode what is not');
});

test('a bitmap that does not decode: the screen is built again with every bitmap, as a player shows it', async () => {
  const records: TimedRecord[] = [
    { t: 0, record: solidRect(0, 0, 32, 32, [255, 0, 0]) },
    // Trusted to paint over the red one, but it does not decode.
    { t: 1, record: broken(0, 0, 32, 32) },
  ];
  const opened = { count: 0 };
  const start = await partStart(reader(records, opened), 5, -Infinity, W, H);
  assert.deepEqual(start.player.fb.at(5, 5), [255, 0, 0, 255]);
  assert.equal(opened.count, 3);
  assert.equal(start.player.skipped, 1);
});

test('any run of bitmaps, palettes, sizes, pointers and broken bitmaps: the same screen as decoding every bitmap (fast-check)', async () => {
  const colour = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })) as fc.Arbitrary<Rgb>;
  const record: fc.Arbitrary<ScreenRecord> = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(16, 32), colour).map(([bx, by, s, c]) => solidRect(bx * 16, by * 16, s, s, c)) },
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), colour).map(([x, y, w, h, c]) => solidRect(x, y, w, h, c)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 50 })).map(([x, y]) => broken(x, y, 16, 16)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 16, max: W }), fc.integer({ min: 16, max: H })).map(([w, h]) => desktopSize(w, h)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: W }), fc.integer({ min: 0, max: H })).map(([x, y]) => ({ type: RecordType.PointerPosition, x, y }) as ScreenRecord) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 768, maxLength: 768 }).map((colors) => ({ type: RecordType.Palette, colors }) as ScreenRecord) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), record), { maxLength: 80 }), fc.integer({ min: 0, max: 250 }), fc.integer({ min: -1, max: 250 }), async (steps, until, keyframeAt) => {
      let t = 0;
      const records = steps.map(([dt, r]) => ({ t: (t += dt), record: r }));
      const keyframe = keyframeAt < 0 ? -Infinity : Math.min(keyframeAt, until);
      const start = await partStart(reader(records, { count: 0 }), until, keyframe, W, H);
      const want = everyBitmap(records, until, keyframe);
      assert.deepEqual([start.player.fb.width, start.player.fb.height], [want.fb.width, want.fb.height]);
      assert.ok(Buffer.from(start.player.fb.pixels).equals(Buffer.from(want.fb.pixels)), 'the same pixels');
      assert.deepEqual(start.player.pointer, want.pointer);
    }),
    { numRuns: 500 },
  );
});
