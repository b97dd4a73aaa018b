/**
 * Graphics benchmark: what graphical recordings cost to decode, seek and export.
 *
 *   node dist/bench/graphics.js [--seconds N] [--fps N] [--only decode|keyframes|export]
 *
 * Tables:
 *   decode    megapixels per second per codec, on 64×64 tiles of a desktop-like
 *             picture (gradients, flat areas, text-like noise), as RDP sends them.
 *   keyframes a busy 1080p recording (a 64×64 tile grid area redrawn every 100 ms and
 *             a full repaint every 10 s): screen stream bytes with and without a
 *             keyframe per minute, and the time to seek to its end either way.
 *   export    writeVideo of that recording (N seconds, default 120) to MP4 and WebM:
 *             wall time, × realtime, peak memory. Frames come from memory (no
 *             decryption), so this is the renderer and ffmpeg.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { benchArgs } from './args.js';
import { writeVideo, type VideoFormat } from '../src/export/video.js';
import { decodeBitmap } from '../src/graphics/bitmap.js';
import { ScreenKeyframer } from '../src/graphics/keyframer.js';
import { ScreenTimeline, type TimedRecord } from '../src/graphics/player.js';
import { defaultPalette } from '../src/graphics/pixels.js';
import { Scratch } from '../src/graphics/scratch.js';
import { BitmapCodec, RecordType, ScreenParser, type BitmapRecord, type ScreenRecord } from '../src/graphics/records.js';
import { FrameKind, type Frame } from '../src/recording/frames.js';
import { planarEncode, rleEncode } from '../test/fixtures/bitmap-encoders.js';

const { values } = benchArgs({ options: { seconds: { type: 'string', default: '120' }, fps: { type: 'string', default: '10' }, only: { type: 'string' } } });
const SECONDS = Number(values.seconds);
const FPS = Number(values.fps);
const W = 1920;
const H = 1080;
const T = 64;

/** A desktop-like tile: a gradient background, a flat window, and text-like noise. */
function tile(seed: number): Uint8Array {
  const rgba = new Uint8Array(T * T * 4);
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) & 0x7fffffff) & 0xff);
  for (let y = 0; y < T; y++) {
    for (let x = 0; x < T; x++) {
      const o = (y * T + x) * 4;
      const window = x > 8 && y > 8;
      const text = window && y % 12 < 8 && rnd() < 60;
      const v = text ? [20, 20, 20] : window ? [240, 240, 240] : [(seed * 7 + y * 2) & 0xff, (x * 3) & 0xff, 160];
      rgba.set([...v, 255], o);
    }
  }
  return rgba;
}

function bitmapOf(rgba: Uint8Array, codec: BitmapCodec, bpp: number, x = 0, y = 0): BitmapRecord {
  const px = (i: number): number => {
    const [r, g, b] = [rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!];
    return bpp === 16 ? ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3) : (r << 16) | (g << 8) | b;
  };
  let data: Uint8Array;
  if (codec === BitmapCodec.Planar) data = planarEncode(rgba, T, T);
  else {
    const values = Array.from({ length: T * T }, (_, i) => px((T - 1 - Math.floor(i / T)) * T + (i % T)));
    const bpb = bpp === 16 ? 2 : bpp === 24 ? 3 : 4;
    if (codec === BitmapCodec.Interleaved) data = rleEncode(values, bpb);
    else {
      data = new Uint8Array(values.length * bpb);
      values.forEach((v, i) => {
        for (let k = 0; k < bpb; k++) data[i * bpb + k] = (v >>> (8 * k)) & 0xff;
      });
    }
  }
  return { type: RecordType.Bitmap, x, y, destW: T, destH: T, width: T, height: T, bpp, codec, flags: 0x400, data };
}

/** Decode speed per codec into fresh buffers (what a one-off decode does) and into one reused Scratch (the screen player), with the major GCs each provoked. */
async function benchDecode(): Promise<void> {
  const tiles = Array.from({ length: 32 }, (_, i) => tile(i + 1));
  const palette = defaultPalette();
  const rows: string[][] = [];
  let majors = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const run = async (records: BitmapRecord[], scratch: Scratch | undefined): Promise<[string, string]> => {
    majors = 0;
    gcMs = 0;
    let pixels = 0;
    const start = performance.now();
    while (performance.now() - start < 1500) {
      for (const r of records) decodeBitmap(r, palette, scratch);
      pixels += records.length * T * T;
    }
    const seconds = (performance.now() - start) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 50)); // GC entries arrive on the event loop
    return [(pixels / seconds / 1e6).toFixed(1), `${majors} major, ${gcMs.toFixed(0)} ms`];
  };
  for (const [name, codec, bpp] of [
    ['none 32 bpp', BitmapCodec.None, 32],
    ['none 16 bpp', BitmapCodec.None, 16],
    ['RLE 16 bpp', BitmapCodec.Interleaved, 16],
    ['RLE 24 bpp', BitmapCodec.Interleaved, 24],
    ['planar RLE', BitmapCodec.Planar, 32],
  ] as const) {
    const records = tiles.map((t) => bitmapOf(t, codec, bpp));
    const bytes = records.reduce((n, r) => n + r.data.length, 0);
    const [fresh, freshMajors] = await run(records, undefined);
    const [reused, reusedMajors] = await run(records, new Scratch());
    rows.push([name, fresh, freshMajors, reused, reusedMajors, ((bytes / (records.length * T * T * 4)) * 100).toFixed(0) + ' %']);
  }
  observer.disconnect();
  table('decode (64×64 tiles, 1.5 s each)', ['codec', 'MP/s fresh', 'GC', 'MP/s scratch', 'GC', 'size vs RGBA'], rows);
}

