/**
 * ScreenPlayer applies screen records to a framebuffer; ScreenTimeline seeks
 * in a list of timed records by starting from the nearest keyframe at or
 * before the wanted time (or from the start when there is none).
 *
 * A record that cannot be decoded (a bitmap with bad data) is skipped and
 * counted: what is around it still plays.
 */
import { decodeBitmap } from './bitmap.js';
import { Framebuffer } from './framebuffer.js';
import { inflateKeyframe } from './keyframe.js';
import { defaultPalette } from './pixels.js';
import { decodePointer, type PointerImage } from './pointer.js';
import { RecordType, ScreenFormatError, type ScreenRecord } from './records.js';
import { Scratch } from './scratch.js';

export interface TimedRecord {
  t: number;
  record: ScreenRecord;
}

export interface PointerState {
  x: number;
  y: number;
  visible: boolean;
  /** Cache index of the current shape, or -1 for the system default. */
  shape: number;
}

/** Pointer shapes kept by cache index (RDP's pointer cache holds at most a few dozen). */
const MAX_POINTERS = 256;

/** Screen size before the stream names one. */
const INITIAL = { w: 1024, h: 768 };

export class ScreenPlayer {
  readonly fb: Framebuffer;
  palette = defaultPalette();
  pointer: PointerState = { x: 0, y: 0, visible: true, shape: -1 };
  /** Records skipped because they could not be decoded, and the first reason. */
  skipped = 0;
  firstError: string | undefined;
  /** Whether a DesktopSize or Keyframe has set the size yet. */
  sized = false;
  /** The pointer's shape; undefined for the system default. */
  pointerImage: PointerImage | undefined;
  private readonly pointers = new Map<number, PointerImage>();
  /** Bitmaps decode into this and are copied into the framebuffer at once. */
  private readonly scratch = new Scratch();

  constructor(width = INITIAL.w, height = INITIAL.h) {
    this.fb = new Framebuffer(width, height);
  }

  /** Applies one record; returns how many pixels it changed (an upper bound: pixels written). */
  apply(r: ScreenRecord): number {
    try {
      return this.applyRecord(r);
    } catch (err) {
      if (!(err instanceof ScreenFormatError)) throw err;
      this.skipped++;
      this.firstError ??= err.message;
      return 0;
    }
  }

  private applyRecord(r: ScreenRecord): number {
    switch (r.type) {
      case RecordType.DesktopSize:
        this.fb.resize(r.w, r.h);
        this.sized = true;
        return r.w * r.h;
      case RecordType.Bitmap: {
        const rgba = decodeBitmap(r, this.palette, this.scratch);
        return this.fb.blit(rgba, r.width, r.height, r.x, r.y, r.destW, r.destH);
      }
      case RecordType.Palette:
        this.palette = defaultPalette();
        this.palette.set(r.colors.subarray(0, Math.min(r.colors.length, 768)));
        return 0;
      case RecordType.Keyframe:
        this.fb.setRgb(r.w, r.h, inflateKeyframe(r));
        this.sized = true;
        return 0;
      case RecordType.PointerPosition:
        this.pointer.x = r.x;
        this.pointer.y = r.y;
        return 1;
      case RecordType.PointerShape: {
        const image = decodePointer(r);
        this.pointers.delete(r.index);
        if (this.pointers.size >= MAX_POINTERS) this.pointers.delete(this.pointers.keys().next().value!);
        this.pointers.set(r.index, image);
        this.pointerImage = image;
        this.pointer.shape = r.index;
        this.pointer.visible = true;
        return 1;
      }
      case RecordType.PointerCached:
        this.pointerImage = this.pointers.get(r.index);
        this.pointer.shape = this.pointerImage ? r.index : -1;
        this.pointer.visible = true;
        return 1;
      case RecordType.PointerSystem:
        this.pointer.visible = r.kind === 1;
        this.pointer.shape = -1;
        this.pointerImage = undefined;
        return 1;
    }
  }
}

export class ScreenTimeline {
  /** Indexes of the Keyframe records, in time order. */
  readonly keyframes: number[] = [];

  constructor(readonly records: readonly TimedRecord[]) {
    records.forEach((r, i) => {
      if (r.record.type === RecordType.Keyframe) this.keyframes.push(i);
    });
  }

  /** A player showing the screen as of `t` (every record at or before it applied). */
  seek(t: number, options: { useKeyframes?: boolean } = {}): ScreenPlayer {
    let start = 0;
    if (options.useKeyframes !== false) {
      // The last keyframe at or before t (binary search over the keyframe indexes).
      let lo = 0;
      let hi = this.keyframes.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (this.records[this.keyframes[mid]!]!.t <= t) {
          start = this.keyframes[mid]!;
          lo = mid + 1;
        } else hi = mid - 1;
      }
    }
    const player = new ScreenPlayer();
    // Palette and pointer state come from before the keyframe: they are cheap to replay.
    for (let i = 0; i < start; i++) {
      const r = this.records[i]!.record;
      if (r.type === RecordType.Palette || r.type >= RecordType.PointerPosition) player.apply(r);
    }
    for (let i = start; i < this.records.length && this.records[i]!.t <= t; i++) player.apply(this.records[i]!.record);
    return player;
  }
}
