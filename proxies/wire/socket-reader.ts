/**
 * Reads the start of a connection, before a relay takes over: whole units
 * (packets, messages, single bytes) cut from what a socket has sent, each
 * by a parse function the protocol supplies.
 *
 * Invariants:
 * - a peer that closes, errs, or stays silent past `timeoutMs` rejects the
 *   pending read with a clear error and every later read fails the same way;
 * - bytes that complete a unit are handed out even when the peer closed
 *   right after sending them;
 * - `release()` hands back the bytes read past the last unit, exactly once,
 *   and leaves the socket paused with no listener of ours attached.
 */
import type { Duplex } from 'node:stream';
import { GatewayError } from '../../src/errors.js';

export const HANDSHAKE_TIMEOUT_MS = 30_000;

export class PeerClosedError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_PROTOCOL', message, options);
  }
}

/** What a parse function found at the start of the buffered bytes; undefined means "not all there yet". */
export type Parsed<T> = { value: T; used: number } | undefined;

export class SocketReader {
  private buffered: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.poke();
  };
  private readonly onEnd = (): void => this.stop(new PeerClosedError(`the ${this.peer} closed the connection`));
  private readonly onError = (err: Error): void => this.stop(new PeerClosedError(`the ${this.peer} connection failed: ${err.message}`, { cause: err }));

  constructor(
    private readonly socket: Duplex,
    protected readonly peer: string,
    timeoutMs = HANDSHAKE_TIMEOUT_MS,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    this.timer = setTimeout(() => this.stop(new PeerClosedError(`the ${peer} sent nothing for ${Math.round(timeoutMs / 1000)} s during the handshake`)), timeoutMs);
    this.timer.unref();
  }

  /** The next unit `parse` finds at the start of the buffered bytes (it may throw to refuse them). */
  async next<T>(parse: (buffered: Buffer) => Parsed<T>): Promise<T> {
    for (;;) {
      const found = parse(this.buffered);
      if (found !== undefined) {
        this.buffered = this.buffered.subarray(found.used);
        if (this.buffered.length === 0) this.socket.pause();
        return found.value;
      }
      if (this.failure) throw this.failure;
      this.socket.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** One byte (a server's answer to a TLS request). */
  byte(): Promise<number> {
    return this.next((b) => (b.length === 0 ? undefined : { value: b[0]!, used: 1 }));
  }

  /** True when bytes past the last unit read are buffered. */
  get pending(): boolean {
    return this.buffered.length > 0;
  }

  /** Stops reading and returns what was received past the last unit. */
  release(): Buffer {
    clearTimeout(this.timer);
    this.socket.pause();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    this.failure ??= new PeerClosedError('the handshake reader was released');
    return rest;
  }

  private stop(err: Error): void {
    clearTimeout(this.timer);
    this.failure ??= err;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
