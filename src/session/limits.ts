/**
 * Session limits: an idle timeout (reset by every activity of the person, and
 * not running while the person waits for the target, see LimitHandlers.busy)
 * and a maximum duration, each announced once before it is reached.
 *
 *   idle:  ──activity──────────────── warn (limit − lead) ──── reach (limit)
 *   max:   open ───────────────────── warn (limit − lead) ──── reach (limit)
 *
 * lead = `warnBefore` (60 s), or half the limit when the limit is at most
 * twice that. Every timer is unref'd (a limit never keeps the process alive)
 * and `stop()` clears them all; nothing fires after it.
 */
import type { LimitsConfig } from '../config/index.js';

export type LimitReason = 'idle-timeout' | 'max-duration';

export interface LimitHandlers {
  /** The limit will be reached in `lead` ms. */
  warn(reason: LimitReason, message: string): void;
  /** The limit is reached: the session must close. */
  reach(reason: LimitReason, message: string): void;
  /**
   * True while the person waits for the target (a database statement still running): the
   * session is not idle then, and its idle period starts over when the check finds it busy.
   */
  busy?(): boolean;
}

export const DEFAULT_WARN_BEFORE = 60_000;

/** Longest delay setTimeout honours; longer waits are taken in steps. */
const MAX_DELAY = 2 ** 31 - 1;

export function warningLead(limit: number, warnBefore: number): number {
  return limit <= 2 * warnBefore ? Math.floor(limit / 2) : warnBefore;
}

/** "1 minute", "90 seconds" → "1 minute 30 seconds", "2 hours"; below a second rounds up to one. */
export function describeDuration(ms: number): string {
  const total = Math.max(1, Math.ceil(ms / 1000));
  const parts: string[] = [];
  const units: [number, string][] = [
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  let rest = total;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  }
  return parts.join(' ');
}

export class SessionLimits {
  private readonly t0 = performance.now();
  private lastActivity = this.t0;
  /** The `lastActivity` the idle warning was given for: one warning per idle period. */
  private warnedFor = -1;
  private idleTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;
  private maxWarned = false;
  private stopped = false;

  constructor(
    private readonly limits: LimitsConfig,
    private readonly warnBefore: number,
    private readonly on: LimitHandlers,
  ) {
    if (limits.idleTimeout !== null) this.scheduleIdle(limits.idleTimeout - warningLead(limits.idleTimeout, warnBefore));
    if (limits.maxDuration !== null) this.scheduleMax(limits.maxDuration - warningLead(limits.maxDuration, warnBefore));
  }

  /**
   * The person did something (at `at`, a performance.now() the caller already read): the idle
   * period starts over. A reading older than the last changes nothing.
   */
  activity(at = performance.now()): void {
    if (at > this.lastActivity) this.lastActivity = at;
  }

  idleMs(): number {
    return Math.max(0, Math.round(performance.now() - this.lastActivity));
  }

  stop(): void {
    this.stopped = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.idleTimer = undefined;
    this.maxTimer = undefined;
  }

  // Activity only moves `lastActivity`; the one pending timer re-reads it when
  // it fires and sleeps again for what remains, so typing costs no timer work.
  private checkIdle(): void {
    this.idleTimer = undefined;
    if (this.stopped) return;
    const limit = this.limits.idleTimeout!;
    const lead = warningLead(limit, this.warnBefore);
    if (this.on.busy?.()) this.activity();
    const idle = performance.now() - this.lastActivity;
    if (idle >= limit) {
      this.on.reach('idle-timeout', `recgate: session closed after ${describeDuration(limit)} of inactivity`);
      return;
    }
    if (idle >= limit - lead) {
      if (this.warnedFor !== this.lastActivity) {
        this.warnedFor = this.lastActivity;
        this.on.warn('idle-timeout', `recgate: this session will be closed in ${describeDuration(lead)} for inactivity`);
      }
      this.scheduleIdle(limit - idle);
    } else {
      this.scheduleIdle(limit - lead - idle);
    }
  }

  private scheduleIdle(ms: number): void {
    if (!this.stopped) this.idleTimer = timer(ms, () => this.checkIdle());
  }

  private checkMax(): void {
    this.maxTimer = undefined;
    if (this.stopped) return;
    const limit = this.limits.maxDuration!;
    const lead = warningLead(limit, this.warnBefore);
    const elapsed = performance.now() - this.t0;
    const length = describeDuration(limit);
    if (elapsed >= limit) {
      this.on.reach('max-duration', `recgate: session closed: it reached the maximum session length of ${length}`);
      return;
    }
    if (elapsed >= limit - lead && !this.maxWarned) {
      this.maxWarned = true;
      this.on.warn('max-duration', `recgate: this session will be closed in ${describeDuration(lead)}: it reaches the maximum session length of ${length}`);
    }
    this.scheduleMax((elapsed >= limit - lead ? limit : limit - lead) - elapsed);
  }

  private scheduleMax(ms: number): void {
    if (!this.stopped) this.maxTimer = timer(ms, () => this.checkMax());
  }
}

/** An unref'd timer; a check that fires early (or after a capped step) re-reads the clock and waits again. */
function timer(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, Math.min(MAX_DELAY, Math.max(1, Math.ceil(ms))));
  t.unref();
  return t;
}
