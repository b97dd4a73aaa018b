import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ScreenPlayer } from '../../src/graphics/player.js';
import { RecordType } from '../../src/graphics/records.js';
import { ConnectionState, decodeEnvelope } from './codec/envelope.js';
import { RdpFramer, type Frame } from './codec/framer.js';
import { renderBanner, FILL, INK, type Banner } from './banner.js';
import { bannerRects, bitmapUpdatePdus, DEPTHS, MAX_USER_DATA, TILE } from './banner-bitmaps.js';
import { screenRecords } from './screen.js';
import { pixelsAt, readBanner } from './test-banner.js';

const IO = 1003;
const SHARE = 0x103ea;

/** The PDUs decoded by the relay's own codecs and drawn by the recording's player on a `w`x`h` desktop. */
function play(pdus: Buffer[], w: number, h: number, palette?: Uint8Array): ScreenPlayer {
  const state = new ConnectionState();
  state.ioChannel = IO;
  const player = new ScreenPlayer();
  player.apply({ type: RecordType.DesktopSize, w, h });
  if (palette) player.apply({ type: RecordType.Palette, colors: palette });
  for (const bytes of pdus) {
    const env = decodeEnvelope('s2c', { kind: 'tpkt', bytes }, state);
    assert.equal(env.data?.kind, 'bitmap', env.label);
    assert.equal(env.shareData?.shareId, SHARE);
    assert.equal(env.mcs?.kind === 'send-data-indication' && env.mcs.channelId, IO);
    for (const r of screenRecords(env)) assert.equal(player.apply(r) > 0, true);
  }
  assert.equal(player.skipped, 0, player.firstError);
  return player;
}

const near = (got: readonly number[], want: readonly number[], tolerance: number): boolean => got.every((v, i) => Math.abs(v - want[i]!) <= tolerance);

function check(banner: Banner, player: ScreenPlayer, tolerance: number): void {
  const { x, y, w, h } = banner.layout;
  const fb = player.fb;
  const at = (px: number, py: number): [number, number, number] => fb.at(px, py).slice(0, 3) as [number, number, number];
  assert.deepEqual(readBanner(at, banner.layout), banner.layout.lines);
  for (let py = y; py < y + h; py += 3) {
    for (let px = x; px < x + w; px += 3) {
      const o = ((py - y) * w + (px - x)) * 4;
      const want = [banner.rgba[o]!, banner.rgba[o + 1]!, banner.rgba[o + 2]!];
      assert.ok(near(at(px, py), want, tolerance), `${px},${py}: ${at(px, py).join(',')} for ${want.join(',')}`);
    }
  }
  // Outside the box nothing was drawn.
  assert.deepEqual(at(x - 1, y - 1), [0, 0, 0]);
  assert.deepEqual(at(x + w, y + h), [0, 0, 0]);
}

/** A palette with black at 7 and the banner's amber at 200, the rest grey. */
function palette(): Uint8Array {
  const p = new Uint8Array(256 * 3).fill(128);
  p.set(INK, 7 * 3);
  p.set(FILL, 200 * 3);
  return p;
}

for (const bpp of DEPTHS) {
  test(`at ${bpp} bpp the banner's Update PDUs decode, through the relay's codecs and the recording's decoder, to the banner`, () => {
    const banner = renderBanner('Maintenance at 18:00 - save your work', 1024, 768)!;
    const pal = bpp === 8 ? palette() : undefined;
    const rects = bannerRects(banner, bpp, pal ?? new Uint8Array(0));
    assert.ok(rects.every((r) => r.width <= TILE && r.height <= TILE && r.width % 4 === 0 && r.bitsPerPixel === bpp && r.flags === 0));
    if (bpp === 8) assert.ok(rects.every((r) => r.data.every((v) => v === 7 || v === 200)), 'palette indexes of ink and amber only');
    const pdus = bitmapUpdatePdus(rects, IO, SHARE);
    assert.ok(pdus.length > 1);
    for (const p of pdus) assert.ok(p.length <= MAX_USER_DATA + 16, `${p.length} bytes`);
    check(banner, play(pdus, 1024, 768, pal), bpp === 15 || bpp === 16 ? 8 : 0);
  });
}

test('the PDU stream frames the same split at any byte', () => {
  const pdus = bitmapUpdatePdus(bannerRects(renderBanner('Bye', 120, 90)!, 16, new Uint8Array(0)), IO, SHARE);
  const stream = Buffer.concat(pdus);
  for (let cut = 0; cut <= stream.length; cut++) {
    const framer = new RdpFramer();
    const frames: Frame[] = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
    assert.deepEqual(frames.map((f) => f.bytes), pdus, `cut at ${cut}`);
  }
});

test('an unknown colour depth is refused', () => {
  assert.throws(() => bannerRects(renderBanner('x', 640, 480)!, 12, new Uint8Array(0)), /12 bits per pixel/);
});

test('any message, depth and desktop: valid PDUs within the MCS length limit whose tiles cover the banner, inside the desktop', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: 'binary' }), fc.constantFrom(...DEPTHS), fc.integer({ min: 32, max: 2560 }), fc.integer({ min: 32, max: 1600 }), (message, bpp, dw, dh) => {
      const banner = renderBanner(message, dw, dh);
      if (!banner) return;
      const pdus = bitmapUpdatePdus(bannerRects(banner, bpp, palette()), IO, SHARE);
      const state = new ConnectionState();
      state.ioChannel = IO;
      let area = 0;
      for (const bytes of pdus) {
        assert.ok(bytes.length <= MAX_USER_DATA + 16);
        const env = decodeEnvelope('s2c', { kind: 'tpkt', bytes }, state);
        assert.equal(env.data?.kind, 'bitmap');
        for (const r of env.data.kind === 'bitmap' ? env.data.rects : []) {
          assert.ok(r.destLeft >= 0 && r.destTop >= 0 && r.destRight < dw && r.destBottom < dh);
          assert.equal(r.width % 4, 0);
          area += r.width * r.height;
        }
      }
      assert.equal(area, banner.layout.w * banner.layout.h);
    }),
    { numRuns: 120 },
  );
});
