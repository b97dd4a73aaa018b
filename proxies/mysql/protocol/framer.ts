/**
 * Cuts one direction of a MySQL/MariaDB client/server connection into
 * messages (MySQL Source Code Documentation, "Client/Server Protocol",
 * section "MySQL Packets"; MariaDB Knowledge Base, "0 - Packet"):
 *
 *   packet  := payload length:int<3> | sequence id:int<1> | payload
 *   message := packet* (each with a payload of exactly 0xFFFFFF bytes)
 *              | packet (shorter than 0xFFFFFF, possibly empty)
 *
 * A payload of 0xFFFFFF bytes or more is sent as several packets, each
 * 0xFFFFFF bytes but the last, whose sequence ids count up by one; the
 * logical message is their payloads put together.
 *
 * The framer watches bytes the proxy relays anyway, so it is built to cost
 * next to nothing for messages nobody looks at:
 * - the sink is asked once per message, when the first packet's header and
 *   the payload's first byte (which says what the packet is) have arrived;
 *   an unwanted message is stepped over by counting, across any number of
 *   chunks and packets, with no copy and no allocation;
 * - a wanted one-packet payload that lies inside one chunk is offered to
 *   the sink where it lies (messageAt), else handed over as a subarray of
 *   that chunk; only a payload split across chunks or packets is copied
 *   together;
 * - a one-packet message whose header and payload lie whole in the chunk
 *   (every message of most statements) is asked about and handed over or
 *   reported skipped in one step (wholeAt), without the header, first-byte
 *   and payload phases that messages split across chunks go through;
 * - a wanted payload longer than maxBuffered is handed over cut to its
 *   first maxBuffered bytes with `truncated` set; the rest is stepped over;
 * - a sink with `rowAt` is offered, after a wanted message, each following
 *   message that could be a row of a result set (a one-packet message whole
 *   in the chunk, as below) straight away, without the steps of the ordinary
 *   path, until it declines one;
 * - a sink that will refuse every following row of a result set (rows past
 *   the transcript's cap) says so with `skipsRun`: the framer then steps
 *   over one-packet messages lying whole in a chunk, with sequence ids that
 *   follow on and a first byte that is not 0xFE or 0xFF (which start EOF,
 *   OK and ERR packets, never a one-packet row), in a tight loop without
 *   asking, and counts them into one `skippedRun` call. Anything else ends
 *   the run and takes the ordinary path.
 *
 * Invariants:
 * - every message gets exactly one callback, `message` or `skipped` (or a
 *   `messageAt` or `rowAt` that read it), when its last byte arrives, in
 *   stream order, except messages of a run the
 *   sink asked to skip, which are counted into a `skippedRun` call made
 *   before the next callback of any other kind and before push returns;
 * - a sink that throws does not cost the stream its framing: the framer
 *   goes on through the chunk (a `wants` that threw counts as false) and
 *   rethrows the first such error when the chunk is done;
 * - a continuation packet whose sequence id does not follow the previous
 *   one, or a message longer than maxLength, is a ProtocolError; after one,
 *   the stream has lost sync and every later push throws the same error.
 *   Sequence ids between messages follow the command phase (they restart at
 *   0 with each command) and are the caller's to check;
 * - payloads handed over are never reused by the framer; a sink that keeps
 *   one long should copy it, since a subarray pins its whole chunk.
 */
import type { ProtocolError } from '../../../src/errors.js';
import type { PacketSink } from './packet-sink.js';
import { protocolError, type Side } from './wire.js';
import { MAX_PACKET_PAYLOAD } from './write-packet.js';

export type { PacketSink } from './packet-sink.js';
export { MAX_PACKET_PAYLOAD, packetCount, writePacket } from './write-packet.js';

/** MySQL's and MariaDB's largest max_allowed_packet (1 GiB): no longer message is ever accepted. */
export const MAX_MESSAGE_LENGTH = 1024 * 1024 * 1024;
export const DEFAULT_MAX_BUFFERED = 1024 * 1024;

export interface PacketFramerOptions {
  side: Side;
  /** Longest message accepted; defaults to 1 GiB. */
  maxLength?: number;
  /** Largest payload ever held for a sink; longer wanted payloads are cut. */
  maxBuffered?: number;
}

const EMPTY = Buffer.alloc(0);

