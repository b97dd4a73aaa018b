/**
 * RecordQueue: what the relay records of PDUs it has already forwarded,
 * run in arrival order behind the writes (setImmediate runs after the
 * event loop's I/O callbacks), so decoding a screen update for the
 * recording never holds back the next PDU on its way to the other leg.
 *
 * A pass runs for at most `sliceMs`, then lets the event loop read (and
 * relay) what arrived meanwhile before the next pass: a burst of large
 * updates is recorded in slices, not in one block a key press waits behind.
 * The queue is bounded: past `maxBytes` of PDUs waiting, `backlogged` is
 * true and the relay stops reading until `whenDrained` calls back, so the
 * recording is never skipped, only the reading slowed (backpressure).
 *
 * Invariants: work runs once, in the order it was added; `drain()` runs
 * everything queued at once (the session's end records all before it
 * closes); a piece of work that throws is reported to `failed` and the
 * rest still runs.
 */
export interface RecordQueueOptions {
  /** Longest a pass runs before it lets I/O in (ms). */
  sliceMs?: number;
  /** PDU bytes waiting above which the relay should stop reading. */
  maxBytes?: number;
}

export class RecordQueue {
  private work: { fn: () => void; bytes: number }[] = [];
  private next = 0;
  private waiting = 0;
  private scheduled = false;
  private drained: (() => void)[] = [];
  private readonly sliceMs: number;
  private readonly maxBytes: number;

  constructor(
    private readonly failed: (err: unknown) => void,
    options: RecordQueueOptions = {},
  ) {
    this.sliceMs = options.sliceMs ?? 2;
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
  }

  /** Work not yet run. */
  get size(): number {
    return this.work.length - this.next;
  }

  /** True while more than `maxBytes` of PDUs wait to be recorded. */
  get backlogged(): boolean {
    return this.waiting > this.maxBytes;
  }

  /** `fn` records a PDU of `bytes` bytes. */
  add(fn: () => void, bytes = 0): void {
    this.work.push({ fn, bytes });
    this.waiting += bytes;
    this.schedule();
  }

  /** Calls `fn` once the queue is no longer backlogged (at once if it is not). */
  whenDrained(fn: () => void): void {
    if (this.backlogged) this.drained.push(fn);
    else fn();
  }

  /** Runs everything queued now. */
  drain(): void {
    this.run(Infinity);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run(performance.now() + this.sliceMs);
    });
  }

  private run(until: number): void {
    // Work added while running runs in this pass too; a drain from within `failed` goes on where this one was.
    while (this.next < this.work.length) {
      const { fn, bytes } = this.work[this.next++]!;
      try {
        fn();
      } catch (err) {
        this.failed(err);
      }
      this.waiting -= bytes;
      if (this.next < this.work.length && performance.now() >= until) break;
    }
    // What ran is let go (a long busy spell never empties the queue at once).
    this.work.splice(0, this.next);
    this.next = 0;
    if (this.work.length > 0) this.schedule();
    if (!this.backlogged && this.drained.length > 0) {
      const callbacks = this.drained;
      this.drained = [];
      for (const cb of callbacks) cb();
    }
  }
}
