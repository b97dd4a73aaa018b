/**
 * ActivityMeter: how much of the screen changed in each second, as a
 * fraction of the screen's area (0 when idle; above 1 when areas were
 * redrawn several times). The basis of the timeline and of --skip-idle.
 */
import { RecordType, type ScreenRecord } from './records.js';

export class ActivityMeter {
  private readonly seconds: number[] = [];

  /** `pixels` changed at `t` ms on a screen of `area` pixels. */
  add(t: number, pixels: number, area: number): void {
    const s = Math.max(0, Math.floor(t / 1000));
    while (this.seconds.length <= s) this.seconds.push(0);
    if (area > 0) this.seconds[s]! += pixels / area;
  }

  /** Change per second, from second 0 to the last second with a record. */
  perSecond(): readonly number[] {
    return this.seconds;
  }

  /** Stretches of at least `minSeconds` whole seconds with no change: [startSecond, endSecond). */
  idleStretches(minSeconds: number): [number, number][] {
    const out: [number, number][] = [];
    let start = -1;
    for (let s = 0; s <= this.seconds.length; s++) {
      const idle = s < this.seconds.length && this.seconds[s] === 0;
      if (idle && start < 0) start = s;
      if (!idle && start >= 0) {
        if (s - start >= minSeconds) out.push([start, s]);
        start = -1;
      }
    }
    return out;
  }
}

/** One second of screen change, as the recorder writes it: an `activity` event. */
export interface ActivitySecond {
  /** Seconds since the session started. */
  second: number;
  /** Changed area over the screen's area (above 1 when areas were redrawn several times). */
  change: number;
}

/**
 * The recorder's side of the meter: screen records go in as they are relayed,
 * and each second that saw a change comes out once, when a later record shows
 * it is over (or at the end). A timeline draws these without decoding a
 * bitmap; idle seconds give nothing.
 */
export class ActivityCounter {
  private second = -1;
  private pixels = 0;
  private area = 0;

  /** Records relayed at `t` ms; returns the second that just ended, if one with change did. */
  add(t: number, records: readonly ScreenRecord[]): ActivitySecond | null {
    const s = Math.max(0, Math.floor(t / 1000));
    const done = s !== this.second ? this.flush() : null;
    this.second = s;
    for (const r of records) {
      if (r.type === RecordType.DesktopSize) this.area = r.w * r.h;
      else if (r.type === RecordType.Bitmap) this.pixels += r.destW * r.destH;
    }
    return done;
  }

  /** The second under way, if it saw a change; it is then forgotten. */
  flush(): ActivitySecond | null {
    const out = this.pixels > 0 && this.area > 0 ? { second: this.second, change: Math.round((this.pixels / this.area) * 1000) / 1000 } : null;
    this.pixels = 0;
    return out;
  }
}