const enum Phase {
  /** Reading a packet header (headerFill bytes of it so far). */
  Header,
  /** The first packet's header is in; its first payload byte is not. */
  FirstByte,
  /** Inside a packet's payload. */
  Payload,
}

export class PacketFramer {
  private readonly side: Side;
  private readonly maxLength: number;
  private readonly maxBuffered: number;
  private failure: ProtocolError | null = null;
  /** The first error a sink threw during the current push. */
  private sinkError: { error: unknown } | null = null;

  private phase = Phase.Header;
  private headerFill = 0;
  private packetLength = 0;
  private seq = 0;
  private lastSeq = -1;
  /** Payload bytes of the current packet not seen yet. */
  private remaining = 0;

  /** A message under way has had at least one full (0xFFFFFF) packet. */
  private continuing = false;
  private firstByte = -1;
  private firstSeq = 0;
  private packets = 0;
  private total = 0;
  private wanted = false;
  /** Bytes of the message that may still be kept (maxBuffered less those kept). */
  private keepLeft = 0;
  /** Bytes to keep from the current packet, and how many are kept so far. */
  private packetKeep = 0;
  private packetKept = 0;
  /** A copy being filled, for a packet's kept bytes that span chunks. */
  private packetCopy: Buffer | null = null;
  /** The first kept piece of the message, and any later ones (the array is reused). */
  private firstPart: Buffer | null = null;
  private readonly moreParts: Buffer[] = [];
  private keptLength = 0;
  /** The last message was wanted: the next ones that could be rows are offered to rowAt until it declines one. */
  private taking = false;
  /** The sink skips a run of rows; what the run counted in this push. */
  private inRun = false;
  private runCount = 0;
  private runBytes = 0;

  constructor(options: PacketFramerOptions) {
    this.side = options.side;
    this.maxLength = options.maxLength ?? MAX_MESSAGE_LENGTH;
    this.maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  }

  /** True when no part of a message is held: the stream is on a message boundary. */
  get idle(): boolean {
    return this.phase === Phase.Header && this.headerFill === 0 && !this.continuing;
  }

  /** The sequence id of the last packet whose header was read; -1 before any. */
  get lastSequenceId(): number {
    return this.lastSeq;
  }

  /**
   * How many bytes can be passed on without crossing a message boundary: 0
   * when idle, else at least 1 (the rest of a header, or of the current
   * packet). Lets a caller cut a chunk at a boundary, to put packets of its
   * own in between: pass that many bytes through the framer, then ask again.
   */
  bytesToBoundary(): number {
    if (this.phase !== Phase.Header) return this.remaining;
    if (this.headerFill === 0 && !this.continuing) return 0;
    return 4 - this.headerFill;
  }

