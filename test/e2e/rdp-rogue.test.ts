/**
 * A hostile RDP target can end only its own session. The target logs the
 * gateway in as a real server would, then sends bitmaps outside the desktop,
 * lying lengths, cut RLE, planar garbage, a 65535×65535 reactivation,
 * hundreds of flipped updates and a PDU that never completes
 * (test/fixtures/rogue-rdp.ts). Meanwhile alice has a second session, to a
 * real target, open through the same gateway: it keeps working, the gateway
 * logs no internal error, and the rogue session's recording ends, verifies
 * and exports to a video.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient, type RdpClient } from '../fixtures/rdp/xfreerdp.js';
import { startRogueRdp, type RogueRdp } from '../fixtures/rogue-rdp.js';

let gw: RdpGateway;
let rogue: RogueRdp;
before(async () => {
  rogue = await startRogueRdp();
  gw = await RdpGateway.start({ more: [{ name: 'rogue01', port: rogue.port, user: 'anyone', password: 'anything' }] });
});
after(async () => {
  await gw?.stop();
  await rogue?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a target sending hostile PDUs after login ends only its own session; the other session goes on and the recording survives', async () => {
  const before = (await gw.recordings()).length;
  let honest: RdpClient | undefined;
  let victim: RdpClient | undefined;
  try {
    honest = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
    await sleep(2500);
    await gw.shadow.x('xsetroot', ['-solid', '#ff0000']);
    await honest.waitForColour(400, 300, [255, 0, 0]);

    victim = await startClient({ port: gw.port, user: 'alice+rogue01', password: ALICE_PASSWORD, security: 'tls' });
    const deadline = Date.now() + 30_000;
    while (!['dropped', 'hung up on'].includes(rogue.reached[0] ?? '') && Date.now() < deadline) await sleep(200);
    assert.ok(['dropped', 'hung up on'].includes(rogue.reached[0] ?? ''), `the rogue got as far as ${rogue.reached[0]}:\n${gw.log}`);

    // The honest session still relays: a new colour reaches its client.
    await gw.shadow.x('xsetroot', ['-solid', '#00ff00']);
    await honest.waitForColour(400, 300, [0, 255, 0]);
  } finally {
    await victim?.stop();
    await honest?.stop();
  }

  // The gateway still takes new sessions.
  const again = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
  try {
    await sleep(2500);
    await gw.shadow.x('xsetroot', ['-solid', '#0000ff']);
    await again.waitForColour(400, 300, [0, 0, 255]);
  } finally {
    await again.stop();
  }

  const deadline = Date.now() + 20_000;
  let recs = await gw.recordings();
  while (recs.slice(before).some((r) => r.status === 'recording') && Date.now() < deadline) {
    await sleep(200);
    recs = await gw.recordings();
  }
  const mine = recs.slice(before).find((r) => r.target === 'rogue01');
  assert.ok(mine, `the rogue session was recorded: ${JSON.stringify(recs.slice(before))}`);
  assert.notEqual(mine.status, 'recording');
  const verified = await gw.home.cli(['recordings', 'verify', mine.id]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const video = await gw.exportVideo(mine.id);
  assert.ok(video.endsWith('.webm'));
  assert.doesNotMatch(gw.log, /"level":(50|60)/, 'no internal error in the gateway log');
  assert.match(gw.log, /rogue01/);
});
