/**
 * Cuts one direction of a PostgreSQL protocol v3 connection into messages
 * (PostgreSQL documentation, "Frontend/Backend Protocol", sections "Messaging
 * Overview" and "Message Formats"):
 *
 *   message := type:Byte1 | length:Int32 (counts itself, not the type) | body
 *
 * The framer watches bytes the proxy relays anyway, so it is built to cost
 * next to nothing for messages nobody looks at:
 * - the sink is asked once per message header whether it wants the body;
 *   an unwanted body is stepped over by counting, across any number of
 *   chunks, with no copy and no allocation;
 * - a wanted body that lies inside one chunk is offered to the sink where it
 *   lies (messageAt), else handed over as a subarray of that chunk; only a
 *   body split across chunks is copied together;
 * - a message whose header and body lie whole in the chunk (every message of
 *   most statements) is asked about and handed over or reported skipped in
 *   one step (wholeAt), without the state kept for messages split across
 *   chunks;
 * - a wanted body longer than maxBuffered is handed over cut to its first
 *   maxBuffered bytes with `truncated` set; the rest is stepped over;
 * - a sink that will refuse every message of a type until one of another
 *   type comes (DataRows past a result's row cap, COPY data) says so with
 *   `skipsRun`: the framer then steps over such messages lying whole in a
 *   chunk in a tight loop, header by header, without asking, and counts them
 *   into one `skippedRun` call (a million rows cost a few hundred calls).
 *
 * Invariants:
 * - every message gets exactly one callback, `message` or `skipped`, when
 *   its last byte arrives, in stream order, except messages of a run the
 *   sink asked to skip, which are counted into a `skippedRun` call made
 *   before the next callback of any other kind and before push returns;
 * - a sink that throws does not cost the stream its framing: the framer
 *   goes on through the chunk (a `wants` that threw counts as false) and
 *   rethrows the first such error when the chunk is done;
 * - a length field below 4 or above maxLength, or (from a client) a type
 *   byte the protocol does not define, is a ProtocolError; after one, the
 *   stream has lost sync and every later push throws the same error;
 * - bodies handed over are never reused by the framer; a sink that keeps
 *   one long should copy it, since a subarray pins its whole chunk.
 */
import type { ProtocolError } from '../../../src/errors.js';
import { isFrontendType, messageName } from './message-types.js';
import { startupPacketLength } from './startup.js';
import { protocolError, type Side } from './wire.js';

/** PostgreSQL's PQ_LARGE_MESSAGE_LIMIT (MaxAllocSize - 1): the largest length field it accepts. */
export const MAX_MESSAGE_LENGTH = 0x3fff_fffe;
export const DEFAULT_MAX_BUFFERED = 1024 * 1024;

export interface FrameSink {
  /** Asked once at each message header; `bodyLength` is the length field minus 4. */
  wants(type: number, bodyLength: number): boolean;
  /**
   * A wanted message. `totalLength` is the body's full length; when
   * `truncated`, `body` holds only its first maxBuffered bytes.
   */
  message(type: number, body: Buffer, totalLength: number, truncated: boolean): void;
  /**
   * A wanted message whose whole (non-empty) body lies in the chunk being pushed, at `bytes[start, end)`,
   * offered to be read where it lies: true when the sink did, false to have it through `message`
   * as a Buffer of its own. Making that Buffer (a view of the chunk) costs more than reading the
   * few bytes of a small message; a sink that keeps part of `bytes` should copy it.
   */
  messageAt?(type: number, bytes: Buffer, start: number, end: number): boolean;
  /** An unwanted message, once its last byte has gone by. */
  skipped?(type: number, bodyLength: number): void;
  /**
   * Asked after `wants` said no: true when the sink will say no to every
   * following message of `type` until one of another type arrives. Those
   * are then reported together to `skippedRun` (which a sink answering
   * true must have), never one by one.
   */
  skipsRun?(type: number): boolean;
  /** `count` unwanted messages of `type`, `bodyBytes` bodies in all, gone by back to back. */
  skippedRun?(type: number, count: number, bodyBytes: number): void;
}

export interface FramerOptions {
  side: Side;
  /** Largest length field accepted; defaults to PostgreSQL's own limit. */
  maxLength?: number;
  /** Largest body ever held for a sink; longer wanted bodies are cut. */
  maxBuffered?: number;
}

const EMPTY = Buffer.alloc(0);

export class MessageFramer {
  private readonly side: Side;
  private readonly maxLength: number;
  private readonly maxBuffered: number;
  private failure: ProtocolError | null = null;
  /** The first error a sink threw during the current push. */
  private sinkError: { error: unknown } | null = null;

