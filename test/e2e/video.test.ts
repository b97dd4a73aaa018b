/**
 * Video export end to end: a graphical recording made through the gateway's
 * recorder and sealer (colour changes at known times, keyframes on), exported
 * by the real CLI to WebM and MP4, measured with ffprobe and read back frame
 * by frame with ffmpeg.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { existsSync } from 'node:fs';
import { CLI, GatewayHome, PASSPHRASE, run } from '../fixtures/gateway-env.js';
import { TamperedHome } from '../fixtures/tamper.js';
import { desktopSize, pointerAt, screenStep, solidPointer, solidRect, type Rgb } from '../fixtures/screen.js';
import { readZip } from '../fixtures/zip.js';

const W = 320;
const H = 240;
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

let home: GatewayHome;
let id: string;

before(async () => {
  home = await GatewayHome.create('recording: { flushInterval: 100ms, checkpointInterval: 300ms }');
  id = await home.record({
    who: { user: 'alice', target: 'win01', protocol: 'rdp', clientAddress: '127.0.0.1' },
    keyframeEveryMs: 400,
    steps: [
      screenStep([desktopSize(W, H), solidRect(0, 0, W, H, RED)]),
      { op: 'sleep', ms: 1000 },
      screenStep([solidRect(0, 0, W, H, GREEN)]),
      { op: 'sleep', ms: 200 },
      { op: 'event', event: { type: 'key', text: 'hello' } },
      { op: 'sleep', ms: 800 },
      // Left half blue; a rectangle reaching past the screen is clipped.
      screenStep([solidRect(0, 0, W / 2, H, BLUE), solidRect(W - 10, H - 10, 64, 64, BLUE), solidPointer(3, 12, 12, [255, 255, 255]), pointerAt(260, 150)]),
      { op: 'sleep', ms: 1000 },
    ],
  });
});
after(() => home.remove());

async function exportVideo(name: string, args: string[]): Promise<string> {
  const out = join(home.dir, name);
  const r = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', out, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

async function probe(file: string): Promise<{ width: number; height: number; duration: number; codec: string }> {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,codec_name:format=duration', '-of', 'json', file]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { streams: { width: number; height: number; codec_name: string }[]; format: { duration: string } };
  return { width: j.streams[0]!.width, height: j.streams[0]!.height, codec: j.streams[0]!.codec_name, duration: Number(j.format.duration) };
}

/** RGB of the pixel (x, y) of the frame shown at `seconds`. */
async function pixelAt(file: string, seconds: number, x: number, y: number): Promise<Rgb> {
  const r = await run('ffmpeg', ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  assert.equal(r.code, 0, r.stderr);
  const o = (y * W + x) * 3;
  return [r.stdoutBytes[o]!, r.stdoutBytes[o + 1]!, r.stdoutBytes[o + 2]!];
}

function assertColour(got: Rgb, want: Rgb, what: string): void {
  assert.ok(got.every((v, i) => Math.abs(v - want[i]!) <= 24), `${what}: got ${got}, want ${want}`);
}

for (const format of ['mp4', 'webm'] as const) {
  test(`--video ${format}: the size and length of the session, each colour at its time`, async () => {
    const file = await exportVideo(`out.${format}`, ['--video', format]);
    const p = await probe(file);
    assert.equal(p.codec, format === 'mp4' ? 'h264' : 'vp9');
    assert.deepEqual([p.width, p.height], [W, H]);
    assert.ok(p.duration > 2.7 && p.duration < 3.8, `duration ${p.duration}`);
    assertColour(await pixelAt(file, 0.5, 100, 100), RED, 'at 0.5 s');
    assertColour(await pixelAt(file, 1.5, 100, 100), GREEN, 'at 1.5 s');
    assertColour(await pixelAt(file, 2.5, 100, 100), BLUE, 'left at 2.5 s');
    assertColour(await pixelAt(file, 2.5, 250, 100), GREEN, 'right at 2.5 s');
    assertColour(await pixelAt(file, 2.5, W - 4, H - 4), BLUE, 'clipped corner at 2.5 s');
    assertColour(await pixelAt(file, 2.5, 266, 156), [255, 255, 255], 'the pointer at 2.5 s');
  });
}

test('--skip-idle shortens the pauses and keeps every change', async () => {
  const file = await exportVideo('idle.mp4', ['--video', 'mp4', '--skip-idle', '0.3', '--fps', '20']);
  const p = await probe(file);
  assert.ok(p.duration < 1.4, `duration ${p.duration} with pauses cut to 0.3 s`);
  assertColour(await pixelAt(file, 0.1, 100, 100), RED, 'start');
  assertColour(await pixelAt(file, 0.45, 100, 100), GREEN, 'after the first cut');
  assertColour(await pixelAt(file, p.duration - 0.1, 100, 100), BLUE, 'end');
});

/** The caption band of the frame shown at `t`, in grey. */
async function strip(file: string, t: number): Promise<Buffer> {
  const r = await run('ffmpeg', ['-v', 'error', '-ss', String(t), '-i', file, '-frames:v', '1', '-vf', `crop=${W}:40:0:${H - 50}`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdoutBytes;
}

/** Pixels that differ clearly between two bands. */
const differing = (a: Buffer, b: Buffer): number => a.reduce((n, v, i) => n + (Math.abs(v - b[i]!) > 40 ? 1 : 0), 0);

test('--overlay draws the typed text over the picture while it is shown', async () => {
  const plain = await exportVideo('plain.mp4', ['--video', 'mp4']);
  const overlaid = await exportVideo('overlay.mp4', ['--video', 'mp4', '--overlay']);
  assert.ok(differing(await strip(plain, 1.6), await strip(overlaid, 1.6)) > 100, 'caption visible at 1.6 s');
  assert.ok(differing(await strip(plain, 0.5), await strip(overlaid, 0.5)) < 20, 'no caption at 0.5 s');
});

test('a WebM long enough for encoders side by side (300 frames at --fps 100): colours and the caption at their times across the parts', async () => {
  // On two or more cores this video is encoded in parts joined at 1.5 s (or 1 s on three) with the caption spanning a join.
  const plain = await exportVideo('parts-plain.webm', ['--video', 'webm', '--fps', '100']);
  const overlaid = await exportVideo('parts-overlay.webm', ['--video', 'webm', '--fps', '100', '--overlay']);
  for (const file of [plain, overlaid]) {
    const p = await probe(file);
    assert.ok(p.duration > 2.7 && p.duration < 3.8, `duration ${p.duration}`);
    assertColour(await pixelAt(file, 0.5, 100, 100), RED, `${file} at 0.5 s`);
    assertColour(await pixelAt(file, 1.4, 100, 100), GREEN, `${file} at 1.4 s`);
    assertColour(await pixelAt(file, 1.6, 100, 100), GREEN, `${file} at 1.6 s`);
    assertColour(await pixelAt(file, 2.5, 100, 100), BLUE, `${file} left at 2.5 s`);
    assertColour(await pixelAt(file, 2.5, 250, 100), GREEN, `${file} right at 2.5 s`);
  }
  assert.ok(differing(await strip(plain, 1.4), await strip(overlaid, 1.4)) > 100, 'caption visible at 1.4 s');
  assert.ok(differing(await strip(plain, 1.6), await strip(overlaid, 1.6)) > 100, 'caption visible at 1.6 s');
  assert.ok(differing(await strip(plain, 0.5), await strip(overlaid, 0.5)) < 20, 'no caption at 0.5 s');
});

test('on a terminal the export draws a progress bar to its end; into a pipe it draws none', async () => {
  const out = join(home.dir, 'tty.webm');
  const command = [process.execPath, CLI, 'recordings', 'export', id, '--key', home.key('officer'), '--out', out, '--video', 'webm', '--config', home.configPath].map(shellQuote).join(' ');
  // script(1) gives the CLI a pseudo-terminal, as a person's shell would.
  const r = await run('script', ['-qec', command, '/dev/null'], { env: { RECGATE_PASSPHRASE: PASSPHRASE } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\rencoding video \[#{30}\] 100%  3\d\/3\d frames/);
  assert.match(r.stdout, /wrote .*tty\.webm/);
  const piped = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', join(home.dir, 'piped.webm'), '--video', 'webm']);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr + piped.stdout, /encoding video|\r/);
});

const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

test('the zip export of a graphical recording holds its video', async () => {
  const out = await exportVideo('all.zip', []);
  const files = await readZip(out);
  assert.ok(files.has(`${id}.webm`), [...files.keys()].join(', '));
  assert.ok(files.has(`${id}.events.jsonl`));
  assert.equal(files.get(`${id}.webm`)!.subarray(0, 4).toString('hex'), '1a45dfa3');
});

test('--video of a recording without a screen, or an unknown format, is one clear line', async () => {
  const tty = await home.record({ steps: [{ op: 'terminal', cols: 80, rows: 24 }, { op: 'output', text: 'hi\r\n' }] });
  const r = await home.cli(['recordings', 'export', tty, '--key', home.key('officer'), '--out', join(home.dir, 'x.webm'), '--video', 'webm']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not graphical/);
  const bad = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', join(home.dir, 'x.avi'), '--video', 'avi']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--video must be webm or mp4/);
});

test('a recording that fails verification: --video refuses it, --force exports it with every finding as a warning', async () => {
  const t = await TamperedHome.copy(home.dir);
  try {
    await t.cutShort(id, 2);
    const out = join(t.dir, 'cut.mp4');
    const args = ['recordings', 'export', id, '--key', home.key('officer'), '--out', out, '--video', 'mp4', '--config', t.config];
    const refused = await home.cli(args);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`recording ${id} failed verification: .*cut short`));
    assert.equal(existsSync(out), false);
    const forced = await home.cli([...args, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    const lines = forced.stderr.trimEnd().split('\n');
    assert.ok(lines.length > 1 && lines.every((l) => l.startsWith('recgate: warning: ')), forced.stderr);
    const p = await probe(out);
    assert.deepEqual([p.width, p.height], [W, H]);
    assertColour(await pixelAt(out, 0.5, 100, 100), RED, 'at 0.5 s');
  } finally {
    await t.remove();
  }
});
