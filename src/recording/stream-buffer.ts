/**
 * Frames waiting to be sealed for one stream. Frames are encoded straight
 * into a reusable buffer; `take()` hands out the chunk plaintext and starts over.
 * The buffer starts small and grows with use, so an idle session's streams
 * cost a few KiB, not a chunk each.
 *
 * A chunk ends at `chunkSize` while the stream is quiet. A busy stream's chunks
 * grow: each chunk that fills up doubles the next one's size, up to
 * BUSY_CHUNK_FACTOR times chunkSize, and each one a flush takes before it fills
 * halves it again, down to chunkSize. Every chunk costs a seal, a digest and a
 * store write of its own (on libuv's pool: a thread's wake-up and the loop's),
 * whatever its size; a database session recording result sets fills 64 KiB
 * chunks dozens of times a second. A busy stream still holds at most
 * BUSY_CHUNK_FACTOR chunks' worth, and a quiet stream's chunks, sealed by the
 * flush interval, are as before.
 */
import { utf8Write } from '../node-buffer.js';
import { encodeFrameInto, frameSize, FrameKind, varintLength, writeVarint } from './frames.js';

/** kind (1) + two varints of at most 8 bytes each. */
const MAX_FRAME_HEADER = 17;
const INITIAL_CAPACITY = 1024;

/** A busy stream's chunks grow to this many times chunkSize. */
export const BUSY_CHUNK_FACTOR = 4;

export class StreamBuffer {
  private buf: Buffer;
  private length = 0;
  /** Where the chunk under way ends: chunkSize times a power of two, at most BUSY_CHUNK_FACTOR. */
  private limit: number;

  constructor(readonly chunkSize: number) {
    this.buf = Buffer.alloc(Math.min(INITIAL_CAPACITY, chunkSize));
    this.limit = chunkSize;
  }

  /** The size of the chunk under way: chunkSize, or more while the stream is busy. */
  get chunkLimit(): number {
    return this.limit;
  }

  get size(): number {
    return this.length;
  }

  /** Payload bytes the next frame may carry without the chunk passing its size, `chunkLimit` (may be <= 0). */
  free(): number {
    return this.limit - this.length - MAX_FRAME_HEADER;
  }

  append(kind: FrameKind, t: number, payload: Uint8Array): void {
    this.reserve(frameSize(t, payload.length));
    this.length = encodeFrameInto(this.buf, this.length, kind, t, payload);
  }

  /**
   * A frame whose payload is `text` as UTF-8, `bytes` long (its
   * Buffer.byteLength), encoded in place: no intermediate copy of the payload.
   */
  appendText(kind: FrameKind, t: number, text: string, bytes: number): void {
    this.reserve(frameSize(t, bytes));
    let offset = this.length;
    this.buf[offset++] = kind;
    offset = writeVarint(this.buf, offset, t);
    offset = writeVarint(this.buf, offset, bytes);
    // UTF-8 as long as the string means ASCII only (anything else takes more bytes than code
    // units), whose latin1 bytes are the same: that encoder is the faster one.
    this.length = offset + (bytes === text.length ? this.buf.write(text, offset, bytes, 'latin1') : this.buf.write(text, offset, bytes));
  }

  /**
   * A frame whose payload is `text` as UTF-8, encoded in place without measuring it first,
   * when it surely fits the chunk under way (UTF-8 takes at most 3 bytes per UTF-16 code unit)
   * and `max`: its payload length, or -1 and nothing written when it might not fit (the caller
   * measures it, and seals first if need be). The length's varint is written for the text's
   * length in code units, the UTF-8 length for ASCII, and the payload moved on when longer.
   */
  appendTextIfRoom(kind: FrameKind, t: number, text: string, max = Infinity): number {
    const most = 3 * text.length;
    if (most > this.free() || most > max) return -1;
    this.reserve(frameSize(t, most));
    let offset = this.length;
    this.buf[offset++] = kind;
    offset = writeVarint(this.buf, offset, t);
    const guess = varintLength(text.length);
    const bytes = utf8Write(this.buf, text, offset + guess);
    const size = varintLength(bytes);
    if (size !== guess) this.buf.copyWithin(offset + size, offset + guess, offset + guess + bytes);
    writeVarint(this.buf, offset, bytes);
    this.length = offset + size + bytes;
    return bytes;
  }

  /**
   * The pending plaintext (a view valid until the next append) and reset. `filled`: the chunk
   * is taken because it is full (the next chunk may be larger), not by a flush (it may be smaller).
   */
  take(filled: boolean): Uint8Array {
    const out = this.buf.subarray(0, this.length);
    this.length = 0;
    if (filled) {
      this.limit = Math.min(this.limit * 2, this.chunkSize * BUSY_CHUNK_FACTOR);
    } else {
      this.limit = Math.max(this.limit / 2, this.chunkSize);
      // A burst's buffer is given back as the stream quietens: a session busy once and idle
      // since holds what a chunk needs, not four times it (the view handed out keeps the old).
      if (this.buf.length > this.limit * 2) this.buf = Buffer.alloc(this.limit);
    }
    return out;
  }

  /** Bytes of memory the buffer holds. */
  get held(): number {
    return this.buf.length;
  }

  /** Room for `frame` more bytes, growing the buffer (kept bytes and all) when needed. */
  private reserve(frame: number): void {
    const need = this.length + frame;
    if (need <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(need, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}