  /** Walks `chunk`, calling `sink` for each message completed in it. */
  push(chunk: Buffer, sink: PacketSink): void {
    if (this.failure !== null) throw this.failure;
    const end = chunk.length;
    let i = 0;
    while (i < end) {
      if (this.phase === Phase.Header) {
        if (this.inRun) {
          // A row of the run being skipped, whole in this chunk: counted, nothing else.
          const length = this.runRowAt(chunk, i, this.maxLength);
          if (length >= 0) {
            this.runCount++;
            this.runBytes += length;
            this.lastSeq = chunk[i + 3]!;
            i += 4 + length;
            continue;
          }
          this.endRun(sink);
        } else if (this.taking) {
          // What could be the next row, whole in this chunk: read where it lies, unless the sink declines it.
          const length = this.runRowAt(chunk, i, this.maxBuffered);
          if (length >= 0 && this.takeRow(sink, chunk, i, length)) {
            i += 4 + length;
            continue;
          }
          this.taking = false;
        }
        if (this.headerFill === 0 && end - i >= 4) {
          const length = chunk[i]! | (chunk[i + 1]! << 8) | (chunk[i + 2]! << 16);
          if (!this.continuing && this.wholeAt(sink, chunk, i, length)) {
            i += 4 + length;
            continue;
          }
          this.packetLength = length;
          this.seq = chunk[i + 3]!;
          i += 4;
        } else {
          while (this.headerFill < 4 && i < end) {
            const b = chunk[i++]!;
            if (this.headerFill === 0) this.packetLength = b;
            else if (this.headerFill < 3) this.packetLength |= b << (8 * this.headerFill);
            else this.seq = b;
            this.headerFill++;
          }
          if (this.headerFill < 4) break;
          this.headerFill = 0;
        }
        this.beginPacket(sink);
        continue;
      }
      if (this.phase === Phase.FirstByte) {
        this.firstByte = chunk[i]!;
        this.ask(sink);
        this.phase = Phase.Payload;
        this.packetKeep = Math.min(this.packetLength, this.keepLeft);
      }
      const available = end - i;
      if (this.packetKept < this.packetKeep) {
        const want = this.packetKeep - this.packetKept;
        if (this.packetCopy === null && this.packetKept === 0 && available >= want) {
          if (want === this.remaining && !this.continuing && want < MAX_PACKET_PAYLOAD && sink.messageAt !== undefined) {
            // The whole message is here, in one packet: offered where it lies.
            const start = i;
            i += want;
            this.remaining = 0;
            this.endPacketAt(sink, chunk, start);
            continue;
          }
          this.keepPart(chunk.subarray(i, i + want));
          this.packetKept = want;
          i += want;
          this.remaining -= want;
        } else {
          this.packetCopy ??= Buffer.allocUnsafe(this.packetKeep);
          const n = Math.min(want, available);
          chunk.copy(this.packetCopy, this.packetKept, i, i + n);
          this.packetKept += n;
          i += n;
          this.remaining -= n;
          if (this.packetKept === this.packetKeep) {
            this.keepPart(this.packetCopy);
            this.packetCopy = null;
          }
        }
      } else {
        const n = Math.min(this.remaining, available);
        i += n;
        this.remaining -= n;
      }
      if (this.remaining === 0) this.endPacket(sink);
    }
    this.flushRun(sink);
    if (this.sinkError !== null) {
      const { error } = this.sinkError;
      this.sinkError = null;
      throw error;
    }
  }

  /**
   * The one-packet message whose header is at `chunk[i]`, `length` payload bytes, when it lies
   * whole in the chunk and is not longer than maxBuffered: asked about and handed over (or
   * reported skipped) at once, as the phases below would, without going through them.
   * False, having done nothing, for any other message.
   */
  private wholeAt(sink: PacketSink, chunk: Buffer, i: number, length: number): boolean {
    if (length === 0 || length >= MAX_PACKET_PAYLOAD || length > this.maxLength || length > this.maxBuffered || chunk.length - i - 4 < length) {
      return false;
    }
    const seq = chunk[i + 3]!;
    const first = chunk[i + 4]!;
    this.lastSeq = seq;
    const wanted = this.wants(sink, first, length, seq);
    this.taking = wanted && sink.rowAt !== undefined;
    if (!wanted) this.askRun(sink, first, length, seq);
    const start = i + 4;
    try {
      if (!wanted) sink.skipped?.(first, length, seq);
      else if (sink.messageAt?.(chunk, start, start + length, seq) !== true) sink.message(chunk.subarray(start, start + length), false, seq, length);
    } catch (error) {
      this.sinkError ??= { error };
    }
    return true;
  }

  private keepPart(part: Buffer): void {
    if (this.firstPart === null) this.firstPart = part;
    else this.moreParts.push(part);
  }

  /** A whole packet header is in: check it, and start the message or go on with it. */
  private beginPacket(sink: PacketSink): void {
    const length = this.packetLength;
    if (this.continuing) {
      const expected = (this.lastSeq + 1) & 0xff;
      if (this.seq !== expected) {
        this.fail(`packet ${this.packets + 1} of a multi-packet message has sequence id ${this.seq}; expected ${expected}`);
      }
      this.packets++;
    } else {
      this.firstSeq = this.seq;
      this.packets = 1;
      this.total = 0;
      this.wanted = false;
      this.keptLength = 0;
    }
    this.lastSeq = this.seq;
    this.total += length;
    if (this.total > this.maxLength) this.fail(`message of more than ${this.maxLength} bytes exceeds the limit`);
    this.remaining = length;
    this.packetKept = 0;
    this.packetCopy = null;
    if (this.continuing) {
      this.packetKeep = Math.min(length, this.keepLeft);
      this.phase = Phase.Payload;
      if (length === 0) this.endPacket(sink);
    } else if (length === 0) {
      this.firstByte = -1;
      this.ask(sink);
      this.packetKeep = 0;
      this.endPacket(sink);
    } else {
      this.phase = Phase.FirstByte;
    }
  }

