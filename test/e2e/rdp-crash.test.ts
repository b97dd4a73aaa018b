/**
 * The gateway killed with SIGKILL in the middle of an RDP session: what was
 * on the person's screen more than a second before is in the recording, which
 * verifies and exports to a video up to that point.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient } from '../fixtures/rdp/xfreerdp.js';

let gw: RdpGateway;
before(async () => {
  gw = await RdpGateway.start();
});
after(() => gw.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The colour of pixel (x, y) in every frame of the video. */
async function pixelTrack(video: string, x: number, y: number): Promise<[number, number, number][]> {
  const r = await run('ffmpeg', ['-v', 'error', '-i', video, '-vf', `crop=2:2:${x}:${y}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  assert.equal(r.code, 0, r.stderr);
  const track: [number, number, number][] = [];
  // A 2×2 crop (4:2:0 video cannot be cut to one pixel): the first of its four pixels.
  for (let i = 0; i + 11 < r.stdoutBytes.length; i += 12) track.push([r.stdoutBytes[i]!, r.stdoutBytes[i + 1]!, r.stdoutBytes[i + 2]!]);
  return track;
}

const isColour = (got: [number, number, number], want: [number, number, number]): boolean => got.every((v, i) => Math.abs(v - want[i]!) <= 40);

test('SIGKILL of the gateway mid-session: the recording verifies and its video shows the screen up to the last second', async () => {
  const client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
  try {
    await sleep(2500);
    await gw.shadow.x('xsetroot', ['-solid', '#ff0000']);
    await client.waitForColour(400, 300, [255, 0, 0]);
    await sleep(2000);
    await gw.shadow.x('xsetroot', ['-solid', '#00ff00']);
    await client.waitForColour(400, 300, [0, 255, 0]);
    // More than a second on: the green screen must survive the crash.
    await sleep(1500);
    await gw.crash();
  } finally {
    await client.stop();
  }
  const rec = (await gw.recordings()).at(-1)!;
  assert.equal(rec.target, 'shadow01');
  const verified = await gw.home.cli(['recordings', 'verify', rec.id]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const video = await gw.exportVideo(rec.id);
  const track = await pixelTrack(video, 400, 300);
  const firstRed = track.findIndex((p) => isColour(p, [255, 0, 0]));
  const firstGreen = track.findIndex((p) => isColour(p, [0, 255, 0]));
  assert.ok(firstRed >= 0, `red is in the video: ${JSON.stringify(track)}`);
  assert.ok(firstGreen > firstRed, `green follows red: ${JSON.stringify(track)}`);
  assert.ok(isColour(track.at(-1)!, [0, 255, 0]), `the video ends on green: ${JSON.stringify(track)}`);
});
