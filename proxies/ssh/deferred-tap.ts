/**
 * Forward first, record second, for a whole turn of the event loop. The
 * relay writes a channel's bytes to the other side as they come; its sockets
 * send what was written in a turn on the next tick (coalesce.ts), which
 * comes only after the handler that wrote them returns. Recorded inside that
 * handler, a keystroke reached the target, and its echo the person, only
 * once the recorder and the terminal observer were done with it: twice a
 * round trip. Here the bytes are queued with the time they were relayed and
 * handed to the channel's tap once the turn's I/O callbacks are done
 * (observe-later.ts, the scheduler the database relays use), after the
 * writes have gone out. The recorder's work per byte is unchanged; only when
 * it runs in the turn is.
 *
 * Invariants:
 * - the tap gets every byte in the order relayed, each chunk with its time;
 * - whatever else the channel records (a resize, the exit, a violation, a
 *   message of the gateway's own, the session's end) calls `flush()` first,
 *   so the recording's order is the order things happened;
 * - nothing waits after `end()`; `afterFlush` runs after each flush that
 *   handed anything over (the relay checks the recorder's backpressure there);
 * - a tap that throws from the scheduler's pass is reported to `failed`, not
 *   thrown into the event loop.
 */
import { observeLater, type Observable } from '../wire/observe-later.js';
import type { ChannelTap } from './taps.js';

interface Relayed {
  fromClient: boolean;
  data: Uint8Array;
  /** When it was relayed, on the session's clock. */
  t: number;
}

export class DeferredTap implements ChannelTap, Observable {
  awaitingObservation = false;
  private pending: Relayed[] = [];

  constructor(
    private readonly tap: ChannelTap,
    /** The session's clock (Session.now). */
    private readonly now: () => number,
    private readonly afterFlush: () => void,
    private readonly failed: (err: unknown) => void,
  ) {}

  fromTarget(data: Uint8Array): void {
    this.queue(false, data);
  }

  fromClient(data: Uint8Array): void {
    this.queue(true, data);
  }

  resize(cols: number, rows: number): void {
    this.flush();
    this.tap.resize(cols, rows);
  }

  settle(): void {
    this.flush();
    this.tap.settle();
  }

  end(): void {
    this.flush();
    this.tap.end();
  }

  /** Hands every queued chunk to the tap, in order. */
  flush(): void {
    if (this.pending.length === 0) return;
    // A tap's callbacks may end the channel (a broken observer), which flushes again: take the
    // queue first so that no chunk is handed over twice.
    const chunks = this.pending;
    this.pending = [];
    for (const c of chunks) {
      if (c.fromClient) this.tap.fromClient(c.data, c.t);
      else this.tap.fromTarget(c.data, c.t);
    }
    this.afterFlush();
  }

  observePending(): void {
    try {
      this.flush();
    } catch (err) {
      this.failed(err);
    }
  }

  private queue(fromClient: boolean, data: Uint8Array): void {
    this.pending.push({ fromClient, data, t: this.now() });
    observeLater(this);
  }
}
