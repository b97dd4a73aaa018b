/**
 * Video export of a graphical recording: the screen stream is replayed into a
 * framebuffer, sampled at `fps`, converted to YUV 4:2:0 where it changed
 * (yuv-canvas.ts), and the raw frames are piped to ffmpeg,
 * which writes WebM (VP9, realtime deadline, tuned for screen content: on a
 * busy desktop 9 % less encoder CPU, files a quarter smaller and a higher
 * PSNR than without; blocks whose error against the last frame is below a
 * static threshold of 100 are skipped, a sixth less CPU again, while a 2×2
 * dot still shows in the frame it appears; VP8 took three times the CPU) or MP4 (H.264, libx264
 * ultrafast: no lookahead or B-frames; against veryfast 40 % less encoder CPU
 * for somewhat larger files; frame threads, not zerolatency's sliced threads:
 * 2.6 times less wall time and encoder CPU on a busy 1080p export; a constant quantizer, 21,
 * rather than CRF 23: x264 skips its per-frame rate-control analysis, 15 %
 * less CPU on a busy desktop and 25 % on a still one, for the same PSNR and
 * 7 % larger busy files; see bench/graphics.ts).
 *
 * Every frame goes to the encoder, changed or not: a variable frame rate
 * (only changed frames, each held until the next) would spare the encoders
 * the idle frames, but `ffmpeg -ss T` on such a file yields the next frame
 * after T, not the one shown at T, and an auditor extracting a still must
 * get what was on the screen then.
 *
 * Two passes over the screen stream: the first reads only frame times and
 * desktop sizes (for --skip-idle's cuts, the length of the video and its
 * size: the largest desktop of the session), the second decodes. --overlay draws the person's keystrokes and clicks (from
 * the events stream) with ffmpeg's drawtext, one caption at a time.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GatewayError, RecordingError } from '../errors.js';
import { IdleCuts } from '../graphics/idle-cuts.js';
import { ScreenPlayer, type TimedRecord } from '../graphics/player.js';
import { MAX_BITMAP_PIXELS } from '../graphics/pixels.js';
import { RecordType, ScreenParser } from '../graphics/records.js';
import { FrameKind, type Frame } from '../recording/frames.js';
import { CaptionBuilder, type Caption } from './captions.js';
import type { ExportSource } from './source.js';
import { YuvCanvas } from './yuv-canvas.js';

export type VideoFormat = 'webm' | 'mp4';

export interface VideoOptions {
  format: VideoFormat;
  /** Frames per second of the video (default 10). */
  fps?: number;
  /** Shorten every pause without screen change to this many seconds. */
  skipIdleSeconds?: number;
  /** Draw keystrokes and clicks as captions. */
  overlay?: boolean;
  /** The ffmpeg program (default `ffmpeg` on the PATH). */
  ffmpeg?: string;
}

export interface VideoResult {
  frames: number;
  /** Length of the video and of the recording it shows, in ms. */
  videoMs: number;
  recordingMs: number;
  width: number;
  height: number;
  /** Screen records that could not be decoded (skipped; the rest played), and the first reason. */
  skippedRecords: number;
  firstError?: string;
}

/** The frames are BT.601 limited-range YUV (yuv-canvas.ts): said so in the file. */
const COLOUR_ARGS = ['-colorspace', 'bt470bg', '-color_primaries', 'bt470bg', '-color_trc', 'smpte170m', '-color_range', 'tv'];

const CODEC_ARGS: Record<VideoFormat, string[]> = {
  mp4: ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '21', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4'],
  webm: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-static-thresh', '100', '-row-mt', '1', '-tune-content', 'screen', '-b:v', '0', '-crf', '36', '-pix_fmt', 'yuv420p', '-f', 'webm'],
};

interface Plan {
  width: number;
  height: number;
  recordingMs: number;
  cuts: IdleCuts;
}

