/**
 * ActivityMeter: how much of the screen changed in each second, as a
 * fraction of the screen's area (0 when idle; above 1 when areas were
 * redrawn several times). The basis of the timeline and of --skip-idle.
 */
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
