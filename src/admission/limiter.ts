/**
 * Failed-login limiting per source address, one for every protocol: an
 * attempt counts from the moment it starts, so a burst of guesses sent at
 * once is refused beyond the limit instead of all being checked.
 *
 *   begin(address) ── refused while failures + attempts under way ≥ maxFailures
 *        │
 *        ├── succeed(): the address's failures are forgotten
 *        └── fail():    one more failure; the window starts over
 *
 * An address that reached the limit is refused until `windowMs` has passed
 * since its last failure. Memory is bounded: beyond `maxAddresses` the
 * address seen longest ago with nothing under way is forgotten.
 */
export interface LimiterOptions {
  maxFailures: number;
  windowMs: number;
  maxAddresses: number;
}

const DEFAULTS: LimiterOptions = { maxFailures: 10, windowMs: 5 * 60_000, maxAddresses: 100_000 };

interface Entry {
  failures: number;
  /** Attempts begun and not yet finished. */
  pending: number;
  last: number;
}

export interface Attempt {
  /** The person proved who they are. */
  succeed(): void;
  /** Returns true when this failure is the one that blocks the address. */
  fail(): boolean;
  /** Ended without a verdict (the client left): it counts as a failure. */
  abandon(): void;
  /** Failed as a repeat of a failure already counted (a client's own retry): not counted again. */
  repeated(): void;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly options: LimiterOptions;

  constructor(options: Partial<LimiterOptions> = {}, private readonly clock: () => number = Date.now) {
    this.options = { ...DEFAULTS, ...options };
  }

  get maxFailures(): number {
    return this.options.maxFailures;
  }

  /** False while `address` is refused (its failures and attempts under way reach the limit). */
  allowed(address: string): boolean {
    const e = this.current(address);
    return e === undefined || e.failures + e.pending < this.options.maxFailures;
  }

  /** Starts an attempt, or returns null when the address is refused. */
  begin(address: string): Attempt | null {
    if (!this.allowed(address)) return null;
    const e = this.current(address) ?? { failures: 0, pending: 0, last: this.clock() };
    e.pending++;
    this.touch(address, e);
    let done = false;
    const finish = (failed: boolean): boolean => {
      if (done) return false;
      done = true;
      e.pending--;
      if (!failed) {
        e.failures = 0;
        if (e.pending === 0) this.entries.delete(address);
        return false;
      }
      e.failures++;
      e.last = this.clock();
      this.touch(address, e);
      return e.failures === this.options.maxFailures;
    };
    const repeated = (): void => {
      if (done) return;
      done = true;
      e.pending--;
    };
    return { succeed: () => void finish(false), fail: () => finish(true), abandon: () => void finish(true), repeated };
  }

  private touch(address: string, e: Entry): void {
    this.entries.delete(address);
    this.entries.set(address, e);
    if (this.entries.size <= this.options.maxAddresses) return;
    for (const [key, old] of this.entries) {
      if (old.pending > 0) continue;
      this.entries.delete(key);
      return;
    }
  }

  private current(address: string): Entry | undefined {
    const e = this.entries.get(address);
    if (e && e.pending === 0 && this.clock() - e.last > this.options.windowMs) {
      this.entries.delete(address);
      return undefined;
    }
    return e;
  }
}
