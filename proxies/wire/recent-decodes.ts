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
import { Recent } from '../../src/recent.js';

export class RecentDecodes<T> extends Recent<Buffer, T> {
  constructor(size: number, maxBytes: number) {
    super(size, sameBytes, (payload) => (payload.length <= maxBytes ? Buffer.from(payload) : undefined));
  }

  /** As find, for the bytes `chunk[start, end)`, read where they lie. */
  findAt(chunk: Buffer, start: number, end: number): T | undefined {
    return this.findWhere((kept) => sameBytesAt(kept, chunk, start, end));
  }
}

/** Keys up to this long are compared here: cheaper than Buffer#compare's checks and call into C++. */
const SHORT_KEY = 128;

function sameBytesAt(kept: Buffer, chunk: Buffer, start: number, end: number): boolean {
  const length = kept.length;
  if (length !== end - start) return false;
  if (length > SHORT_KEY) return kept.compare(chunk, start, end) === 0;
  for (let i = 0; i < length; i++) if (kept[i] !== chunk[start + i]) return false;
  return true;
}

function sameBytes(kept: Buffer, payload: Buffer): boolean {
  // Lengths first: comparing bytes is a call into Node's C++.
  return kept.length === payload.length && payload.equals(kept);
}