  private ask(sink: PacketSink): void {
    this.wanted = this.wants(sink, this.firstByte, this.packetLength, this.firstSeq);
    this.keepLeft = this.wanted ? this.maxBuffered : 0;
    this.taking = this.wanted && sink.rowAt !== undefined;
    if (!this.wanted) this.askRun(sink, this.firstByte, this.packetLength, this.firstSeq);
  }

  /** The sink's `wants`; false when it threw. */
  private wants(sink: PacketSink, first: number, length: number, seq: number): boolean {
    try {
      return sink.wants(first, length, seq);
    } catch (error) {
      this.sinkError ??= { error };
      return false;
    }
  }

  /** After a message is not wanted: whether the sink skips a run of rows from here. */
  private askRun(sink: PacketSink, first: number, length: number, seq: number): void {
    if (sink.skippedRun === undefined || this.sinkError !== null) return;
    try {
      this.inRun = sink.skipsRun?.(first, length, seq) === true;
    } catch (error) {
      this.sinkError ??= { error };
    }
  }

  /**
   * The payload length of the packet at `chunk[i]` when it can be the next row of a run: a
   * one-packet message whole in the chunk, not empty nor longer than `limit`, with the next
   * sequence id and a first byte below 0xFE (so not an EOF, OK or ERR packet); else -1.
   */
  private runRowAt(chunk: Buffer, i: number, limit: number): number {
    if (this.headerFill !== 0 || this.continuing || chunk.length - i <= 4) return -1;
    const length = chunk[i]! | (chunk[i + 1]! << 8) | (chunk[i + 2]! << 16);
    if (length === 0 || length >= MAX_PACKET_PAYLOAD || length > this.maxLength || length > limit || chunk.length - i - 4 < length) return -1;
    return chunk[i + 3] === ((this.lastSeq + 1) & 0xff) && chunk[i + 4]! < 0xfe ? length : -1;
  }

  /** Offers the row at `chunk[i]`, `length` payload bytes, to the sink's rowAt: true when it is taken (or rowAt threw). */
  private takeRow(sink: PacketSink, chunk: Buffer, i: number, length: number): boolean {
    const seq = chunk[i + 3]!;
    try {
      if (!sink.rowAt!(chunk, i + 4, i + 4 + length, seq)) return false;
    } catch (error) {
      this.sinkError ??= { error };
    }
    this.lastSeq = seq;
    return true;
  }

  /** A message that is not part of the run: what the run counted is reported, and the run is over. */
  private endRun(sink: PacketSink): void {
    this.flushRun(sink);
    this.inRun = false;
  }

  /** Reports the rows the run counted so far (the run itself may go on in the next push). */
  private flushRun(sink: PacketSink): void {
    if (this.runCount === 0) return;
    const count = this.runCount;
    const bytes = this.runBytes;
    this.runCount = 0;
    this.runBytes = 0;
    try {
      sink.skippedRun!(count, this.lastSeq, bytes);
    } catch (error) {
      this.sinkError ??= { error };
    }
  }

  /** A packet's last byte went by: the message goes on, or is complete. */
  private endPacket(sink: PacketSink): void {
    this.phase = Phase.Header;
    this.keepLeft -= this.packetKeep;
    this.keptLength += this.packetKeep;
    if (this.packetLength === MAX_PACKET_PAYLOAD) {
      this.continuing = true;
      return;
    }
    this.continuing = false;
    try {
      if (this.wanted) {
        let payload = this.firstPart ?? EMPTY;
        this.firstPart = null;
        if (this.moreParts.length > 0) {
          payload = Buffer.concat([payload, ...this.moreParts], this.keptLength);
          this.moreParts.length = 0;
        }
        sink.message(payload, this.keptLength < this.total, this.firstSeq, this.total);
      } else {
        sink.skipped?.(this.firstByte, this.total, this.firstSeq);
      }
    } catch (error) {
      this.sinkError ??= { error };
    }
  }

  /** endPacket() for a wanted one-packet message whole in `chunk` from `start`: offered in place first. */
  private endPacketAt(sink: PacketSink, chunk: Buffer, start: number): void {
    this.phase = Phase.Header;
    const end = start + this.packetLength;
    try {
      if (!sink.messageAt!(chunk, start, end, this.firstSeq)) sink.message(chunk.subarray(start, end), false, this.firstSeq, this.total);
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
