/**
 * Failed-login limiting per source address: after `maxFailures` failures
 * within `windowMs`, further attempts from that address are refused until
 * the window has passed since its last failure. Memory is bounded by
 * forgetting the oldest addresses beyond `maxAddresses`.
 */
export interface RateLimitOptions {
  maxFailures: number;
  windowMs: number;
  maxAddresses: number;
}

const DEFAULTS: RateLimitOptions = { maxFailures: 10, windowMs: 5 * 60_000, maxAddresses: 100_000 };

interface Entry {
  failures: number;
  last: number;
}

export class LoginRateLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly options: RateLimitOptions;

  constructor(options: Partial<RateLimitOptions> = {}, private readonly clock: () => number = Date.now) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** False while `address` is blocked. */
  allowed(address: string): boolean {
    const e = this.current(address);
    return e === undefined || e.failures < this.options.maxFailures;
  }

  /** Records a failure; returns true when this one blocks the address. */
  fail(address: string): boolean {
    const now = this.clock();
    const e = this.current(address) ?? { failures: 0, last: now };
    e.failures++;
    e.last = now;
    this.entries.delete(address);
    this.entries.set(address, e);
    if (this.entries.size > this.options.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
    return e.failures === this.options.maxFailures;
  }

  succeed(address: string): void {
    this.entries.delete(address);
  }

  private current(address: string): Entry | undefined {
    const e = this.entries.get(address);
    if (e && this.clock() - e.last > this.options.windowMs) {
      this.entries.delete(address);
      return undefined;
    }
    return e;
  }
}
