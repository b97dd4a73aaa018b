/**
 * Appends written from the event loop while they are quick.
 *
 * An append to a recording file lands in the kernel's page cache: a copy of a
 * few KiB that takes microseconds. Handed to libuv's thread pool instead, it
 * costs a thread's wake-up and the event loop's wake-up for the result, which
 * on a virtual machine is tens of microseconds of CPU each: a quiet session's
 * timed chunk paid more for the hand-off than for its sealing
 * (bench/quiet-sessions.ts). So appends up to DIRECT_MAX bytes are written
 * with a synchronous `writev` from the event loop, as PostgreSQL's backends
 * write their WAL. Full chunks (64 to 256 KiB) still go to the pool: there the
 * hand-off is small beside the copy into fresh page-cache pages, and a pool
 * thread does that copy on the other core while the loop relays (SSH bulk
 * output with 64 KiB chunks written from the loop: the same CPU per MB and,
 * in two alternated pairs, 142 / 143 MB/s against 169 / 181 on the pool).
 *
 * A synchronous write can stall: the kernel throttles writers when dirty pages
 * pile up faster than the disk takes them, and a network filesystem waits on
 * its server. Every direct write is timed; one that took longer than
 * SLOW_WRITE_MS sends this store's appends to the thread pool for
 * POOLED_FOR_MS, and says so once, so a slow disk costs the gateway one stall
 * in that time, not one per chunk.
 */
import { writevSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { StoreError } from '../errors.js';
import type { Logger } from '../log.js';

/** Appends larger than this go to the thread pool (a full chunk is 64 KiB). */
export const DIRECT_MAX = 16 * 1024;

/** A direct write slower than this moves appends to the pool for a while. */
export const SLOW_WRITE_MS = 10;

/** How long appends stay on the pool after a slow direct write. */
export const POOLED_FOR_MS = 30_000;

export class DirectWrites {
  private pooledUntil = 0;

  constructor(
    /** Told of a slow direct write (its duration in ms), once per switch to the pool. */
    private readonly onSlow: (ms: number) => void,
    /** False: every append goes to the pool. */
    private readonly enabled = true,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Writes `buffers` at the file's end (it is open for appending); resolves to the bytes written. */
  async writev(fh: FileHandle, buffers: Uint8Array[], total: number): Promise<number> {
    if (!this.direct(total)) return (await fh.writev(buffers)).bytesWritten;
    const t0 = this.now();
    const written = buffers.length === 1 ? writeSync(fh.fd, buffers[0]!) : writevSync(fh.fd, buffers);
    this.timed(t0);
    return written;
  }

  /**
   * Appends all of `buffers` or none: a write that stops short (a full disk) is cut off the
   * file again, and the error says why. `what` names the file in that error.
   */
  async append(fh: FileHandle, buffers: Uint8Array[], total: number, what: string): Promise<void> {
    let written: number;
    try {
      written = await this.writev(fh, buffers, total);
    } catch (cause) {
      throw new StoreError(`cannot append to ${what}: ${(cause as Error).message}`, { cause });
    }
    if (written === total) return;
    let cause: unknown;
    try {
      // Node's write loop stops at the first error and reports only the bytes written before
      // it: writing the rest once more finishes the append, or tells the reason.
      const rest = Buffer.concat(buffers).subarray(written);
      written += await this.writev(fh, [rest], rest.length);
      if (written === total) return;
    } catch (err) {
      cause = err;
    }
    // Nothing of the refused append stays: the file ends where it ended before.
    const cut = await fh.stat().then(({ size }) => fh.truncate(size - written)).then(
      () => '',
      (err: unknown) => `; cutting the partial write off failed too: ${(err as Error).message}`,
    );
    const why = cause instanceof Error ? cause.message : `${written} of ${total} bytes written`;
    throw new StoreError(`cannot append to ${what}: ${why}${cut}`, { cause });
  }

  private direct(bytes: number): boolean {
    return this.enabled && bytes <= DIRECT_MAX && this.now() >= this.pooledUntil;
  }

  private timed(t0: number): void {
    const now = this.now();
    if (now - t0 <= SLOW_WRITE_MS) return;
    this.pooledUntil = now + POOLED_FOR_MS;
    this.onSlow(now - t0);
  }
}

/** The log line for a stalled direct write (a warning: the disk or filesystem is slow). */
export function stallWarning(log: Logger | undefined): (ms: number) => void {
  return (ms) =>
    log?.warn({ ms: Math.round(ms), pooledForMs: POOLED_FOR_MS }, 'a recording write stalled the event loop; appends go through the thread pool for a while');
}
