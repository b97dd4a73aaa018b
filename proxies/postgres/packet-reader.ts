/**
 * Reads the start of a PostgreSQL connection, before the relay takes over:
 * the client's untyped first packets, single bytes (a server's answer to
 * SSLRequest), and typed messages during authentication.
 *
 * Invariants:
 * - a message longer than `maxMessage` is a ProtocolError (handshake
 *   messages are small; PostgreSQL itself caps them near 10 000 bytes);
 * - a peer that closes, errs, or stays silent past `timeoutMs` rejects the
 *   pending read with a clear error and every later read fails the same way;
 * - `release()` hands back the bytes read past the last packet, exactly once,
 *   and leaves the socket paused with no listener of ours attached.
 */
import type { Duplex } from 'node:stream';
import { GatewayError, ProtocolError } from '../../src/errors.js';
import { frameStartupPacket } from './protocol/framer.js';
import { messageName } from './protocol/message-types.js';
import type { Side } from './protocol/wire.js';

export const HANDSHAKE_TIMEOUT_MS = 30_000;

export interface TypedMessage {
  type: number;
  body: Buffer;
}

export class PeerClosedError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_PROTOCOL', message, options);
  }
}

export class PacketReader {
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
    private readonly side: Side,
    private readonly peer: string,
    private readonly maxMessage = 16_384,
    timeoutMs = HANDSHAKE_TIMEOUT_MS,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    this.timer = setTimeout(() => this.stop(new PeerClosedError(`the ${peer} sent nothing for ${Math.round(timeoutMs / 1000)} s during the handshake`)), timeoutMs);
    this.timer.unref();
  }

  /** The client's next untyped packet (SSLRequest, GSSENCRequest, CancelRequest or StartupMessage). */
  startupPacket(): Promise<Buffer> {
    return this.read(() => {
      const packet = frameStartupPacket(this.buffered);
      if (packet === null) return undefined;
      this.buffered = this.buffered.subarray(packet.length);
      return Buffer.from(packet);
    });
  }

  /** One byte (the answer to SSLRequest). */
  byte(): Promise<number> {
    return this.read(() => {
      if (this.buffered.length === 0) return undefined;
      const b = this.buffered[0]!;
      this.buffered = this.buffered.subarray(1);
      return b;
    });
  }

  /** The next typed message, its body copied out of the stream. */
  message(): Promise<TypedMessage> {
    return this.read(() => {
      if (this.buffered.length < 5) return undefined;
      const type = this.buffered[0]!;
      const length = this.buffered.readUInt32BE(1);
      if (length < 4 || length > this.maxMessage) {
        throw new ProtocolError(['postgres', this.side], `${messageName(this.side, type)} message length ${length} is out of bounds during the handshake (4 to ${this.maxMessage})`);
      }
      if (this.buffered.length < 1 + length) return undefined;
      const body = Buffer.from(this.buffered.subarray(5, 1 + length));
      this.buffered = this.buffered.subarray(1 + length);
      return { type, body };
    });
  }

  /** Bytes received past the last packet read; true when some are buffered. */
  get pending(): boolean {
    return this.buffered.length > 0;
  }

  /** Stops reading and returns what was received past the last packet. */
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

  private async read<T>(take: () => T | undefined): Promise<T> {
    for (;;) {
      const value = take();
      if (value !== undefined) {
        if (this.buffered.length === 0) this.socket.pause();
        return value;
      }
      if (this.failure) throw this.failure;
      this.socket.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
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
