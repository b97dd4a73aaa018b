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

test('bad bitmaps, a resize beyond the first size and a stream cut inside a record: the video is made, the losses counted', async () => {
  const cut = encodeRecords([solidRect(0, 0, 40, 40, [0, 0, 255])]);
  const frames = [
    screen(0, encodeRecords([desktopSize(63, 47), solidRect(0, 0, 63, 47, [255, 0, 0])])),
    screen(200, encodeRecords([{ type: RecordType.Bitmap, x: 0, y: 0, destW: 64, destH: 64, width: 64, height: 64, bpp: 16, codec: BitmapCodec.Planar, flags: 0x400, data: Uint8Array.from([0x1f]) }])),
    screen(400, encodeRecords([desktopSize(4000, 3000), solidRect(3000, 2000, 900, 900, [0, 255, 0]), solidRect(-5000, -5000, 10, 10, [0, 255, 0])])),
    screen(600, cut.subarray(0, cut.length - 5)),
  ];
  const source = { ...memorySource({ screen: frames }, []), screenStream: 'screen' };
  const out = join(dir, 'cut.mp4');
  const r = await writeVideo(source, out, { format: 'mp4', fps: 10 });
  assert.deepEqual([r.width, r.height], [64, 48]);
  assert.equal(r.skippedRecords, 2);
  assert.match(r.firstError ?? '', /planar|ends inside a record/);
  const p = probe(out);
  assert.deepEqual([p.width, p.height], [64, 48]);
  // The metadata says ten minutes: the video lasts as long as the session did.
  assert.equal(p.frames, r.frames);
  assert.equal(r.frames, 6000);
});

test('a failing ffmpeg is one clear error and leaves no file behind', async () => {
  const source = { ...memorySource({ screen: [screen(0, encodeRecords([desktopSize(16, 16)]))] }, []), screenStream: 'screen' };
  await assert.rejects(writeVideo(source, join(dir, 'none.mp4'), { format: 'mp4', ffmpeg: 'recgate-no-such-ffmpeg' }), /ffmpeg was not found/);
  await assert.rejects(writeVideo(source, join(dir, 'sub', 'x.mp4'), { format: 'mp4' }), /ENOENT|no such file/i);
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('none') || f.startsWith('.recgate')), []);
});
