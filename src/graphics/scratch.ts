/**
 * Reusable working memory for bitmap decoding. A bitmap decoded into fresh
 * typed arrays costs an external allocation per tile (V8 keeps typed array
 * bodies above a few dozen bytes off its heap, and enough of them trigger
 * full collections): a live relay that keeps a screen model decodes a tile
 * per 64×64 update. A player that copies each decoded bitmap into its
 * framebuffer at once decodes into one Scratch instead; what a decoder
 * returns from it is valid until the next decode with the same Scratch.
 *
 * Buffers grow to the largest bitmap seen (bitmap sizes are bounded by
 * pixels.ts' checkSize before anything is allocated) and never shrink.
 */
export class Scratch {
  private rgbaBuf = new Uint8Array(0);
  private valueBuf = new Uint32Array(0);
  private readonly planeBufs: Uint8Array[] = [];

  /** `pixels × 4` bytes for RGBA output, on a 4-byte aligned buffer (word stores are safe). */
  rgba(pixels: number): Uint8Array {
    if (this.rgbaBuf.length < pixels * 4) this.rgbaBuf = new Uint8Array(grow(this.rgbaBuf.length, pixels * 4));
    return this.rgbaBuf.subarray(0, pixels * 4);
  }

  /** `pixels` 32-bit pixel values, zeroed. */
  values(pixels: number): Uint32Array {
    if (this.valueBuf.length < pixels) this.valueBuf = new Uint32Array(grow(this.valueBuf.length, pixels));
    const view = this.valueBuf.subarray(0, pixels);
    view.fill(0);
    return view;
  }

  /** Plane number `index` (0..3) of `bytes` bytes, zeroed. */
  plane(index: number, bytes: number): Uint8Array {
    let buf = this.planeBufs[index];
    if (buf === undefined || buf.length < bytes) this.planeBufs[index] = buf = new Uint8Array(grow(buf?.length ?? 0, bytes));
    const view = buf.subarray(0, bytes);
    view.fill(0);
    return view;
  }
}

function grow(have: number, need: number): number {
  return Math.max(need, Math.min(have * 2, need * 4));
}