/** Writes the video to `outPath` (via a temporary file beside it, renamed when complete). */
export async function writeVideo(source: ExportSource, outPath: string, options: VideoOptions): Promise<VideoResult> {
  const fps = options.fps ?? 10;
  if (!(fps > 0 && fps <= 120)) throw new RecordingError(`video frame rate must be between 0 and 120, got ${fps}`);
  if (source.screenStream === undefined) throw new RecordingError(`recording ${source.meta.id} has no screen stream (not a graphical session)`);
  const plan = await planVideo(source, source.screenStream, options.skipIdleSeconds);
  const work = await mkdtemp(join(dirname(outPath), '.recgate-video-'));
  const temp = `${outPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const filters: string[] = [];
    if (options.overlay === true) filters.push(...(await captionFilters(source, plan.cuts, work)));
    const args = ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${plan.width}x${plan.height}`, '-r', String(fps), '-i', 'pipe:0'];
    if (filters.length > 0) {
      const script = join(work, 'filters');
      await writeFile(script, filters.join(',\n'), { mode: 0o600 });
      args.push('-filter_script:v', script);
    }
    args.push(...CODEC_ARGS[options.format], ...COLOUR_ARGS, '-y', temp);
    const result = await render(source, source.screenStream, plan, fps, options.ffmpeg ?? 'ffmpeg', args);
    await rename(temp, outPath);
    return result;
  } catch (err) {
    await rm(temp, { force: true });
    if (err instanceof GatewayError) throw err;
    throw new RecordingError(`video export to ${outPath} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * First pass: frame times, and the video's size: the smallest that holds every
 * desktop size of the session (records are parsed, not decoded). A desktop
 * resized mid-session is shown whole and unscaled at the top left, black
 * around it while it is smaller: every pixel the person saw, text as legible
 * as it was, at the coordinates the events give.
 */
async function planVideo(source: ExportSource, stream: string, skipIdleSeconds: number | undefined): Promise<Plan> {
  const cuts = new IdleCuts(skipIdleSeconds === undefined ? Infinity : skipIdleSeconds * 1000);
  const parser = new ScreenParser();
  let size: { w: number; h: number } | undefined;
  let lastT = 0;
  for await (const f of source.frames(stream)) {
    if (f.kind !== FrameKind.Screen) continue;
    cuts.change(f.t);
    lastT = Math.max(lastT, f.t);
    for (const r of parser.push(f.data)) {
      if ((r.type === RecordType.DesktopSize || r.type === RecordType.Keyframe) && r.w > 0 && r.h > 0) {
        const next = { w: Math.max(size?.w ?? 0, r.w), h: Math.max(size?.h ?? 0, r.h) };
        // Sizes a player refuses, and growth past the largest picture it holds, are left out (cropped).
        if (next.w * next.h <= MAX_BITMAP_PIXELS) size = next;
      }
    }
  }
  const started = Date.parse(source.meta.startedAt);
  const ended = source.meta.endedAt ? Date.parse(source.meta.endedAt) : NaN;
  const recordingMs = Math.max(lastT, Number.isFinite(ended - started) ? ended - started : 0);
  cuts.end(recordingMs);
  const w = size?.w ?? 1024;
  const h = size?.h ?? 768;
  // yuv420p needs even sides: the canvas is one pixel larger where a side is odd.
  return { width: w + (w & 1), height: h + (h & 1), recordingMs, cuts };
}

async function captionFilters(source: ExportSource, cuts: IdleCuts, work: string): Promise<string[]> {
  const builder = new CaptionBuilder();
  if (source.eventsStream !== undefined) {
    for await (const f of source.frames(source.eventsStream)) if (f.kind === FrameKind.Event) builder.event(f.t, f.event);
  }
  const filters: string[] = [];
  for (const [i, c] of builder.captions.entries()) {
    const file = join(work, `caption-${i}.txt`);
    await writeFile(file, c.text, { mode: 0o600 });
    filters.push(drawtext(file, c, cuts));
  }
  return filters;
}

function drawtext(file: string, c: Caption, cuts: IdleCuts): string {
  const from = (cuts.videoTime(c.from) / 1000).toFixed(3);
  const to = (Math.max(cuts.videoTime(c.to), cuts.videoTime(c.from) + 500) / 1000).toFixed(3);
  const escaped = file.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/:/g, '\\:');
  return `drawtext=textfile='${escaped}':expansion=none:font=monospace:fontsize=h/30:fontcolor=white:box=1:boxcolor=black@0.65:boxborderw=8:x=(w-tw)/2:y=h-th-h/20:enable='between(t,${from},${to})'`;
}

/** Screen records in time order from the stream's frames; what could not be read is counted in `parser`. */
async function* timedRecords(frames: AsyncIterable<Frame>, parser: ScreenParser): AsyncGenerator<TimedRecord> {
  for await (const f of frames) {
    if (f.kind !== FrameKind.Screen) continue;
    for (const record of parser.push(f.data)) yield { t: f.t, record };
  }
  try {
    parser.end();
  } catch (err) {
    // A recording cut off inside a record (the gateway was killed): what came before plays.
    parser.skipped++;
    parser.firstError ??= (err as Error).message;
  }
}

async function render(source: ExportSource, stream: string, plan: Plan, fps: number, ffmpeg: string, args: string[]): Promise<VideoResult> {
  const encoder = new FfmpegPipe(ffmpeg, args);
  const player = new ScreenPlayer(plan.width, plan.height);
  const canvas = new YuvCanvas(plan.width, plan.height);
  const parser = new ScreenParser();
  const records = timedRecords(source.frames(stream), parser)[Symbol.asyncIterator]();
  let next = await records.next();
  const videoMs = plan.cuts.videoTime(plan.recordingMs);
  let frames = Math.max(1, Math.ceil((videoMs * fps) / 1000));
  const draw = async (): Promise<void> => {
    const p = player.pointer;
    canvas.update(player.fb, p.visible ? { x: p.x, y: p.y, image: player.pointerImage } : undefined);
    await encoder.write(canvas.frame);
  };
  try {
    for (let k = 0; k < frames; k++) {
      const rt = plan.cuts.recordingTime((k * 1000) / fps);
      while (!next.done && next.value.t <= rt) {
        player.apply(next.value.record);
        next = await records.next();
      }
      await draw();
    }
    // The last records (a recording cut off by a crash ends on them) make one more frame, so the
    // video ends on the screen as last recorded; those after the recording's end are read for errors.
    let last = false;
    while (!next.done) {
      if (next.value.t <= plan.recordingMs) {
        player.apply(next.value.record);
        last = true;
      }
      next = await records.next();
    }
    if (last) {
      await draw();
      frames++;
    }
    await encoder.end();
  } catch (err) {
    encoder.kill();
    throw err;
  }
  const result: VideoResult = { frames, videoMs, recordingMs: plan.recordingMs, width: plan.width, height: plan.height, skippedRecords: player.skipped + parser.skipped };
  const firstError = parser.firstError ?? player.firstError;
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}

/** ffmpeg with raw frames on its standard input; its error output is kept (bounded) for the message. */
class FfmpegPipe {
  private readonly child;
  private stderr = '';
  private readonly exited: Promise<number | null>;
  private spawnError: Error | undefined;

  constructor(program: string, args: string[]) {
    this.child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += d.toString('utf8');
    });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.spawnError = err;
        resolve(null);
      });
      this.child.on('close', (code) => resolve(code));
    });
  }

  async write(frame: Uint8Array): Promise<void> {
    const written = new Promise<boolean>((resolve) => this.child.stdin.write(frame, (err) => resolve(err == null)));
    const ok = await Promise.race([written, this.exited.then(() => false)]);
    if (!ok) throw await this.failure();
  }

  async end(): Promise<void> {
    this.child.stdin.end();
    const code = await this.exited;
    if (code !== 0) throw await this.failure();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private async failure(): Promise<RecordingError> {
    const code = await this.exited;
    if (this.spawnError) {
      const missing = (this.spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      return new RecordingError(missing ? 'ffmpeg was not found: install it (Debian: apt-get install ffmpeg) to export video' : `ffmpeg did not start: ${this.spawnError.message}`);
    }
    const detail = this.stderr.trim().split('\n').slice(-3).join(' / ');
    return new RecordingError(`ffmpeg failed (exit ${code})${detail ? `: ${detail}` : ''}`);
  }
}
