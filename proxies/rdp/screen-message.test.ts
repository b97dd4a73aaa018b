import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScreenPlayer } from '../../src/graphics/player.js';
import { ConnectionState, decodeEnvelope, type Envelope } from './codec/envelope.js';
import { capture } from './codec/test-captures.js';
import { walkCapture } from './codec/walker.js';
import { PduType } from './codec/share.js';
import { layoutBanner } from './banner.js';
import { screenRecords } from './screen.js';
import { ScreenMessages } from './screen-message.js';
import { readBanner } from './test-banner.js';

const IO = 1003;

for (const name of ['xfreerdp-shadow-tls-restricted.txt', 'xfreerdp-xrdp-tls-restricted.txt'] as const) {
  test(`on ${name}, a message is drawn only once the client is past its Font Map, in the depth and on the desktop the target uses`, () => {
    const { envelopes } = walkCapture(capture(name));
    const messages = new ScreenMessages(IO);
    const fontMap = envelopes.findIndex((e) => e.dir === 's2c' && e.label.endsWith('/data:fontmap'));
    assert.ok(fontMap > 0, 'the capture has the Font Map');
    envelopes.slice(0, fontMap).forEach((e) => messages.observe(e));
    assert.equal(messages.draw('too early'), null);
    envelopes.slice(fontMap).forEach((e) => messages.observe(e));
    assert.equal(messages.ready, true);

    const player = new ScreenPlayer();
    for (const r of envelopes.flatMap(screenRecords)) player.apply(r);
    const targetDepths = new Set(envelopes.flatMap((e) => (e.data?.kind === 'bitmap' ? e.data.rects : e.fastpath?.contents.flatMap((c) => (c.kind === 'bitmap' ? c.rects : [])) ?? [])).map((r) => r.bitsPerPixel));
    assert.ok(targetDepths.has(messages.depth), `${messages.depth} among ${[...targetDepths].join(',')}`);

    const drawn = messages.draw('Maintenance at 18:00')!;
    const state = new ConnectionState();
    state.ioChannel = IO;
    const decoded = drawn.pdus.map((bytes) => decodeEnvelope('s2c', { kind: 'tpkt', bytes }, state));
    assert.deepEqual(decoded.flatMap(screenRecords), drawn.records, 'the recording gets the update the person gets');
    for (const r of drawn.records) player.apply(r);
    const layout = layoutBanner('Maintenance at 18:00', player.fb.width, player.fb.height)!;
    assert.deepEqual(readBanner((x, y) => player.fb.at(x, y).slice(0, 3) as [number, number, number], layout), ['Maintenance at 18:00']);
  });
}

test('a Deactivate All takes the screen away until the next Font Map', () => {
  const { envelopes } = walkCapture(capture('xfreerdp-shadow-tls-restricted.txt'));
  const messages = new ScreenMessages(IO);
  envelopes.forEach((e) => messages.observe(e));
  assert.ok(messages.draw('x'));
  messages.observe({ dir: 's2c', kind: 'tpkt', label: 'deactivate', shareControl: { totalLength: 6, pduType: PduType.DEACTIVATEALL, version: 0x10, pduSource: 1002, body: Buffer.alloc(0) } } as Envelope);
  assert.equal(messages.draw('x'), null);
  const fontMap = envelopes.find((e) => e.dir === 's2c' && e.label.endsWith('/data:fontmap'))!;
  messages.observe(fontMap);
  assert.ok(messages.draw('x'));
});
