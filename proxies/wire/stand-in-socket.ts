/**
 * A stand-in for a relayed socket, for driving DatabaseRelay without a
 * network: its reads are the caller's `emit('data', chunk)` (several in one
 * turn of the event loop if need be), and what the relay writes to it is
 * counted and, with `keep`, kept. Used by the relay's tests and by
 * bench/record-path.ts; never by the gateway.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

export class StandInSocket extends EventEmitter {
  /** Bytes written to it, `end()`'s last ones included. */
  written = 0;
  /** What was written, in order, when kept. */
  readonly writes: Buffer[] = [];
  destroyed = false;
  /** While true, write() says the socket's buffer is full (it still takes the bytes); emit 'drain' after. */
  full = false;
  private paused = false;

  constructor(private readonly keep = false) {
    super();
  }

  /** As the relay's side: the relay takes a net.Socket and uses only what this class has. */
  get asSocket(): Socket {
    return this as unknown as Socket;
  }

  /** Everything kept, as one buffer. */
  get received(): Buffer {
    return Buffer.concat(this.writes);
  }

  write(b: Uint8Array): boolean {
    this.written += b.length;
    if (this.keep) this.writes.push(Buffer.from(b));
    return !this.full;
  }

  isPaused(): boolean {
    return this.paused;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    return this;
  }

  end(last?: Uint8Array): this {
    if (last) this.write(last);
    this.destroyed = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }
}
