/**
 * The second pass of a video export (video.ts): the video's frames split
 * into parts, each decoded from the screen stream and fed to an encoder of
 * its own, side by side. A part reads the stream on its own; one that
 * starts later in the video gets its screen the way a player seeks
 * (part-start.ts). The frame for time T shows every record up to T; when
 * records follow the last sampled time, the last part adds one frame, so the
 * video ends on the screen as last recorded.
 *
 * Invariants: every frame of a part goes to its encoder, changed or not;
 * once another part failed (`stop`), a part stops at its next frame and
 * kills its encoder; a part lets go of its reader (open chunk files) when
 * it ends, however it ends. A record that cannot be decoded is counted once,
 * by the part whose frames it belongs to.
 */
import { ScreenPlayer, type TimedRecord } from '../graphics/player.js';
import { ScreenParser } from '../graphics/records.js';
import { FrameKind, type Frame } from '../recording/frames.js';
import type { FfmpegPipe } from './ffmpeg.js';
import { partStart } from './part-start.js';
import type { ExportSource } from './source.js';
import type { Plan } from './video-plan.js';
import { YuvCanvas } from './yuv-canvas.js';

/** A part shorter than this (in frames) is not worth an encoder of its own. */
const MIN_PART_FRAMES = 100;

/** Frames [from, to) of the video; the last part also ends the video. */
export interface FrameRange {
  from: number;
  to: number;
  last: boolean;
}

/**
 * The video's frames in `parallel` parts of at least MIN_PART_FRAMES each, for as
 * many encoders side by side: libvpx's own threads barely shorten a VP9 export
 * on two cores (row-mt and tile columns: 3.8 → 3.4 s wall for 20 s of a busy
 * desktop), where two single-threaded encoders on two halves took a busy 120 s
 * 1080p export from 28.0 to 16.8 s.
 */
export function splitFrames(frames: number, parallel: number): FrameRange[] {
  const n = Math.max(1, Math.min(Math.floor(parallel), Math.floor(frames / MIN_PART_FRAMES)));
  return Array.from({ length: n }, (_, i) => ({ from: Math.floor((frames * i) / n), to: Math.floor((frames * (i + 1)) / n), last: i === n - 1 }));
}

/** Frames encoded so far over every part, reported to the caller. */
export class Progress {
  private done = 0;

  constructor(
    private readonly total: number,
    private readonly report: ((done: number, total: number) => void) | undefined,
  ) {}

  frame(): void {
    this.done++;
    this.report?.(Math.min(this.done, this.total), this.total);
  }
}

export interface PartResult {
  /** Frames this part encoded. */
  frames: number;
  /** Records of this part's stretch of the recording that could not be decoded, and the first reason. */
  skipped: number;
  firstError: string | undefined;
  /** For the last part, which reads the stream to its end: records the parser could not read at all. */
  unreadable: number;
  unreadableError: string | undefined;
}

export interface PartJob {
  source: ExportSource;
  stream: string;
  plan: Plan;
  fps: number;
  part: FrameRange;
  progress: Progress;
  /** Set when another part failed: this one stops too. */
  stop: AbortSignal;
  encoder: FfmpegPipe;
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

/**
 * Decodes and encodes one part. A part that starts later in the video gets its
 * screen the way a player seeks, from the last keyframe at or before its start
 * (part-start.ts).
 */
export async function renderPart(job: PartJob): Promise<PartResult> {
  const { plan, fps, part, encoder } = job;
  const canvas = new YuvCanvas(plan.width, plan.height);
  // The parser of the reader last opened: the one this part goes on with, whose unreadable records the last part reports.
  let parser = new ScreenParser();
  const open = (): AsyncIterator<TimedRecord> => {
    parser = new ScreenParser();
    return timedRecords(job.source.frames(job.stream), parser)[Symbol.asyncIterator]();
  };
  const timeOf = (k: number): number => plan.cuts.recordingTime((k * 1000) / fps);
  let records: AsyncIterator<TimedRecord> | undefined;
  try {
    let player: ScreenPlayer;
    let next: IteratorResult<TimedRecord>;
    if (part.from > 0) {
      // What the frame before this part showed: the records up to its time, from the last keyframe before it.
      const until = timeOf(part.from - 1);
      let keyframe = -Infinity;
      for (const t of plan.keyframes) if (t <= until) keyframe = t;
      ({ player, records, next } = await partStart(open, until, keyframe, plan.width, plan.height));
    } else {
      player = new ScreenPlayer(plan.width, plan.height);
      records = open();
      next = await records.next();
    }
    let frames = 0;
    const draw = async (): Promise<void> => {
      job.stop.throwIfAborted();
      const p = player.pointer;
      canvas.update(player.fb, p.visible ? { x: p.x, y: p.y, image: player.pointerImage } : undefined);
      await encoder.write(canvas.frame);
      frames++;
      job.progress.frame();
    };
    // Records the frames before this part showed are the part before's to count.
    player.skipped = 0;
    player.firstError = undefined;
    for (let k = part.from; k < part.to; k++) {
      const rt = timeOf(k);
      while (!next.done && next.value.t <= rt) {
        player.apply(next.value.record);
        next = await records.next();
      }
      await draw();
    }
    if (part.last) {
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
      if (last) await draw();
    }
    await encoder.end();
    return {
      frames,
      skipped: player.skipped,
      firstError: player.firstError,
      unreadable: part.last ? parser.skipped : 0,
      unreadableError: part.last ? parser.firstError : undefined,
    };
  } catch (err) {
    encoder.kill();
    throw err;
  } finally {
    // A part before the last stops reading mid-stream: its reader (open chunk files) is let go now.
    await records?.return?.(undefined);
  }
}
