/**
 * The gateway's messages on the person's RDP screen, end to end with the real
 * xfreerdp through the gateway to FreeRDP's shadow server: what the client's
 * display shows is read twice, glyph by glyph against the gateway's font and
 * with tesseract-ocr as a person would read it; the recording, exported to
 * WebM by the real CLI, ends on the same message.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { layoutBanner, FILL, type BannerLayout } from '../../proxies/rdp/banner.js';
import { pixelsAt, readBanner } from '../../proxies/rdp/test-banner.js';
import { run } from '../fixtures/gateway-env.js';
import { ocr } from '../fixtures/ocr.js';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient, type RdpClient, type Screenshot } from '../fixtures/rdp/xfreerdp.js';

type Rgb = readonly [number, number, number];

let gw: RdpGateway;
before(async () => {
  gw = await RdpGateway.start({ shadowTargets: [{ name: 'timed01', lines: ['limits: { maxDuration: 16s }'] }] });
});
after(() => gw.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const near = (got: Rgb, want: Rgb, tolerance: number): boolean => got.every((v, i) => Math.abs(v - want[i]!) <= tolerance);
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The banner's lines as the client's screen shows them now, read against the gateway's font. */
const readScreen = (shot: Screenshot, layout: BannerLayout): string[] => readBanner(pixelsAt(shot.rgb, shot.width, 3), layout);

/** Waits until the client's screen shows the banner of `layout`; the screenshot that showed it. */
async function waitForBanner(client: RdpClient, layout: BannerLayout, withinMs: number): Promise<Screenshot> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const shot = await client.screenshot();
    const read = readScreen(shot, layout);
    if (read.join('\n') === layout.lines.join('\n')) return shot;
    if (Date.now() > deadline) throw new Error(`the client's screen shows ${JSON.stringify(read)}, not ${JSON.stringify(layout.lines)}\nclient log:\n${client.log()}`);
    await sleep(150);
  }
}

