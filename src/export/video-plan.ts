/**
 * The first pass of a video export (video.ts) over the screen stream: the
 * frame times and desktop sizes only, records parsed but not decoded. From
 * them come the video's size, the length of the recording, --skip-idle's
 * cuts, and the keyframes a part of the video can start decoding from.
 *
 * The video has the size of the largest desktop of the session, within what
 * a player holds (MAX_BITMAP_PIXELS), with even sides as yuv420p needs.
 */
import { IdleCuts } from '../graphics/idle-cuts.js';
import { MAX_BITMAP_PIXELS } from '../graphics/pixels.js';
import { RecordType, ScreenParser } from '../graphics/records.js';
import { FrameKind } from '../recording/frames.js';
import type { ExportSource } from './source.js';

export interface Plan {
  width: number;
  height: number;
  recordingMs: number;
  cuts: IdleCuts;
  /** Times of the Keyframe records: where a part of the video starts decoding. */
  keyframes: number[];
  /** Time of the last frame that holds a record. */
  lastRecordT: number;
}

/**
 * First pass: frame times, and the video's size: the smallest that holds every
 * desktop size of the session (records are parsed, not decoded). A desktop
 * resized mid-session is shown whole and unscaled at the top left, black
 * around it while it is smaller: every pixel the person saw, text as legible
 * as it was, at the coordinates the events give.
 */
export async function planVideo(source: ExportSource, stream: string, skipIdleSeconds: number | undefined): Promise<Plan> {
  const cuts = new IdleCuts(skipIdleSeconds === undefined ? Infinity : skipIdleSeconds * 1000);
  const parser = new ScreenParser();
  let size: { w: number; h: number } | undefined;
  let lastT = 0;
  const keyframes: number[] = [];
  let lastRecordT = -Infinity;
  for await (const f of source.frames(stream)) {
    if (f.kind !== FrameKind.Screen) continue;
    cuts.change(f.t);
    lastT = Math.max(lastT, f.t);
    for (const r of parser.push(f.data)) {
      lastRecordT = f.t;
      if (r.type === RecordType.Keyframe) keyframes.push(f.t);
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
  return { width: w + (w & 1), height: h + (h & 1), recordingMs, cuts, keyframes, lastRecordT };
}
