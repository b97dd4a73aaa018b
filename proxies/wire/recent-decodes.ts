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
 * - `find` and `findAt` give a value only for bytes equal to those it was
 *   added with (the probe byte only orders the work).
 */
import { Recent } from '../../src/recent.js';

export class RecentDecodes<T> extends Recent<Buffer, T> {
  /**
   * Where the last two descriptions of the same length told apart differed. Descriptions of one
   * statement over several tables (sysbench's sbtest1 to sbtest4) differ in a byte or two, far
   * into their bytes: each held one is looked at there first, so that only the one that matches
   * is compared whole.
   */
  private probe = 0;

  constructor(size: number, maxBytes: number) {
    super(size, sameBytes, (payload) => (payload.length <= maxBytes ? Buffer.from(payload) : undefined));
  }

  /** As find, for the bytes `chunk[start, end)`, read where they lie. */
  findAt(chunk: Buffer, start: number, end: number): T | undefined {
    const length = end - start;
    const probe = this.probe < length ? this.probe : 0;
    return this.findWhere((kept) => {
      if (kept.length !== length || (length > 0 && kept[probe] !== chunk[start + probe])) return false;
      const at = firstDifference(kept, chunk, start, length);
      if (at < 0) return true;
      this.probe = at;
      return false;
    });
  }
}

/** Keys up to this long are compared here: cheaper than Buffer#compare's checks and call into C++. */
const SHORT_KEY = 128;

/** Where `kept` first differs from `chunk[start, start + length)` (as long as `kept`), or -1 where they are equal. */
function firstDifference(kept: Buffer, chunk: Buffer, start: number, length: number): number {
  if (length > SHORT_KEY) return kept.compare(chunk, start, start + length) === 0 ? -1 : 0;
  for (let i = 0; i < length; i++) if (kept[i] !== chunk[start + i]) return i;
  return -1;
}

function sameBytes(kept: Buffer, payload: Buffer): boolean {
  // Lengths first: comparing bytes is a call into Node's C++.
  return kept.length === payload.length && payload.equals(kept);
}
