/**
 * ScreenKeyframer, the recorder's side of the screen stream: it keeps its own
 * copy of the screen from the records it is given and, once a minute of
 * activity has passed since the last keyframe, adds a Keyframe after the
 * update, so a player seeks by decoding at most about a minute of updates.
 *
 * Activity time is the time between updates, each gap counted up to
 * `maxGapMs`: an idle hour costs no keyframes.
 */
import { keyframeOf } from './keyframe.js';
import { ScreenPlayer } from './player.js';
import { encodeRecords, type ScreenRecord } from './records.js';

export interface KeyframerOptions {
  intervalMs?: number;
  maxGapMs?: number;
  /** zlib level for keyframes (1 fastest). */
  level?: number;
}

export class ScreenKeyframer {
  private readonly player = new ScreenPlayer();
  private readonly intervalMs: number;
  private readonly maxGapMs: number;
  private readonly level: number;
  private active = 0;
  private lastT: number | undefined;
  keyframes = 0;

  constructor(options: KeyframerOptions = {}) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxGapMs = options.maxGapMs ?? 1_000;
    this.level = options.level ?? 1;
  }

  /** The bytes to record for an update at `t` ms: the records, then a keyframe when one is due. */
  update(t: number, records: ScreenRecord[]): Uint8Array {
    for (const r of records) this.player.apply(r);
    if (this.lastT !== undefined) this.active += Math.min(Math.max(0, t - this.lastT), this.maxGapMs);
    this.lastT = t;
    if (this.active < this.intervalMs || !this.player.sized) return encodeRecords(records);
    this.active = 0;
    this.keyframes++;
    return encodeRecords([...records, keyframeOf(this.player.fb, this.level)]);
  }
}
