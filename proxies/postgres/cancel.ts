/**
 * Cancel keys the gateway hands out. Each client gets the gateway's own
 * BackendKeyData (a process id unique among live connections and a random
 * secret), never the target's: a CancelRequest reaching the listener is
 * matched here and forwarded, with the target's own key, to the target that
 * connection is logged in to.
 *
 * Invariants: secrets are compared in constant time; a key is forgotten
 * when its connection ends; a wrong secret cancels nothing.
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export interface IssuedKey {
  pid: number;
  secretKey: Buffer;
  release(): void;
}

export class CancelKeys {
  private readonly live = new Map<number, { secretKey: Buffer; cancel: () => void }>();

  issue(cancel: () => void): IssuedKey {
    let pid: number;
    do pid = randomInt(1, 0x7fff_ffff);
    while (this.live.has(pid));
    // Protocol 3.0 keys are 4 bytes; that is what every client of it expects.
    const secretKey = randomBytes(4);
    this.live.set(pid, { secretKey, cancel });
    return { pid, secretKey, release: () => this.live.delete(pid) };
  }

  /** Runs the matching connection's cancel; false when no live key matches. */
  cancel(pid: number, secretKey: Buffer): boolean {
    const entry = this.live.get(pid);
    if (!entry || entry.secretKey.length !== secretKey.length || !timingSafeEqual(entry.secretKey, secretKey)) return false;
    entry.cancel();
    return true;
  }

  get size(): number {
    return this.live.size;
  }
}