  /** Header bytes seen of the message under way (0 to 5; 5 means in its body). */
  private headerFill = 0;
  private type = 0;
  /** The length field, while its bytes come in. */
  private length = 0;
  private bodyLength = 0;
  /** Body bytes not seen yet. */
  private remaining = 0;
  private wanted = false;
  /** Body bytes to hand over: min(bodyLength, maxBuffered) if wanted, else 0. */
  private keep = 0;
  /** The kept bytes: a subarray of one chunk, or a copy being filled. */
  private kept: Buffer | null = null;
  private keptFill = 0;
  /** The type whose messages the sink skips as a run (-1: none), and the run counted so far in this push. */
  private runType = -1;
  private runCount = 0;
  private runBytes = 0;

  constructor(options: FramerOptions) {
    this.side = options.side;
    this.maxLength = options.maxLength ?? MAX_MESSAGE_LENGTH;
    this.maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  }

  /** True when no part of a message is held: the stream ended on a message boundary. */
  get idle(): boolean {
    return this.headerFill === 0;
  }

  /**
   * Bytes still to come before the next message boundary: 0 when idle, null
   * while a header is incomplete (its length is not known yet). Lets a
   * caller cut a chunk at a boundary, to put messages of its own in between.
   */
  bytesToBoundary(): number | null {
    if (this.headerFill === 0) return 0;
    return this.headerFill < 5 ? null : this.remaining;
  }

