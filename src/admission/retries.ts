/**
 * One failed login, counted once across the client's own retry. libpq with its
 * default `sslmode=prefer` (psql, and everything built on libpq) tries over TLS
 * first and, when that connection fails for any reason, a wrong password
 * included, tries again at once without TLS, sending the same password. That
 * second try is the same login, not a second guess: it is not counted.
 *
 * Only that shape is forgiven, once: a failure on TLS followed within
 * `windowMs` by a failure of the same login name from the same address and
 * protocol without TLS. The entry is consumed, so a guesser alternating TLS and
 * plain connections gains one free try per counted one at most, and none by
 * repeating either kind.
 */
export interface RetryKey {
  protocol: string;
  address: string;
  loginName: string;
}

export const RETRY_WINDOW_MS = 3000;
/** Bounded memory: beyond this, the oldest remembered failures are dropped (they are then simply counted). */
export const MAX_REMEMBERED = 10_000;

export class TlsRetries {
  private readonly failedOnTls = new Map<string, number>();

  constructor(
    private readonly windowMs = RETRY_WINDOW_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Called for every failed login before it is counted; true when this
   * failure is the plain-text repeat of one just counted on TLS.
   */
  isRepeat(key: RetryKey, tls: boolean): boolean {
    const k = `${key.protocol}\0${key.address}\0${key.loginName}`;
    const now = this.clock();
    if (tls) {
      this.failedOnTls.delete(k);
      this.failedOnTls.set(k, now);
      while (this.failedOnTls.size > MAX_REMEMBERED) this.failedOnTls.delete(this.failedOnTls.keys().next().value!);
      return false;
    }
    const at = this.failedOnTls.get(k);
    if (at === undefined) return false;
    this.failedOnTls.delete(k);
    return now - at <= this.windowMs;
  }
}
