import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityCounter } from './activity.js';
import { BitmapCodec, RecordType, type ScreenRecord } from './records.js';

const desktop: ScreenRecord = { type: RecordType.DesktopSize, w: 100, h: 100 };
const tile = (w: number, h: number): ScreenRecord => ({ type: RecordType.Bitmap, x: 0, y: 0, destW: w, destH: h, width: w, height: h, bpp: 32, codec: BitmapCodec.None, flags: 0, data: new Uint8Array(w * h * 4) });

test('each second that saw screen change comes out once, as the share of the screen redrawn; idle seconds give nothing', () => {
  const a = new ActivityCounter();
  assert.equal(a.add(0, [desktop, tile(100, 100)]), null);
  assert.equal(a.add(400, [tile(50, 20)]), null);
  // The next second's first record closes second 0: the whole screen plus a tenth of it.
  assert.deepEqual(a.add(1200, [tile(10, 10)]), { second: 0, change: 1.1 });
  // Seconds 2 to 4 idle: the record at 5.0 s closes second 1 only.
  assert.deepEqual(a.add(5000, [tile(20, 50)]), { second: 1, change: 0.01 });
  assert.deepEqual(a.flush(), { second: 5, change: 0.1 });
  assert.equal(a.flush(), null, 'a second comes out once');
});

test('records without a bitmap (pointer moves) are no change', () => {
  const a = new ActivityCounter();
  a.add(0, [desktop]);
  assert.equal(a.add(1500, [{ type: RecordType.PointerPosition, x: 5, y: 5 }]), null);
  assert.equal(a.flush(), null);
});
