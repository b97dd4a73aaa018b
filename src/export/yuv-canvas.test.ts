import assert from 'node:assert/strict';
import { test } from 'node:test';
import { solidPointer, solidRect } from '../../test/fixtures/screen.js';
import { ScreenPlayer } from '../graphics/player.js';
import { RecordType } from '../graphics/records.js';
import { YuvCanvas } from './yuv-canvas.js';

test('BT.601 limited range (8-bit integer approximation): red, green, blue, white and black', () => {
  const p = new ScreenPlayer(32, 2);
  p.apply({ type: RecordType.DesktopSize, w: 32, h: 2 });
  const colours: [number, number, number][] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0]];
  colours.forEach((c, i) => p.apply(solidRect(i * 2, 0, 2, 2, c)));
  const c = new YuvCanvas(32, 2);
  c.update(p.fb, undefined);
  const y = (i: number): number => c.frame[i * 2]!;
  const u = (i: number): number => c.frame[64 + i]!;
  const v = (i: number): number => c.frame[64 + 16 + i]!;
  assert.deepEqual(colours.map((_, i) => [y(i), u(i), v(i)]), [[82, 90, 240], [144, 54, 34], [41, 240, 110], [235, 128, 128], [16, 128, 128]]);
});

test('converting only what changed gives the frame a full conversion gives, pointer moves included', () => {
  const p = new ScreenPlayer();
  p.apply({ type: RecordType.DesktopSize, w: 100, h: 60 });
  const running = new YuvCanvas(100, 60);
  let seed = 3;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let step = 0; step < 60; step++) {
    p.apply(solidRect(rnd(110) - 5, rnd(70) - 5, 1 + rnd(30), 1 + rnd(30), [rnd(256), rnd(256), rnd(256)]));
    if (step === 20) p.apply(solidPointer(1, 5, 7, [255, 255, 0]));
    if (step === 40) p.apply({ type: RecordType.DesktopSize, w: 90, h: 70 });
    const pointer = { x: rnd(100), y: rnd(60), image: p.pointerImage };
    running.update(p.fb, pointer);
    const fresh = new YuvCanvas(100, 60);
    p.fb.takeDamage();
    // A fresh canvas converts every block.
    fresh.update(p.fb, pointer);
    assert.ok(Buffer.from(running.frame).equals(Buffer.from(fresh.frame)), `step ${step}`);
  }
});

test('every pixel as the BT.601 formula gives it, inside a smaller odd-sized desktop and black around it', () => {
  const p = new ScreenPlayer();
  p.apply({ type: RecordType.DesktopSize, w: 77, h: 45 });
  let seed = 11;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 200; i++) p.apply(solidRect(rnd(80), rnd(48), 1 + rnd(9), 1 + rnd(9), [rnd(256), rnd(256), rnd(256)]));
  const c = new YuvCanvas(96, 64);
  c.update(p.fb, undefined);
  const rgb = (x: number, y: number): number[] => (x < 77 && y < 45 ? p.fb.at(x, y).slice(0, 3) : [0, 0, 0]);
  const uBase = 96 * 64;
  for (let y = 0; y < 64; y += 2) {
    for (let x = 0; x < 96; x += 2) {
      const quad = [rgb(x, y), rgb(x + 1, y), rgb(x, y + 1), rgb(x + 1, y + 1)];
      quad.forEach(([r, g, b], k) => {
        const at = (y + (k >> 1)) * 96 + x + (k & 1);
        assert.equal(c.frame[at], ((66 * r! + 129 * g! + 25 * b! + 128) >> 8) + 16, `Y at ${at % 96},${Math.floor(at / 96)}`);
      });
      const [rs, gs, bs] = [0, 1, 2].map((ch) => quad.reduce((n, q) => n + q[ch]!, 0));
      const ci = (y / 2) * 48 + x / 2;
      assert.equal(c.frame[uBase + ci], ((-38 * rs! - 74 * gs! + 112 * bs! + 512) >> 10) + 128, `U at ${x},${y}`);
      assert.equal(c.frame[uBase + uBase / 4 + ci], ((112 * rs! - 94 * gs! - 18 * bs! + 512) >> 10) + 128, `V at ${x},${y}`);
    }
  }
});
