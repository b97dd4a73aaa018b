/** writeVideo over frames in memory, with the real ffmpeg and ffprobe: what a hostile or cut-off screen stream does to an export. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { memorySource } from '../../test/fixtures/export/memory-source.js';
import { desktopSize, solidRect } from '../../test/fixtures/screen.js';
import { ScreenKeyframer } from '../graphics/keyframer.js';
import { BitmapCodec, encodeRecords, RecordType, type ScreenRecord } from '../graphics/records.js';
import { FrameKind, type Frame } from '../recording/frames.js';
import { FfmpegPipe, hugePageEnv } from './ffmpeg.js';
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

test('a long WebM is encoded in parts side by side and joined: the same frames at the same times as one encoder makes, progress reported to the end', async () => {
  // 32 s at 10 fps in three parts (from 10.6 s and 21.3 s), each later part starting from a keyframe
  // the gateway would have written, with changes before and after those keyframes.
  const keyframer = new ScreenKeyframer({ intervalMs: 3000, maxGapMs: 1000 });
  const changes = new Map<number, ScreenRecord[]>([
    [0, [desktopSize(64, 48), solidRect(0, 0, 64, 48, [255, 0, 0])]],
    [4000, [solidRect(0, 0, 32, 48, [0, 255, 0])]],
    [12000, [solidRect(32, 0, 32, 48, [0, 0, 255])]],
    [25000, [solidRect(0, 24, 32, 24, [255, 255, 0])]],
  ]);
  const frames: Frame[] = [];
  // A small blink in a corner every half second keeps the keyframer's activity clock running.
  for (let t = 0; t <= 32000; t += 500) {
    const blink = solidRect(60, 44, 4, 4, t % 1000 === 0 ? [255, 255, 255] : [0, 0, 0]);
    frames.push(screen(t, keyframer.update(t, [...(changes.get(t) ?? []), blink])));
  }
  assert.ok(keyframer.keyframes >= 5, `keyframes written: ${keyframer.keyframes}`);
  const base = memorySource({ screen: frames }, []);
  const source = { ...base, meta: { ...base.meta, endedAt: '2024-05-01T10:00:32Z' }, screenStream: 'screen' };
  const progress: number[] = [];
  const split = join(dir, 'parts.webm');
  const one = join(dir, 'whole.webm');
  const r = await writeVideo(source, split, { format: 'webm', fps: 10, parallel: 3, onProgress: (done, total) => progress.push(done === total ? -done : done) });
  const whole = await writeVideo(source, one, { format: 'webm', fps: 10, parallel: 1 });
  assert.deepEqual(r, whole);
  assert.equal(r.frames, 321);
  assert.deepEqual(progress.slice(0, 3), [1, 2, 3]);
  assert.equal(progress.at(-1), -321, 'the last report is all of the frames');
  assert.equal(progress.length, 321);
  const [a, b] = [probe(split), probe(one)];
  assert.deepEqual(a, b);
  assert.equal(a.frames, r.frames);
  const expect: [number, number[], number[], number[]][] = [
    // seconds, left half, right half, bottom left
    [2, [255, 0, 0], [255, 0, 0], [255, 0, 0]],
    [8, [0, 255, 0], [255, 0, 0], [0, 255, 0]],
    [10.7, [0, 255, 0], [255, 0, 0], [0, 255, 0]],
    [15, [0, 255, 0], [0, 0, 255], [0, 255, 0]],
    [21.4, [0, 255, 0], [0, 0, 255], [0, 255, 0]],
    [27, [0, 255, 0], [0, 0, 255], [255, 255, 0]],
    [31.9, [0, 255, 0], [0, 0, 255], [255, 255, 0]],
  ];
  for (const [at, left, right, bottomLeft] of expect) {
    for (const file of [split, one]) {
      near(pixelAt(file, at, 10, 10, 64), left, `${file} at ${at} s, left`);
      near(pixelAt(file, at, 50, 10, 64), right, `${file} at ${at} s, right`);
      near(pixelAt(file, at, 10, 40, 64), bottomLeft, `${file} at ${at} s, bottom left`);
    }
  }
  // An encoder of a later part that fails ends the export with its message; nothing is left behind.
  const failing = join(dir, 'ffmpeg-failing-part');
  await writeFile(failing, '#!/bin/sh\ncase "$*" in *part-1.webm*) echo "part refused" >&2; exit 1;; esac\nexec ffmpeg "$@"\n', { mode: 0o755 });
  await assert.rejects(writeVideo(source, join(dir, 'failed.webm'), { format: 'webm', fps: 10, parallel: 3, ffmpeg: failing }), /ffmpeg failed \(exit 1\): part refused/);
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('failed') || f.startsWith('.recgate')), []);
});

test("ffmpeg's environment asks glibc for huge pages and keeps the tunables already set, which win", async () => {
  assert.equal(hugePageEnv({ PATH: '/usr/bin' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
  const env = hugePageEnv({ PATH: '/usr/bin', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2' });
  assert.equal(env.GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1:glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2');
  assert.equal(env.PATH, '/usr/bin');
  // And an encoder is started with it: a stand-in for ffmpeg fails with what it was given, which the error carries.
  const pipe = new FfmpegPipe('/bin/sh', ['-c', 'printf "tunables: %s\\n" "$GLIBC_TUNABLES" >&2; exit 3']);
  await assert.rejects(pipe.end(), /ffmpeg failed \(exit 3\): tunables: glibc\.malloc\.hugetlb=1/);
});
