import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Overdraw } from './overdraw.js';

type Op = { kind: 'paint'; x: number; y: number; w: number; h: number } | { kind: 'barrier' };

/**
 * The truth, pixel by pixel: which bitmaps still own a pixel when the next barrier
 * (or the end) comes. Only those may be shown; every other one may be left out.
 */
function visible(width: number, height: number, ops: Op[]): boolean[] {
  const owner = new Int32Array(width * height).fill(-1);
  const shown: boolean[] = [];
  const settle = (): void => {
    for (const o of owner) if (o >= 0) shown[o] = true;
    owner.fill(-1);
  };
  let n = 0;
  for (const op of ops) {
    if (op.kind === 'barrier') {
      settle();
      continue;
    }
    const i = n++;
    shown[i] = false;
    for (let y = Math.max(0, op.y); y < Math.min(height, op.y + op.h); y++) {
      for (let x = Math.max(0, op.x); x < Math.min(width, op.x + op.w); x++) owner[y * width + x] = i;
    }
  }
  settle();
  return shown;
}

function run(width: number, height: number, ops: Op[]): Uint8Array | undefined {
  const o = new Overdraw(width, height);
  for (const op of ops) {
    if (op.kind === 'barrier') o.barrier();
    else o.paint(op.x, op.y, op.x + op.w, op.y + op.h);
  }
  return o.hidden();
}

test('tiles repainted over and over: only the last paint of each tile is kept', () => {
  const ops: Op[] = [];
  for (let round = 0; round < 5; round++) {
    for (let y = 0; y < 1080; y += 64) for (let x = 0; x < 1920; x += 64) ops.push({ kind: 'paint', x, y, w: 64, h: 64 });
  }
  const hidden = run(1920, 1080, ops)!;
  const perRound = ops.length / 5;
  assert.equal(hidden.length, ops.length);
  assert.ok(hidden.subarray(0, 4 * perRound).every((h) => h === 1), 'earlier rounds are painted over');
  // The bottom row of tiles reaches past the 1080th line: clipped to the canvas, still whole.
  assert.ok(hidden.subarray(4 * perRound).every((h) => h === 0), 'the last round shows');
});

test('a bitmap covered only by several smaller ones is kept (blocks are covered by one bitmap at a time)', () => {
  const hidden = run(64, 64, [
    { kind: 'paint', x: 0, y: 0, w: 32, h: 32 },
    { kind: 'paint', x: 0, y: 0, w: 24, h: 32 },
    { kind: 'paint', x: 24, y: 0, w: 8, h: 32 },
  ])!;
  assert.deepEqual([...hidden], [0, 0, 0]);
});

test('nothing before a barrier is hidden by what comes after it', () => {
  const hidden = run(64, 64, [
    { kind: 'paint', x: 0, y: 0, w: 16, h: 16 },
    { kind: 'barrier' },
    { kind: 'paint', x: 0, y: 0, w: 64, h: 64 },
    { kind: 'paint', x: 0, y: 0, w: 64, h: 64 },
  ])!;
  assert.deepEqual([...hidden], [0, 1, 0]);
});

test('a bitmap off the canvas writes nothing and is hidden; one at an odd edge is covered by what reaches the edge', () => {
  const hidden = run(50, 37, [
    { kind: 'paint', x: 60, y: 0, w: 10, h: 10 },
    { kind: 'paint', x: 40, y: 30, w: 10, h: 7 },
    { kind: 'paint', x: 32, y: 16, w: 100, h: 100 },
  ])!;
  assert.deepEqual([...hidden], [1, 1, 0]);
});

test('never hides a bitmap that shows (fast-check against a pixel-exact painter)', () => {
  const op = fc.oneof(
    { weight: 9, arbitrary: fc.record({ kind: fc.constant('paint' as const), x: fc.integer({ min: 0, max: 70 }), y: fc.integer({ min: 0, max: 50 }), w: fc.integer({ min: 0, max: 70 }), h: fc.integer({ min: 0, max: 50 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('barrier' as const) }) },
  );
  // Tiles on a 16-pixel grid too, so that hiding actually happens.
  const tile = fc.record({ kind: fc.constant('paint' as const), x: fc.integer({ min: 0, max: 4 }).map((v) => v * 16), y: fc.integer({ min: 0, max: 3 }).map((v) => v * 16), w: fc.constantFrom(16, 32, 64), h: fc.constantFrom(16, 32, 64) });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 48 }), fc.array(fc.oneof(op, tile), { maxLength: 60 }), (width, height, ops) => {
      const hidden = run(width, height, ops)!;
      const shown = visible(width, height, ops);
      assert.equal(hidden.length, shown.length);
      shown.forEach((s, i) => assert.ok(!(s && hidden[i] === 1), `bitmap ${i} shows but was hidden`));
    }),
    { numRuns: 2000 },
  );
});
