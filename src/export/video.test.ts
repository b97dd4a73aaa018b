/** writeVideo over frames in memory, with the real ffmpeg and ffprobe: what a hostile or cut-off screen stream does to an export. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { memorySource } from '../../test/fixtures/export/memory-source.js';
import { desktopSize, solidRect } from '../../test/fixtures/screen.js';
import { BitmapCodec, encodeRecords, RecordType } from '../graphics/records.js';
import { FrameKind, type Frame } from '../recording/frames.js';
import { writeVideo } from './video.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recgate-video-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const screen = (t: number, data: Uint8Array): Frame => ({ kind: FrameKind.Screen, t, data });

function probe(file: string): { width: number; height: number; frames: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,nb_read_frames', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const [width, height, frames] = out.trim().split(',').map(Number);
  return { width: width!, height: height!, frames: frames! };
}

/** RGB of pixel (x, y) in the frame shown at `seconds` of a video `width` pixels wide. */
function pixelAt(file: string, seconds: number, x: number, y: number, width: number): number[] {
  const rgb = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  const o = (y * width + x) * 3;
  return [rgb[o]!, rgb[o + 1]!, rgb[o + 2]!];
}

function near(got: number[], want: number[], what: string): void {
  assert.ok(got.every((v, i) => Math.abs(v - want[i]!) <= 40), `${what}: got ${got.join(',')}, want ${want.join(',')}`);
}

test('bad bitmaps, resizes beyond the first size (one impossibly large) and a stream cut inside a record: the video is made, the losses counted', async () => {
  const cut = encodeRecords([solidRect(0, 0, 40, 40, [0, 0, 255])]);
  const frames = [
    screen(0, encodeRecords([desktopSize(63, 47), solidRect(0, 0, 63, 47, [255, 0, 0])])),
    screen(200, encodeRecords([{ type: RecordType.Bitmap, x: 0, y: 0, destW: 64, destH: 64, width: 64, height: 64, bpp: 16, codec: BitmapCodec.Planar, flags: 0x400, data: Uint8Array.from([0x1f]) }])),
    screen(300, encodeRecords([desktopSize(65535, 65535)])),
    screen(400, encodeRecords([desktopSize(161, 99), solidRect(120, 60, 900, 900, [0, 255, 0]), solidRect(-5000, -5000, 10, 10, [0, 255, 0])])),
    screen(600, cut.subarray(0, cut.length - 5)),
  ];
  const source = { ...memorySource({ screen: frames }, []), screenStream: 'screen' };
  const out = join(dir, 'cut.mp4');
  const r = await writeVideo(source, out, { format: 'mp4', fps: 10 });
  // The largest desktop the session had (even sides); the one no player holds is left out.
  assert.deepEqual([r.width, r.height], [162, 100]);
  assert.equal(r.skippedRecords, 3);
  assert.match(r.firstError ?? '', /planar|larger than allowed|ends inside a record/);
  const p = probe(out);
  assert.deepEqual([p.width, p.height], [162, 100]);
  // The metadata says ten minutes: the video lasts as long as the session did.
  assert.equal(p.frames, r.frames);
  assert.equal(r.frames, 6000);
  // After the resize, the grown desktop is whole: its new part and what it kept of the old picture.
  near(pixelAt(out, 1, 150, 90, p.width), [0, 255, 0], 'the part only the larger desktop has');
  near(pixelAt(out, 1, 20, 20, p.width), [255, 0, 0], 'the old picture, kept where it fits');
});

test('a desktop that shrinks and grows again: the video holds the largest, the smaller desktop at the top left with black around it', async () => {
  const frames = [
    screen(0, encodeRecords([desktopSize(100, 60), solidRect(0, 0, 100, 60, [255, 0, 0])])),
    screen(1000, encodeRecords([desktopSize(60, 40), solidRect(0, 0, 60, 40, [0, 255, 0])])),
    screen(2000, encodeRecords([desktopSize(120, 80), solidRect(0, 0, 120, 80, [0, 0, 255])])),
    screen(3000, encodeRecords([])),
  ];
  const source = { ...memorySource({ screen: frames }, []), screenStream: 'screen' };
  for (const format of ['mp4', 'webm'] as const) {
    const out = join(dir, `resize.${format}`);
    const r = await writeVideo(source, out, { format, fps: 10 });
    assert.deepEqual([r.width, r.height], [120, 80]);
    near(pixelAt(out, 0.5, 50, 30, r.width), [255, 0, 0], `${format}: the first desktop`);
    near(pixelAt(out, 0.5, 110, 70, r.width), [0, 0, 0], `${format}: outside the first desktop`);
    near(pixelAt(out, 1.5, 30, 20, r.width), [0, 255, 0], `${format}: the smaller desktop`);
    near(pixelAt(out, 1.5, 80, 50, r.width), [0, 0, 0], `${format}: where the smaller desktop does not reach`);
    near(pixelAt(out, 2.5, 110, 70, r.width), [0, 0, 255], `${format}: the largest desktop, to its corner`);
  }
});

test('a failing ffmpeg is one clear error and leaves no file behind', async () => {
  const source = { ...memorySource({ screen: [screen(0, encodeRecords([desktopSize(16, 16)]))] }, []), screenStream: 'screen' };
  await assert.rejects(writeVideo(source, join(dir, 'none.mp4'), { format: 'mp4', ffmpeg: 'recgate-no-such-ffmpeg' }), /ffmpeg was not found/);
  await assert.rejects(writeVideo(source, join(dir, 'sub', 'x.mp4'), { format: 'mp4' }), /ENOENT|no such file/i);
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('none') || f.startsWith('.recgate')), []);
});
