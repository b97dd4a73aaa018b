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