/** Screen records of the busy recording at 100 ms steps. */
function* busyUpdates(seconds: number): Generator<{ t: number; records: ScreenRecord[] }> {
  const tiles = Array.from({ length: 16 }, (_, i) => bitmapOf(tile(i + 1), BitmapCodec.Interleaved, 16));
  const at = (r: BitmapRecord, x: number, y: number): BitmapRecord => ({ ...r, x, y });
  yield { t: 0, records: [{ type: RecordType.DesktopSize, w: W, h: H }] };
  let n = 0;
  for (let t = 100; t <= seconds * 1000; t += 100) {
    const records: ScreenRecord[] = [];
    if (t % 10_000 === 0) {
      for (let y = 0; y < H; y += T) for (let x = 0; x < W; x += T) records.push(at(tiles[(n++) % 16]!, x, y));
    } else {
      // A 8×4 tile area (a terminal or editor window) redrawn, wandering across the screen.
      const ox = ((t / 100) * T) % (W - 8 * T);
      for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) records.push(at(tiles[(n++) % 16]!, ox + x * T, 200 + y * T));
    }
    records.push({ type: RecordType.PointerPosition, x: (t / 10) % W, y: 500 });
    yield { t, records };
  }
}

function record(seconds: number, keyframes: boolean): { frames: Frame[]; bytes: number; timed: TimedRecord[] } {
  const keyframer = new ScreenKeyframer({ intervalMs: keyframes ? 60_000 : Infinity });
  const parser = new ScreenParser();
  const frames: Frame[] = [];
  const timed: TimedRecord[] = [];
  let bytes = 0;
  for (const { t, records } of busyUpdates(seconds)) {
    const data = keyframer.update(t, records);
    bytes += data.length;
    frames.push({ kind: FrameKind.Screen, t, data });
    for (const r of parser.push(data)) timed.push({ t, record: r });
  }
  return { frames, bytes, timed };
}

function benchKeyframes(): void {
  const seconds = Math.max(SECONDS, 130);
  const without = record(seconds, false);
  const withK = record(seconds, true);
  const seek = (timed: TimedRecord[], useKeyframes: boolean): number => {
    const timeline = new ScreenTimeline(timed);
    const start = performance.now();
    timeline.seek(seconds * 1000 - 1, { useKeyframes });
    return performance.now() - start;
  };
  const kf = withK.timed.filter((r) => r.record.type === RecordType.Keyframe);
  const kfBytes = kf.reduce((n, r) => n + (r.record as { rgb: Uint8Array }).rgb.length, 0);
  table(`keyframes (${seconds} s busy 1080p, RLE 16 bpp)`, ['', 'stream MB', 'keyframes', 'avg keyframe KB', 'seek to end ms'], [
    ['without', (without.bytes / 1e6).toFixed(1), '0', '-', seek(without.timed, false).toFixed(0)],
    ['with (1/min)', (withK.bytes / 1e6).toFixed(1), String(kf.length), kf.length ? (kfBytes / kf.length / 1e3).toFixed(0) : '-', seek(withK.timed, true).toFixed(0)],
    ['overhead', `${(((withK.bytes - without.bytes) / without.bytes) * 100).toFixed(1)} %`, '', '', ''],
  ]);
}

async function benchExport(frames: Frame[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-bench-graphics-'));
  const rows: string[][] = [];
  try {
    for (const format of ['mp4', 'webm'] as VideoFormat[]) {
      const source = {
        meta: { id: 'bench', user: 'u', target: 't', protocol: 'rdp', clientAddress: '127.0.0.1', startedAt: '2026-01-01T00:00:00Z', endedAt: new Date(Date.parse('2026-01-01T00:00:00Z') + SECONDS * 1000).toISOString(), status: 'complete' },
        terminals: [],
        screenStream: 'screen',
        frames: async function* (): AsyncGenerator<Frame> {
          yield* frames;
        },
      };
      const start = performance.now();
      const cpu0 = cpuSeconds();
      // memoryUsage.rss() alone: the full memoryUsage() walks the heap, a cost the export would be charged.
      const rss0 = process.memoryUsage.rss();
      let rssPeak = rss0;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
      const r = await writeVideo(source, join(dir, `out.${format}`), { format, fps: FPS });
      clearInterval(sampler);
      const seconds = (performance.now() - start) / 1000;
      const cpu1 = cpuSeconds();
      const ours = cpu1.self - cpu0.self;
      const ffmpeg = cpu1.children - cpu0.children;
      const video = r.videoMs / 1000;
      const cores = cpus().length;
      rows.push([format, `${r.width}x${r.height}@${FPS}`, video.toFixed(0), seconds.toFixed(1), (video / seconds).toFixed(1), ours.toFixed(1), ffmpeg.toFixed(1), (video / ((ours + ffmpeg) / cores)).toFixed(1), ((rssPeak - rss0) / 1e6).toFixed(0)]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  table('export (busy 1080p)', ['format', 'video', 'length s', 'wall s', '× realtime (wall)', 'CPU s node', 'CPU s ffmpeg', `× realtime (CPU, ${cpus().length} cores)`, 'RSS growth MB'], rows);
  process.stdout.write(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
}

/** CPU seconds of this process and of its reaped children (ffmpeg) from /proc/self/stat. */
function cpuSeconds(): { self: number; children: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { self: (f[11]! + f[12]!) / 100, children: (f[13]! + f[14]!) / 100 };
}

function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`\n${title}\n${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
}

process.stdout.write(`graphics benchmark on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}\n`);
const only = values.only;
if (only === undefined || only === 'decode') await benchDecode();
if (only === undefined || only === 'keyframes') benchKeyframes();
if (only === undefined || only === 'export') await benchExport(record(SECONDS, true).frames);
process.stdout.write(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (this process; ffmpeg apart)\n`);
