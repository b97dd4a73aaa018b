import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addGaps, idleMap, NO_SKIP, toPlayback, toRecording, type IdleMap } from './idle-map.js';

test('a pause longer than the limit plays for the limit; shorter ones are kept', () => {
  const map = idleMap([100, 200, 5200, 5300, 5400], 9400, 2000);
  assert.deepEqual(map.gaps, [{ start: 200, end: 5200 }, { start: 5400, end: 9400 }]);
  assert.equal(toPlayback(map, 200), 200);
  assert.equal(toPlayback(map, 2200), 2200);
  assert.equal(toPlayback(map, 4000), 2200, 'inside the removed stretch: the moment it was cut');
  assert.equal(toPlayback(map, 5200), 2200);
  assert.equal(toPlayback(map, 5300), 2300);
  assert.equal(toPlayback(map, 9400), 4400, 'the tail is a pause too');
  assert.equal(toRecording(map, 2200), 5200, 'the cut seeks to where the output resumes');
  assert.equal(toRecording(map, 2100), 2100);
  assert.equal(toRecording(map, 2300), 5300);
  assert.equal(toRecording(map, 4400), 9400);
});

test('without skipping, playback time is recording time', () => {
  for (const t of [0, 1, 1500, 1e9]) {
    assert.equal(toPlayback(NO_SKIP, t), t);
    assert.equal(toRecording(NO_SKIP, t), t);
  }
});

test('frame times going back are refused', () => {
  assert.throws(() => addGaps([], [10, 5], 1), /go back: 5 after 10/);
});

test('gaps found batch by batch are the gaps found at once', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(10_000), { maxLength: 60 }), fc.nat(60), fc.integer({ min: 1, max: 3000 }), (deltas, cutAt, limit) => {
      let t = 0;
      const times = deltas.map((d) => (t += d));
      const whole = idleMap(times, t, limit).gaps;
      const parts: IdleMap['gaps'] = [];
      const cut = Math.min(cutAt, times.length);
      addGaps(parts, times.slice(cut), limit, addGaps(parts, times.slice(0, cut), limit));
      assert.deepEqual(parts, whole);
    }),
  );
});

const arbMap = fc.record({ deltas: fc.array(fc.nat(20_000), { maxLength: 40 }), tail: fc.nat(20_000), limit: fc.integer({ min: 1, max: 5000 }) }).map(({ deltas, tail, limit }) => {
  let t = 0;
  const times = deltas.map((d) => (t += d));
  return { times, duration: t + tail, map: idleMap(times, t + tail, limit) };
});

test('the mapping is monotonic, shortens every pause to the limit at most, and seeks back to the time it plays', () => {
  fc.assert(
    fc.property(arbMap, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 8 }), ({ times, duration, map }, shares) => {
      const ts = shares.map((s) => s * duration).sort((a, b) => a - b);
      for (let i = 1; i < ts.length; i++) assert.ok(toPlayback(map, ts[i - 1]!) <= toPlayback(map, ts[i]!));
      const points = [0, ...times, duration];
      for (let i = 1; i < points.length; i++) {
        const played = toPlayback(map, points[i]!) - toPlayback(map, points[i - 1]!);
        assert.ok(played <= map.limit || played === points[i]! - points[i - 1]!, `pause ${points[i - 1]}..${points[i]} plays ${played}`);
      }
      const removed = map.gaps.reduce((n, g) => n + (g.end - g.start - map.limit), 0);
      assert.ok(Math.abs(toPlayback(map, duration) - (duration - removed)) < 1e-6);
      for (const t of [...times, ...ts]) {
        const p = toPlayback(map, t);
        assert.ok(Math.abs(toPlayback(map, toRecording(map, p)) - p) < 1e-6, `playback ${p}`);
        const inside = map.gaps.some((g) => t >= g.start + map.limit && t < g.end);
        if (!inside) assert.ok(Math.abs(toRecording(map, p) - t) < 1e-6, `recording ${t} -> ${p} -> ${toRecording(map, p)}`);
      }
    }),
  );
});
