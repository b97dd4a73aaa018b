/**
 * The RDP proxy in front of xrdp with TLS security: the gateway signs in with
 * the target's OS account in the Client Info PDU (auto-logon), xrdp draws with
 * slow-path bitmap updates, and the recording shows what its session painted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient } from '../fixtures/rdp/xfreerdp.js';
import { startXrdp } from '../fixtures/rdp/xrdp.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('xfreerdp through the gateway to xrdp (TLS): injected login, the desktop shown and recorded', async () => {
  const xrdp = await startXrdp();
  let gw: RdpGateway | undefined;
  try {
    gw = await RdpGateway.start({ more: [{ name: 'xrdp01', port: xrdp.port, user: xrdp.user, password: xrdp.password }] });
    const client = await startClient({ port: gw.port, user: 'alice+xrdp01', password: ALICE_PASSWORD, security: 'tls' });
    try {
      await xrdp.sessionDisplay(30_000);
      await sleep(1500);
      await xrdp.x('xsetroot', ['-solid', '#00ffff']);
      await client.waitForColour(400, 300, [0, 255, 255], 20_000);
      await sleep(1500);
    } catch (err) {
      throw new Error(`${(err as Error).message}\ngateway log:\n${gw.log}\nxrdp log:\n${await xrdp.log()}`);
    } finally {
      await client.stop();
    }
    const rec = await gw.endedRecording(0);
    assert.equal(rec.target, 'xrdp01');
    assert.ok(!gw.log.includes(xrdp.password), 'the target password stays out of the log');
    const video = await gw.exportVideo(rec.id);
    const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height:format=duration', '-of', 'json', video]);
    const info = JSON.parse(probe.stdout) as { streams: { width: number; height: number }[]; format: { duration: string } };
    const W = info.streams[0]!.width;
    assert.equal(W, 800, 'xrdp gives the client the size it asked for');
    const at = Number(info.format.duration) - 0.7;
    const frame = await run('ffmpeg', ['-v', 'error', '-ss', String(at), '-i', video, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    const o = (300 * W + 400) * 3;
    const rgb = [...frame.stdoutBytes.subarray(o, o + 3)];
    assert.ok(Math.abs(rgb[0]! - 0) <= 40 && Math.abs(rgb[1]! - 255) <= 40 && Math.abs(rgb[2]! - 255) <= 40, `cyan at the end: got ${rgb.join(',')}`);
  } finally {
    await gw?.stop();
    await xrdp.stop();
  }
});
