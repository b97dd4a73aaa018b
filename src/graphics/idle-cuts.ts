/**
 * IdleCuts: the stretches a video leaves out with --skip-idle. Every pause
 * between screen changes (and before the first, and after the last until the
 * end) longer than `capMs` is shortened to `capMs`: the picture holds that
 * long, then the next change follows. The wait for the first picture, which
 * shows nothing, is left out whole.
 */
export class IdleCuts {
  /** Removed stretches [from, to) in recording time, in order. */
  readonly cuts: [number, number][] = [];
  private last = 0;
  private first = true;

  constructor(private readonly capMs: number) {}

  /** A screen change at `t` (times must not go back). */
  change(t: number): void {
    if (this.first) {
      this.first = false;
      if (t > 0 && Number.isFinite(this.capMs)) this.cuts.push([0, t]);
      this.last = t;
      return;
    }
    if (t - this.last > this.capMs) this.cuts.push([this.last + this.capMs, t]);
    if (t > this.last) this.last = t;
  }

  /** The recording's end: a final pause is shortened too. */
  end(t: number): void {
    this.change(t);
  }

  removedBefore(rt: number): number {
    let removed = 0;
    for (const [from, to] of this.cuts) {
      if (from >= rt) break;
      removed += Math.min(rt, to) - from;
    }
    return removed;
  }

  /** Video time of a recording time (a time inside a cut maps to where the cut begins). */
  videoTime(rt: number): number {
    return rt - this.removedBefore(rt);
  }

  /** Recording time shown at video time `vt`. */
  recordingTime(vt: number): number {
    let rt = vt;
    for (const [from, to] of this.cuts) {
      if (from > rt) break;
      rt += to - from;
    }
    return rt;
  }
}
