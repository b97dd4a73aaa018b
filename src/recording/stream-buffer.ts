/**
 * Frames waiting to be sealed for one stream. Frames are encoded straight
 * into a reusable buffer; `take()` hands out the chunk plaintext and starts over.
 * The buffer starts small and grows with use, so an idle session's streams
 * cost a few KiB, not a chunk each.
 */
import { encodeFrameInto, frameSize, FrameKind, writeVarint } from './frames.js';

/** kind (1) + two varints of at most 8 bytes each. */
const MAX_FRAME_HEADER = 17;
const INITIAL_CAPACITY = 1024;

export class StreamBuffer {
  private buf: Buffer;
  private length = 0;

  constructor(readonly chunkSize: number) {
    this.buf = Buffer.alloc(Math.min(INITIAL_CAPACITY, chunkSize));
  }

  get size(): number {
    return this.length;
  }

  /** Payload bytes the next frame may carry without the chunk passing `chunkSize` (may be <= 0). */
  free(): number {
    return this.chunkSize - this.length - MAX_FRAME_HEADER;
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

  /** The pending plaintext (a view valid until the next append) and reset. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.length);
    this.length = 0;
    return out;
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
