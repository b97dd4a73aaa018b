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
 * size: the largest desktop of the session; video-plan.ts), the second
 * decodes, in parts encoded side by side for WebM (video-part.ts). --overlay
 * draws the person's keystrokes and clicks (from the events stream) with
 * ffmpeg's drawtext, one caption at a time (video-overlay.ts).
 */
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GatewayError, RecordingError } from '../errors.js';
import { concatVideos, FfmpegPipe } from './ffmpeg.js';
import type { ExportSource } from './source.js';
import { captionFiles, filterScript } from './video-overlay.js';
import { Progress, renderPart, splitFrames, type FrameRange, type PartResult } from './video-part.js';
import { planVideo, type Plan } from './video-plan.js';

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
  /** Encoders run side by side on parts of a WebM video (default: the machine's cores, at most 4). */
  parallel?: number;
  /** Called as frames are encoded: frames done, and in all. */
  onProgress?: (done: number, total: number) => void;
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

/**
 * WebM: no lag frames (libvpx keeps 25 by default even in realtime mode): a third less
 * memory per encoder (341 → 228 MB at 1080p), so fewer fresh pages to fault in, 9 % less
 * wall time, and a file no larger.
 */
const CODEC_ARGS: Record<VideoFormat, string[]> = {
  mp4: ['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '21', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4'],
  webm: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-static-thresh', '100', '-row-mt', '1', '-tune-content', 'screen', '-b:v', '0', '-crf', '36', '-pix_fmt', 'yuv420p', '-f', 'webm'],
};

/** Writes the video to `outPath` (via a temporary file beside it, renamed when complete). */
export async function writeVideo(source: ExportSource, outPath: string, options: VideoOptions): Promise<VideoResult> {
  const fps = options.fps ?? 10;
  if (!(fps > 0 && fps <= 120)) throw new RecordingError(`video frame rate must be between 0 and 120, got ${fps}`);
  if (source.screenStream === undefined) throw new RecordingError(`recording ${source.meta.id} has no screen stream (not a graphical session)`);
  const plan = await planVideo(source, source.screenStream, options.skipIdleSeconds);
  const work = await mkdtemp(join(dirname(outPath), '.recgate-video-'));
  const temp = `${outPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const captions = options.overlay === true ? await captionFiles(source, work) : [];
    const frames = Math.max(1, Math.ceil((plan.cuts.videoTime(plan.recordingMs) * fps) / 1000));
    const cores = availableParallelism();
    const parts = splitFrames(frames, options.format === 'webm' ? (options.parallel ?? Math.min(4, cores)) : 1);
    // Parts side by side are the parallelism: an encoder's own threads would only add their overhead.
    const threads = parts.length > 1 ? Math.max(1, Math.floor(cores / parts.length)) : undefined;
    const args = encoderArgs(plan, fps, options.format, threads);
    // The video ends with one more frame when records come after the last sampled time (see renderPart).
    const lastSampled = plan.cuts.recordingTime(((frames - 1) * 1000) / fps);
    const progress = new Progress(frames + (plan.lastRecordT > lastSampled ? 1 : 0), options.onProgress);
    const ffmpeg = options.ffmpeg ?? 'ffmpeg';
    const stop = new AbortController();
    const render = async (part: FrameRange, out: string, i: number): Promise<PartResult> => {
      // A part's timestamps start at 0: its captions are placed at their times less the part's start.
      const script = await filterScript(captions, plan.cuts, part.from / fps, join(work, `filters-${i}`));
      return renderPart({ source, stream: source.screenStream!, plan, fps, part, progress, stop: stop.signal, encoder: new FfmpegPipe(ffmpeg, args(out, script)) });
    };
    let results: PartResult[];
    if (parts.length === 1) results = [await render(parts[0]!, temp, 0)];
    else {
      const files = parts.map((_, i) => join(work, `part-${i}.${options.format}`));
      // A part that fails stops the others; every encoder has exited before the work folder goes.
      let failure: { err: unknown } | undefined;
      const settled = await Promise.allSettled(
        parts.map((part, i) =>
          render(part, files[i]!, i).catch((err: unknown) => {
            failure ??= { err };
            stop.abort();
            throw err;
          }),
        ),
      );
      if (failure) throw failure.err;
      results = settled.map((r) => (r as PromiseFulfilledResult<PartResult>).value);
      await concatVideos(ffmpeg, files, join(work, 'parts.txt'), temp, options.format);
    }
    const result = videoResult(plan, results);
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

/** ffmpeg's arguments for a part written to `out`, with its captions' filter script if it has one. */
function encoderArgs(plan: Plan, fps: number, format: VideoFormat, threads: number | undefined): (out: string, filterScript: string | undefined) => string[] {
  return (out, filterScript) => [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${plan.width}x${plan.height}`, '-r', String(fps), '-i', 'pipe:0'],
    ...(filterScript !== undefined ? ['-filter_script:v', filterScript] : []),
    ...CODEC_ARGS[format],
    ...(threads !== undefined ? ['-threads', String(threads)] : []),
    ...COLOUR_ARGS,
    ...['-y', out],
  ];
}

function videoResult(plan: Plan, parts: PartResult[]): VideoResult {
  const frames = parts.reduce((n, p) => n + p.frames, 0);
  const skipped = parts.reduce((n, p) => n + p.skipped + p.unreadable, 0);
  const result: VideoResult = { frames, videoMs: plan.cuts.videoTime(plan.recordingMs), recordingMs: plan.recordingMs, width: plan.width, height: plan.height, skippedRecords: skipped };
  const last = parts.at(-1)!;
  const firstError = last.unreadableError ?? parts.find((p) => p.firstError !== undefined)?.firstError;
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}
