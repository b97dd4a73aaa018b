/**
 * Frames waiting to be sealed for one stream. Frames are encoded straight
 * into a reusable buffer; `take()` hands out the chunk plaintext and starts over.
 * The buffer starts small and grows with use, so an idle session's streams
 * cost a few KiB, not a chunk each.
 */
import { encodeFrameInto, frameSize, FrameKind } from './frames.js';

/** kind (1) + two varints of at most 8 bytes each. */
const MAX_FRAME_HEADER = 17;
const INITIAL_CAPACITY = 1024;

export class StreamBuffer {
  private buf: Uint8Array;
  private length = 0;

  constructor(readonly chunkSize: number) {
    this.buf = new Uint8Array(Math.min(INITIAL_CAPACITY, chunkSize));
  }

  get size(): number {
    return this.length;
  }

  /** Payload bytes the next frame may carry without the chunk passing `chunkSize` (may be <= 0). */
  free(): number {
    return this.chunkSize - this.length - MAX_FRAME_HEADER;
  }

  append(kind: FrameKind, t: number, payload: Uint8Array): void {
    const need = this.length + frameSize(t, payload.length);
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.length = encodeFrameInto(this.buf, this.length, kind, t, payload);
  }

  /** The pending plaintext (a view valid until the next append) and reset. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.length);
    this.length = 0;
    return out;
  }
}
