import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capture, CAPTURES } from './test-captures.js';
import { walkCapture } from './walker.js';

for (const name of CAPTURES) {
  test(`every PDU of ${name} decodes through every layer and encodes back to its bytes`, () => {
    const { tally, bitmapRects } = walkCapture(capture(name));
    for (const label of ['x224:connection-request', 'x224:connection-confirm', 'mcs:connect-initial', 'mcs:connect-response', 'mcs:attach-user-confirm']) assert.ok(tally[label], `${label} seen`);
    for (const end of ['/client-info', '/demand-active', '/confirm-active', '/data:synchronize', '/data:control']) assert.ok(Object.keys(tally).some((l) => l.endsWith(end)), end);
    if (name.includes('restricted')) assert.ok(bitmapRects > 0, `bitmap rectangles decoded in ${JSON.stringify(tally)}`);
  });
}

test('restricted, xrdp draws through slow-path bitmap updates and the shadow server through fast-path ones', () => {
  const xrdp = walkCapture(capture('xfreerdp-xrdp-tls-restricted.txt'));
  const xrdpRects = xrdp.envelopes.flatMap((e) => (e.data?.kind === 'bitmap' ? e.data.rects : []));
  assert.ok(xrdpRects.some((r) => r.width === 800), "slow-path strips as wide as the client's screen");
  const shadow = walkCapture(capture('xfreerdp-shadow-tls-restricted.txt'));
  const tiles = shadow.envelopes.flatMap((e) => e.fastpath?.contents.flatMap((c) => (c.kind === 'bitmap' ? c.rects : [])) ?? []);
  assert.ok(tiles.length > 0 && tiles.every((r) => r.width === 64 && r.height === 64), 'fast-path 64x64 tiles');
});
