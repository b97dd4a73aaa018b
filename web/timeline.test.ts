import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecordType } from '../src/graphics/records.js';
import type { TimedRecord } from '../src/graphics/player.js';
import { clock, firstAfter, playLength, timeAt, timelineMarks, xAt } from './timeline.js';

const rec = (t: number): TimedRecord => ({ t, record: { type: RecordType.PointerPosition, x: 0, y: 0 } });

test('the marks: activity seconds with their change, clicks and keys; other events are not marks', () => {
  const marks = timelineMarks([
    { t: 900, event: { type: 'rdp-connect' } },
    { t: 2000, event: { type: 'activity', second: 1, change: 0.42 } },
    { t: 2100, event: { type: 'click', button: 'left', x: 1, y: 2 } },
    { t: 2300, event: { type: 'key', text: 'a' } },
    { t: 2400, event: { type: 'typed', text: 'a', endedBy: null } },
    { t: 3000, event: { type: 'activity', second: 'two', change: 1 } },
  ]);
  assert.deepEqual(marks, { activity: [[1, 0.42]], clicks: [2100], keys: [2300] });
});

test('the length runs to the last record or event, or the recorded duration when later; activity does not lengthen it', () => {
  assert.equal(playLength([rec(100), rec(4000)], [{ t: 5000, event: { type: 'click' } }], 4500), 5000);
  assert.equal(playLength([rec(100)], [{ t: 9000, event: { type: 'activity', second: 9, change: 1 } }], 3000), 3000);
  assert.equal(playLength([], [], null), 0);
});

test('property: a time maps to an x and back within one pixel of time; x outside the bar clamps', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3_600_000 }), fc.integer({ min: 50, max: 4000 }), fc.double({ min: 0, max: 1, noNaN: true }), (length, width, share) => {
      const t = Math.round(share * length);
      const back = timeAt(xAt(t, width, length), width, length);
      assert.ok(Math.abs(back - t) <= length / width + 1, `${t} -> ${back}`);
      assert.equal(timeAt(-10, width, length), 0);
      assert.equal(timeAt(width + 10, width, length), length);
    }),
  );
  assert.equal(timeAt(5, 0, 1000), 0);
  assert.equal(xAt(5, 100, 0), 0);
});

test('property: firstAfter is the index of the first record later than t', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(10_000), { maxLength: 50 }), fc.integer({ min: -1, max: 10_001 }), (times, t) => {
      const records = times.sort((a, b) => a - b).map(rec);
      const want = records.findIndex((r) => r.t > t);
      assert.equal(firstAfter(records, t), want === -1 ? records.length : want);
    }),
  );
});

test('clock reads minutes and tenths of seconds', () => {
  assert.equal(clock(0), '0:00.0');
  assert.equal(clock(65_430), '1:05.4');
  assert.equal(clock(-5), '0:00.0');
});
