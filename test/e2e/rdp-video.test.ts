/**
 * What an auditor sees in an RDP session's video, end to end: the real
 * xfreerdp through the gateway to FreeRDP's shadow server, whose display
 * (Xvnc: Xvfb cannot change size) changes resolution mid-session with `xrandr -s`,
 * as a person changing the desktop's resolution would; and a window with a
 * marker in a large font, read back from the exported video by OCR
 * (tesseract) where the window was on the target.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient, type RdpClient } from '../fixtures/rdp/xfreerdp.js';

type Rgb = [number, number, number];
const FIRST = { w: 800, h: 600 };
const LATER = { w: 1280, h: 1024 };

let gw: RdpGateway;
before(async () => {
  gw = await RdpGateway.start({ shadow: { security: 'nla', resizable: true, width: FIRST.w, height: FIRST.h } });
});
after(() => gw.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Video {
  file: string;
  width: number;
  height: number;
  duration: number;
}

async function probe(file: string): Promise<Video> {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height:format=duration', '-of', 'json', file]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { streams: { width: number; height: number }[]; format: { duration: string } };
  return { file, width: info.streams[0]!.width, height: info.streams[0]!.height, duration: Number(info.format.duration) };
}

/** The RGB frame shown at `seconds` of the video. */
async function frameAt(v: Video, seconds: number): Promise<Buffer> {
  const r = await run('ffmpeg', ['-v', 'error', '-ss', String(Math.max(0, seconds)), '-i', v.file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdoutBytes.length, v.width * v.height * 3, 'one whole frame');
  return r.stdoutBytes;
}

function pixel(v: Video, frame: Buffer, x: number, y: number): Rgb {
  const o = (y * v.width + x) * 3;
  return [frame[o]!, frame[o + 1]!, frame[o + 2]!];
}

function near(got: Rgb, want: Rgb, what: string, tolerance = 40): void {
  assert.ok(got.every((c, i) => Math.abs(c - want[i]!) <= tolerance), `${what}: got ${got.join(',')}, want ${want.join(',')}`);
}

/** Runs a session: `steps` drive the target while the client is connected; returns the exported video and when the session ended. */
async function session(format: 'webm' | 'mp4', steps: (client: RdpClient) => Promise<void>): Promise<{ video: Video; endedAt: number }> {
  const previous = (await gw.recordings()).length;
  let client: RdpClient | undefined;
  let endedAt: number;
  try {
    client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
    await sleep(2500);
    await steps(client);
  } catch (err) {
    throw new Error(`${(err as Error).message}\ngateway log:\n${gw.log}\nshadow log:\n${gw.shadow.log()}\nclient log:\n${client?.log() ?? ''}`);
  } finally {
    endedAt = Date.now();
    await client?.stop();
  }
  const rec = await gw.endedRecording(previous);
  return { video: await probe(await gw.exportVideo(rec.id, format)), endedAt };
}

async function x(command: string, args: string[]): Promise<void> {
  const r = await gw.shadow.x(command, args);
  assert.equal(r.code, 0, `${command} ${args.join(' ')}: ${r.stderr}`);
}

test('the target desktop grows mid-session: the video has the larger size and shows the whole new desktop, the first one whole before it', async () => {
  const times: Record<string, number> = {};
  await x('xrandr', ['-s', `${FIRST.w}x${FIRST.h}`]);
  const { video, endedAt } = await session('webm', async (client) => {
    await x('xsetroot', ['-solid', '#ff0000']);
    await client.waitForColour(400, 300, [255, 0, 0]);
    times.red = Date.now();
    await sleep(1500);
    await x('xrandr', ['-s', `${LATER.w}x${LATER.h}`]);
    // The root window is repainted whole at the new size: green reaching its far corner.
    await sleep(1000);
    await x('xsetroot', ['-solid', '#00ff00']);
    await client.waitForColour(LATER.w - 20, LATER.h - 20, [0, 255, 0], 20_000);
    times.green = Date.now();
    await sleep(1500);
  });
  // The largest desktop of the session: the one it grew to.
  assert.deepEqual([video.width, video.height], [LATER.w, LATER.h]);
  const at = (t: number): number => video.duration - (endedAt - t) / 1000;
  const before = await frameAt(video, at(times.red!) + 1);
  near(pixel(video, before, 400, 300), [255, 0, 0], 'the first desktop');
  near(pixel(video, before, FIRST.w - 10, FIRST.h - 10), [255, 0, 0], "the first desktop's far corner");
  near(pixel(video, before, FIRST.w + 100, FIRST.h + 100), [0, 0, 0], 'outside the first desktop');
  const afterward = await frameAt(video, at(times.green!) + 1);
  near(pixel(video, afterward, 400, 300), [0, 255, 0], 'the grown desktop');
  near(pixel(video, afterward, LATER.w - 20, LATER.h - 20), [0, 255, 0], "the grown desktop's far corner, beyond the first size");
});

/** Words tesseract reads in an RGB frame, with their boxes. */
async function ocr(v: Video, frame: Buffer): Promise<{ text: string; left: number; top: number; width: number; height: number }[]> {
  const dir = gw.home.dir;
  const ppm = join(dir, 'frame.ppm');
  await writeFile(ppm, Buffer.concat([Buffer.from(`P6\n${v.width} ${v.height}\n255\n`), frame]));
  try {
    const r = await run('tesseract', [ppm, '-', '--psm', '11', 'tsv']);
    assert.equal(r.code, 0, r.stderr);
    // level page_num block_num par_num line_num word_num left top width height conf text
    return r.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'))
      .filter((f) => f.length === 12 && f[11]!.trim() !== '')
      .map((f) => ({ text: f[11]!.trim(), left: Number(f[6]), top: Number(f[7]), width: Number(f[8]), height: Number(f[9]) }));
  } finally {
    await rm(ppm, { force: true });
  }
}

test('a marker in a large font, in a window opened mid-session, is read back by OCR from the video at that time, where the window was', async () => {
  const MARKER = ['ZEBRA', 'HARBOR'];
  const win = { x: 120, y: 160 };
  const times: Record<string, number> = {};
  let term: ReturnType<typeof spawn> | undefined;
  let geometry = { x: 0, y: 0, w: 0, h: 0 };
  try {
    const { video, endedAt } = await session('mp4', async (client) => {
      // Light colours, as a document on a desktop: OCR reads dark text on a light page.
      await x('xsetroot', ['-solid', '#c8c8c8']);
      await client.waitForColour(40, 40, [200, 200, 200]);
      times.blank = Date.now();
      await sleep(1500);
      // Black on white, 48 point DejaVu Sans Mono, no window manager: the window sits where it is told.
      term = spawn('xterm', ['-fa', 'DejaVu Sans Mono', '-fs', '48', '-bg', '#ffffff', '-fg', '#000000', '-geometry', `14x2+${win.x}+${win.y}`, '-e', 'sh', '-c', `printf '${MARKER.join(' ')}\\n'; sleep 600`], {
        env: { ...process.env, DISPLAY: gw.shadow.screen.display },
        stdio: 'ignore',
      });
      await client.waitForColour(win.x + 5, win.y + 5, [255, 255, 255]);
      times.marker = Date.now();
      const info = await gw.shadow.x('xdotool', ['search', '--sync', '--class', 'xterm', 'getwindowgeometry', '--shell']);
      assert.equal(info.code, 0, info.stderr);
      const v = Object.fromEntries(info.stdout.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=') as [string, string]));
      geometry = { x: Number(v.X), y: Number(v.Y), w: Number(v.WIDTH), h: Number(v.HEIGHT) };
      await sleep(2000);
    });
    assert.deepEqual([geometry.x, geometry.y], [win.x, win.y], 'the window is where it was placed');
    const at = (t: number): number => video.duration - (endedAt - t) / 1000;
    const shown = await ocr(video, await frameAt(video, at(times.marker!) + 1));
    for (const word of MARKER) {
      const found = shown.find((w) => w.text === word);
      assert.ok(found, `"${word}" is read from the frame; tesseract read: ${JSON.stringify(shown)}`);
      // Inside the window, in the large font (48 point: taller than 30 pixels).
      assert.ok(found.left >= geometry.x && found.left + found.width <= geometry.x + geometry.w, `${word} across ${found.left}..${found.left + found.width}, window ${JSON.stringify(geometry)}`);
      assert.ok(found.top >= geometry.y && found.top + found.height <= geometry.y + geometry.h, `${word} down ${found.top}..${found.top + found.height}, window ${JSON.stringify(geometry)}`);
      assert.ok(found.height > 30, `${word} is ${found.height} pixels tall`);
    }
    // Before the window opened, the frame has no marker.
    const blank = await ocr(video, await frameAt(video, at(times.blank!) + 1));
    assert.ok(!blank.some((w) => MARKER.includes(w.text)), JSON.stringify(blank));
  } finally {
    term?.kill('SIGKILL');
  }
});
