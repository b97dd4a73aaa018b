/**
 * What the last few messages of one kind decoded to, found again by their
 * bytes: a statement run again is answered with descriptions (a
 * RowDescription, a column definition) byte for byte like the ones before,
 * also when an application takes turns between several statements. A hit
 * hands out the object decoded then, so that callers can compare
 * descriptions by identity (LayoutCache).
 *
 * Invariants:
 * - at most `size` entries of at most `maxBytes` each are held, as copies
 *   (a framer's payload is a view that pins its whole chunk); adding one
 *   more forgets the oldest added;
 * - `find` gives a value only for bytes equal to those it was added with.
 */
export class RecentDecodes<T> {
  private readonly bytes: Buffer[] = [];
  private readonly values: T[] = [];
  /** Where the next entry goes: the slots are reused in turn, oldest first. */
  private next = 0;

  constructor(
    private readonly size: number,
    readonly maxBytes: number,
  ) {}

  /** What `payload`'s bytes decoded to when they were added, the latest first. */
  find(payload: Buffer): T | undefined {
    const held = this.bytes.length;
    for (let k = 1; k <= held; k++) {
      const i = (this.next - k + held) % held;
      const kept = this.bytes[i]!;
      // Lengths first: comparing bytes is a call into Node's C++.
      if (kept.length === payload.length && payload.equals(kept)) return this.values[i];
    }
    return undefined;
  }

  /** Keeps what `payload` decoded to; a payload longer than maxBytes is not kept. */
  add(payload: Buffer, value: T): void {
    if (payload.length > this.maxBytes) return;
    this.bytes[this.next] = Buffer.from(payload);
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }
}