  /** Walks `chunk`, calling `sink` for each message completed in it. */
  push(chunk: Buffer, sink: FrameSink): void {
    if (this.failure !== null) throw this.failure;
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (this.headerFill < 5) {
        if (this.headerFill === 0 && end - i >= 5) {
          const type = chunk[i]!;
          const length = ((chunk[i + 1]! << 24) | (chunk[i + 2]! << 16) | (chunk[i + 3]! << 8) | chunk[i + 4]!) >>> 0;
          // A message of the run being skipped, whole in this chunk: counted, nothing else.
          if (type === this.runType && length >= 4 && length <= this.maxLength && end - i - 1 >= length) {
            this.runCount++;
            this.runBytes += length - 4;
            i += 1 + length;
            continue;
          }
          this.endRun(sink, type);
          if (this.wholeAt(sink, chunk, i, type, length)) {
            i += 1 + length;
            continue;
          }
          this.type = type;
          this.length = length;
          i += 5;
        } else {
          this.endRun(sink, this.headerFill === 0 ? chunk[i]! : this.type);
          if (this.headerFill === 0) {
            this.type = chunk[i++]!;
            this.length = 0;
            this.headerFill = 1;
          }
          while (this.headerFill < 5 && i < end) {
            this.length = ((this.length << 8) | chunk[i++]!) >>> 0;
            this.headerFill++;
          }
          if (this.headerFill < 5) return;
        }
        this.headerFill = 5;
        this.begin(sink);
        if (this.remaining === 0) {
          this.complete(sink);
          continue;
        }
      }
      const available = end - i;
      if (this.keptFill < this.keep) {
        if (this.kept === null && available >= this.keep) {
          if (this.keep === this.remaining && sink.messageAt !== undefined) {
            // The whole body is here: offered where it lies.
            const start = i;
            i += this.keep;
            this.remaining = 0;
            this.completeAt(sink, chunk, start);
            continue;
          }
          this.kept = chunk.subarray(i, i + this.keep);
          this.keptFill = this.keep;
          i += this.keep;
          this.remaining -= this.keep;
        } else {
          this.kept ??= Buffer.allocUnsafe(this.keep);
          const n = Math.min(this.keep - this.keptFill, available);
          chunk.copy(this.kept, this.keptFill, i, i + n);
          this.keptFill += n;
          i += n;
          this.remaining -= n;
        }
      } else {
        const n = Math.min(this.remaining, available);
        i += n;
        this.remaining -= n;
      }
      if (this.remaining === 0) this.complete(sink);
    }
    this.flushRun(sink);
    if (this.sinkError !== null) {
      const { error } = this.sinkError;
      this.sinkError = null;
      throw error;
    }
  }

  /** A whole header is in: check it and ask the sink about the body. */
  private begin(sink: FrameSink): void {
    const { type, length } = this;
    if (this.side === 'frontend' && !isFrontendType(type)) this.fail(`unknown message ${messageName(this.side, type)}`);
    if (length < 4) this.fail(`${messageName(this.side, type)} message length ${length} is below 4`);
    if (length > this.maxLength) {
      this.fail(`${messageName(this.side, type)} message length ${length} exceeds the limit of ${this.maxLength}`);
    }
    this.bodyLength = length - 4;
    this.remaining = this.bodyLength;
    this.wanted = false;
    this.keep = 0;
    this.kept = null;
    this.keptFill = 0;
    this.wanted = this.wants(sink, type, this.bodyLength);
    if (this.wanted) this.keep = Math.min(this.bodyLength, this.maxBuffered);
    else this.askRun(sink, type);
  }

  /**
   * The message whose header is at `chunk[i]`, with length field `length`, when its body lies
   * whole in the chunk, is not empty and not longer than maxBuffered, and its header is valid:
   * asked about and handed over (or reported skipped) at once, as begin() and complete() would,
   * without the state they keep for bodies split across chunks. False, having done nothing,
   * for any other message.
   */
  private wholeAt(sink: FrameSink, chunk: Buffer, i: number, type: number, length: number): boolean {
    const bodyLength = length - 4;
    if (bodyLength <= 0 || length > this.maxLength || bodyLength > this.maxBuffered || chunk.length - i - 1 < length) return false;
    if (this.side === 'frontend' && !isFrontendType(type)) return false;
    const wanted = this.wants(sink, type, bodyLength);
    if (!wanted) this.askRun(sink, type);
    const start = i + 5;
    try {
      if (!wanted) sink.skipped?.(type, bodyLength);
      else if (sink.messageAt?.(type, chunk, start, start + bodyLength) !== true) sink.message(type, chunk.subarray(start, start + bodyLength), bodyLength, false);
    } catch (error) {
      this.sinkError ??= { error };
    }
    return true;
  }

  /** The sink's `wants`; false when it threw. */
  private wants(sink: FrameSink, type: number, bodyLength: number): boolean {
    try {
      return sink.wants(type, bodyLength);
    } catch (error) {
      this.sinkError ??= { error };
      return false;
    }
  }

  /** After a message of `type` is not wanted: whether the sink skips a run of that type from here. */
  private askRun(sink: FrameSink, type: number): void {
    if (this.runType === type || sink.skippedRun === undefined || this.sinkError !== null) return;
    try {
      if (sink.skipsRun?.(type) === true) this.runType = type;
    } catch (error) {
      this.sinkError ??= { error };
    }
  }

  /**
   * A message of `type` takes the ordinary path: what the run counted so far is
   * reported first, and a message of another type ends the run.
   */
  private endRun(sink: FrameSink, type: number): void {
    if (this.runType === -1) return;
    this.flushRun(sink);
    if (type !== this.runType) this.runType = -1;
  }

  /** Reports the messages of the run counted so far (the run itself may go on in the next push). */
  private flushRun(sink: FrameSink): void {
    if (this.runCount === 0) return;
    const count = this.runCount;
    const bytes = this.runBytes;
    this.runCount = 0;
    this.runBytes = 0;
    try {
      sink.skippedRun!(this.runType, count, bytes);
    } catch (error) {
      this.sinkError ??= { error };
    }
  }

  /** The message's last byte went by: settle state, then tell the sink. */
  private complete(sink: FrameSink): void {
    const { type, bodyLength } = this;
    this.headerFill = 0;
    try {
      if (this.wanted) {
        const body = this.kept ?? EMPTY;
        this.kept = null;
        sink.message(type, body, bodyLength, this.keep < bodyLength);
      } else {
        sink.skipped?.(type, bodyLength);
      }
    } catch (error) {
      this.sinkError ??= { error };
    }
  }

  /** complete() for a wanted body whole in `chunk` from `start`: offered in place first. */
  private completeAt(sink: FrameSink, chunk: Buffer, start: number): void {
    const { type, bodyLength } = this;
    this.headerFill = 0;
    try {
      if (!sink.messageAt!(type, chunk, start, start + bodyLength)) sink.message(type, chunk.subarray(start, start + bodyLength), bodyLength, false);
    } catch (error) {
      this.sinkError ??= { error };
    }
  }

  private fail(message: string): never {
    this.sinkError = null;
    this.failure = protocolError(this.side, message);
    throw this.failure;
  }
}

/**
 * The client's first packet (SSLRequest, GSSENCRequest, CancelRequest or
 * StartupMessage, which have no type byte) at the start of `buffered`, as a
 * subarray; null until all of it has arrived. Throws ProtocolError for a
 * length PostgreSQL would refuse. Parse it with startup.ts's
 * parseStartupPacket; the bytes after it belong to what follows (after
 * SSLRequest, the TLS handshake; after StartupMessage, typed messages).
 */
export function frameStartupPacket(buffered: Buffer): Buffer | null {
  const length = startupPacketLength(buffered);
  if (length === null || buffered.length < length) return null;
  return buffered.subarray(0, length);
}
