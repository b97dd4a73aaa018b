/**
 * The graphical player in the console page, in a real headless Chromium:
 * the real xfreerdp signs in through the gateway to FreeRDP's shadow server,
 * whose screen is painted with xsetroot at known times; the recording is then
 * decrypted in the page and played on a <canvas>. The canvas shows each
 * colour at its time when the timeline is clicked there, plays on by itself
 * at the speed chosen, and the event list jumps to a click's moment.
 */
import assert from 'node:assert/strict';
import { freePort } from '../fixtures/gateway-env.js';
import { after, before, test } from 'node:test';
import { launchBrowser, type Browser } from '../fixtures/browser.js';
import { consoleSection } from '../fixtures/console-gateway.js';
import { signInAndUnlock, statusText } from '../fixtures/console-page.js';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient, type RdpClient } from '../fixtures/rdp/xfreerdp.js';

type Rgb = [number, number, number];
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let gw: RdpGateway;
let browser: Browser;
let base = '';
let id = '';
/** Milliseconds since the recording started at which each colour was on the screen. */
const at: Record<'red' | 'green' | 'blue' | 'click', number> = { red: 0, green: 0, blue: 0, click: 0 };
const drawnFrom = { blue: 0 };

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gw = await RdpGateway.start({ console: `127.0.0.1:${port}`, top: consoleSection().join('\n') });
  const count = (await gw.recordings()).length;
  const seen: Record<string, number> = {};
  const issued: Record<string, number> = {};
  let client: RdpClient | undefined;
  try {
    client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
    await sleep(2500);
    for (const [name, rgb, hex] of [['red', RED, '#ff0000'], ['green', GREEN, '#00ff00'], ['blue', BLUE, '#0000ff']] as const) {
      issued[name] = Date.now();
      await gw.shadow.x('xsetroot', ['-solid', hex]);
      await client.waitForColour(400, 300, rgb);
      seen[name] = Date.now();
      if (name === 'green') {
        await client.click(200, 150);
        seen.click = Date.now();
      }
      await sleep(1500);
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\ngateway log:\n${gw.log}\nshadow log:\n${gw.shadow.log()}`);
  } finally {
    await client?.stop();
  }
  const rec = (await gw.endedRecording(count)) as { id: string; startedAt?: string };
  id = rec.id;
  assert.ok(rec.startedAt, JSON.stringify(rec));
  const start = Date.parse(rec.startedAt);
  // Each colour was on the client's screen (so in the recording) when seen, and stayed 1.5 s: look 0.6 s after.
  for (const k of ['red', 'green', 'blue'] as const) at[k] = seen[k]! - start + 600;
  at.click = seen.click! - start;
  // No colour can be in the recording before it was asked of the target's display.
  drawnFrom.blue = issued.blue! - start;
  browser = await launchBrowser();
  await signInAndUnlock(browser.page, base, gw.home.key('officer'));
});
after(async () => {
  await browser?.close();
  await gw?.stop();
});

async function canvasPixel(x: number, y: number): Promise<Rgb> {
  return browser.page.evaluate(
    ([px, py]) => {
      const c = document.getElementById('gfx-screen') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(px!, py!, 1, 1).data;
      return [d[0]!, d[1]!, d[2]!] as [number, number, number];
    },
    [x, y],
  );
}

function near(got: Rgb, want: Rgb, what: string): void {
  assert.ok(got.every((v, i) => Math.abs(v - want[i]!) <= 40), `${what}: got ${got.join(',')}, want ${want.join(',')}`);
}

async function position(): Promise<number> {
  return Number(await browser.page.getAttribute('#gfx-screen', 'data-position-ms'));
}

/** Clicks the timeline where `t` ms lies; returns the time the click stands for (a pixel's worth of rounding). */
async function clickTimeline(t: number): Promise<{ wanted: number; pixelMs: number }> {
  const { page } = browser;
  const box = (await page.locator('#gfx-timeline').boundingBox())!;
  const length = Number(await page.getAttribute('#gfx-timeline', 'data-length-ms'));
  assert.ok(t > 0 && t < length, `${t} ms within the recording's ${length} ms`);
  await page.mouse.click(box.x + (box.width * t) / length, box.y + box.height / 2);
  return { wanted: t, pixelMs: length / box.width };
}

test('an RDP recording plays on the canvas: each xsetroot colour at its time, reached by clicking the timeline', async () => {
  const { page } = browser;
  await page.click(`#rows button[data-id="${id}"]`);
  await page.waitForSelector('#gfx-view:not([hidden])', { timeout: 60_000 }).catch(async (err: Error) => {
    throw new Error(`${err.message}; status: ${await statusText(page)}`);
  });
  assert.equal(await page.textContent('#gfx-play'), 'Pause');
  await page.click('#gfx-play');
  assert.equal(await page.textContent('#gfx-play'), 'Play');
  // The canvas has the target's desktop size.
  const size = await page.evaluate(() => {
    const c = document.getElementById('gfx-screen') as HTMLCanvasElement;
    return [c.width, c.height];
  });
  assert.deepEqual(size, [gw.shadow.screen.width, gw.shadow.screen.height]);
  for (const colour of ['blue', 'red', 'green'] as const) {
    const { wanted, pixelMs } = await clickTimeline(at[colour]);
    await page.waitForFunction((w) => Math.abs(Number(document.getElementById('gfx-screen')?.dataset.positionMs) - w) < 200, wanted, { timeout: 10_000 });
    assert.ok(Math.abs((await position()) - wanted) <= Math.max(2 * pixelMs, 50), `seeked to ${await position()} for ${wanted}`);
    near(await canvasPixel(400, 300), { red: RED, green: GREEN, blue: BLUE }[colour], `${colour} at ${wanted} ms`);
  }
  // Paused: the picture and the time stay.
  const still = await position();
  await sleep(600);
  assert.equal(await position(), still);
});

test('play runs the recording on at the chosen speed; the event list jumps to the click', async () => {
  const { page } = browser;
  await clickTimeline(at.red);
  near(await canvasPixel(400, 300), RED, 'red before playing');
  await page.selectOption('#gfx-speed', '16');
  await page.click('#gfx-play');
  // At 16x, blue (about 3 s of recording later) shows within a couple of seconds.
  await page.waitForFunction(
    () => {
      const c = document.getElementById('gfx-screen') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(400, 300, 1, 1).data;
      return d[2]! > 200 && d[0]! < 60 && d[1]! < 60;
    },
    undefined,
    { timeout: 15_000 },
  );
  // (The client showed it later than the recording has it: the test's screenshots lag.)
  assert.ok((await position()) >= drawnFrom.blue, `blue shows at ${await position()} ms, drawn on the target from ${drawnFrom.blue} ms`);
  // At 16x the rest of the recording plays out in a moment and the player stops at its end (a toggle pressed then would start it again).
  await page.waitForFunction(() => document.getElementById('gfx-play')?.textContent === 'Play', undefined, { timeout: 10_000 });

  const clicks = page.locator('#gfx-events button', { hasText: 'click' });
  assert.ok((await clicks.count()) >= 1, (await page.locator('#gfx-events').textContent()) ?? '');
  const t = Number(await clicks.first().getAttribute('data-t'));
  assert.ok(Math.abs(t - at.click) < 1500, `the click recorded at ${t} ms, made at about ${at.click}`);
  await clicks.first().click();
  await page.waitForFunction((w) => Number(document.getElementById('gfx-screen')?.dataset.positionMs) === w, t, { timeout: 10_000 });
  near(await canvasPixel(400, 300), GREEN, 'the screen at the click');
  // The page says how to get the video; nothing else was downloaded.
  assert.match((await page.textContent('#gfx-downloads .video-command')) ?? '', new RegExp(`recgate recordings export ${id} .*--video mp4`));
  const violations = browser.messages.filter((m) => /Content Security Policy|pageerror/i.test(m));
  assert.deepEqual(violations, []);
});
