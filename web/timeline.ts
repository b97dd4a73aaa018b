/**
 * The graphical player's timeline, pure: what it marks (the per-second
 * `activity` events the recorder writes, clicks, keys) and the mapping
 * between its pixels and the recording's time. Nothing here decodes a bitmap:
 * the map is drawn from events alone.
 */
import type { TimedRecord } from '../src/graphics/player.js';
import type { RecordedEvent } from '../src/recording/frames.js';

export interface TimedEvent {
  /** Milliseconds since the session start. */
  t: number;
  event: RecordedEvent;
}

export interface TimelineMarks {
  /** Change per second: [second, share of the screen redrawn]. */
  activity: [number, number][];
  /** Times (ms) of clicks and of keys (keys and typed pieces). */
  clicks: number[];
  keys: number[];
}

export function timelineMarks(events: readonly TimedEvent[]): TimelineMarks {
  const marks: TimelineMarks = { activity: [], clicks: [], keys: [] };
  for (const { t, event } of events) {
    if (event.type === 'activity' && typeof event.second === 'number' && typeof event.change === 'number') marks.activity.push([event.second, event.change]);
    else if (event.type === 'click') marks.clicks.push(t);
    else if (event.type === 'key') marks.keys.push(t);
  }
  return marks;
}

/** How long the player runs: to the last record, event or the recorded duration, whichever is last. */
export function playLength(records: readonly TimedRecord[], events: readonly TimedEvent[], durationMs: number | null): number {
  let end = durationMs ?? 0;
  const lastRecord = records.at(-1);
  if (lastRecord) end = Math.max(end, lastRecord.t);
  for (const e of events) if (e.event.type !== 'activity') end = Math.max(end, e.t);
  return end;
}

/** The time (ms) under `x` of a timeline `width` wide, clamped to the recording. */
export function timeAt(x: number, width: number, lengthMs: number): number {
  if (!(width > 0)) return 0;
  return Math.round(Math.min(1, Math.max(0, x / width)) * lengthMs);
}

/** The x of time `t` (ms) on a timeline `width` wide. */
export function xAt(t: number, width: number, lengthMs: number): number {
  return lengthMs > 0 ? (Math.min(Math.max(t, 0), lengthMs) / lengthMs) * width : 0;
}

/** Index of the first record after `t` (records in time order): where playing on from `t` resumes. */
export function firstAfter(records: readonly TimedRecord[], t: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `m:ss.s` of `ms`. */
export function clock(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}