async function onlySessionId(): Promise<string> {
  const list = await gw.home.cli(['sessions', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const sessions = JSON.parse(list.stdout) as { id: string }[];
  assert.equal(sessions.length, 1, list.stdout);
  return sessions[0]!.id;
}

/** The last frame of a video, as RGB rows. */
async function lastFrame(file: string, width: number, height: number): Promise<Screenshot> {
  const r = await run('ffmpeg', ['-v', 'error', '-sseof', '-1', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  assert.equal(r.code, 0, r.stderr);
  const size = width * height * 3;
  assert.ok(r.stdoutBytes.length >= size, `${r.stdoutBytes.length} bytes of frames`);
  return { width, height, rgb: r.stdoutBytes.subarray(r.stdoutBytes.length - size) };
}

/** Runs `steps` with the client, which must then be disconnected by the gateway; the client is stopped whatever happens. */
async function untilDisconnected(client: RdpClient, steps: () => Promise<void>): Promise<number | null> {
  try {
    await steps();
    const code = await Promise.race([client.exited, sleep(15_000).then(() => 'timeout' as const)]);
    assert.notEqual(code, 'timeout', `the client stayed connected:\n${client.log()}`);
    return code as number | null;
  } catch (err) {
    throw new Error(`${(err as Error).message}\ngateway log:\n${gw.log}`);
  } finally {
    await client.stop();
  }
}

/** The banner inside its black frame: the text on amber, as a reader looks at it (the frame's edges read as stray letters). */
const boxOf = (l: BannerLayout): { x: number; y: number; w: number; h: number } => ({ x: l.x + l.frame, y: l.y + l.frame, w: l.w - 2 * l.frame, h: l.h - 2 * l.frame });

test('sessions terminate --message: the person reads the message on their screen for seconds, then the client is disconnected; the recording ends terminated on it', async () => {
  const message = 'Maintenance at 18:00';
  const { width: W, height: H } = gw.shadow.screen;
  const layout = layoutBanner(message, W, H)!;
  const backdrop: Rgb = [0x20, 0x40, 0x80];
  const outside = { x: Math.max(0, layout.x - 40), y: Math.max(0, layout.y - 40) };
  const before = (await gw.recordings()).length;
  const client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
  let shown: Screenshot | undefined;
  let later: Screenshot | undefined;
  let shownAt = 0;
  await untilDisconnected(client, async () => {
    await sleep(2500);
    await gw.shadow.x('xsetroot', ['-solid', '#204080']);
    await client.waitForColour(outside.x, outside.y, [...backdrop]);
    const t = await gw.home.cli(['sessions', 'terminate', await onlySessionId(), '--message', message]);
    assert.equal(t.code, 0, t.stderr);
    shown = await waitForBanner(client, layout, 5000);
    shownAt = Date.now();
    // The target's output no longer reaches the person: a new colour there stays away, the message stays.
    await gw.shadow.x('xsetroot', ['-solid', '#00ff00']);
    await sleep(1500);
    later = await client.screenshot();
  });
  assert.ok(shown && later);
  const heldMs = Date.now() - shownAt;
  assert.ok(heldMs >= 3000, `the message was on screen for ${heldMs} ms before the client was disconnected`);
  assert.deepEqual(readScreen(later, layout), [message], 'the message is still there 1.5 s on');
  const o = (outside.y * later.width + outside.x) * 3;
  assert.ok(near([later.rgb[o]!, later.rgb[o + 1]!, later.rgb[o + 2]!], backdrop, 12), 'the target\'s new colour did not reach the person');
  assert.equal(oneLine(await ocr(shown.rgb, shown.width, shown.height, boxOf(layout))), message);

  const rec = await gw.endedRecording(before);
  assert.equal(rec.endReason, 'terminated');
  const events = await gw.events(rec.id);
  assert.ok(events.some((e) => e.type === 'terminate' && e.message === message), JSON.stringify(events));
  // The recording ends on what the person saw: the message, framed on amber.
  const frame = await lastFrame(await gw.exportVideo(rec.id), W, H);
  const fill = ((layout.y + layout.frame + 2) * W + layout.x + layout.frame + 2) * 3;
  assert.ok(near([frame.rgb[fill]!, frame.rgb[fill + 1]!, frame.rgb[fill + 2]!], FILL, 40), `the banner's amber: ${[...frame.rgb.subarray(fill, fill + 3)].join(',')}`);
  assert.equal(oneLine(await ocr(frame.rgb, W, H, boxOf(layout))), message);
});

test('a limit\'s warning shows on the person\'s screen while the session goes on; at the limit its message shows before the disconnect', async () => {
  const { width: W, height: H } = gw.shadow.screen;
  const warning = 'recgate: this session will be closed in 8 seconds: it reaches the maximum session length of 16 seconds';
  const closing = 'recgate: session closed: it reached the maximum session length of 16 seconds';
  const warned = layoutBanner(warning, W, H)!;
  const closed = layoutBanner(closing, W, H)!;
  assert.ok(warned.lines.length > 1, 'a warning that wraps');
  const before = (await gw.recordings()).length;
  const client = await startClient({ port: gw.port, user: 'alice+timed01', password: ALICE_PASSWORD, security: 'tls' });
  let shot: Screenshot | undefined;
  await untilDisconnected(client, async () => {
    shot = await waitForBanner(client, warned, 20_000);
    assert.equal(client.child.exitCode, null, 'the session goes on after the warning');
    await waitForBanner(client, closed, 15_000);
  });
  assert.ok(shot);
  assert.equal(oneLine(await ocr(shot.rgb, shot.width, shot.height, boxOf(warned))), warning);
  const rec = await gw.endedRecording(before);
  assert.equal(rec.endReason, 'max-duration');
  const events = await gw.events(rec.id);
  assert.ok(events.some((e) => e.type === 'warning' && e.message === warning), JSON.stringify(events));
});

/** The reason of the gateway's newest log line saying a client was refused before its session opened, once there is one. */
async function refusalReason(withinMs: number): Promise<string> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const lines = gw.log.split('\n').filter((l) => l.includes('RDP client disconnected before a session opened'));
    const last = lines.at(-1);
    if (last) return (JSON.parse(last) as { reason: string }).reason;
    if (Date.now() > deadline) throw new Error('the gateway logged no refusal');
    await sleep(100);
  }
}

test('a target that is down: after logging in the person reads why on their screen, then the client is disconnected; nothing is recorded', async () => {
  const before = (await gw.recordings()).length;
  const client = await startClient({ port: gw.port, user: 'alice+down01', password: ALICE_PASSWORD, security: 'tls', width: 800, height: 600 });
  let shot: Screenshot | undefined;
  let reason = '';
  let layout: BannerLayout | null = null;
  const code = await untilDisconnected(client, async () => {
    reason = await refusalReason(20_000);
    layout = layoutBanner(reason, 800, 600);
    assert.ok(layout, reason);
    shot = await waitForBanner(client, layout, 10_000);
  });
  assert.notEqual(code, 0, client.log());
  assert.match(reason, /down01/);
  assert.ok(shot && layout);
  assert.equal(oneLine(await ocr(shot.rgb, shot.width, shot.height, boxOf(layout))), oneLine((layout as BannerLayout).lines.join(' ')));
  assert.equal((await gw.recordings()).length, before);
});
