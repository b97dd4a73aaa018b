/**
 * What the last few messages of one kind decoded to, found again by their
 * bytes: a statement run again is answered with descriptions (a
 * RowDescription, a column definition) byte for byte like the ones before,
 * also when an application takes turns between several statements. A hit
 * hands out the object decoded then, so that callers can compare
 * descriptions by identity (LayoutCache).
 *
 * The bytes are held as latin1 strings, one code unit per byte (a one-to-one
 * mapping, unlike UTF-8's, which turns distinct invalid bytes into the same
 * U+FFFD): a lookup makes one such string of the bytes it is given and lets V8
 * compare it with the held one. Comparing two Buffers byte by byte in
 * JavaScript costs about thirty instructions a byte (each read checks its
 * array's map and bounds again), three times what the string and its
 * comparison cost for a 50-byte column definition.
 *
 * Invariants:
 * - at most `size` entries of at most `maxBytes` each are held, as strings
 *   (a framer's payload is a view that pins its whole chunk); adding one
 *   more forgets the oldest added;
 * - `find` and `findAt` give a value only for bytes equal to those it was
 *   added with (the probe byte only orders the work).
 */
import { latin1Slice as latin1 } from '../../src/node-buffer.js';
import { Recent } from '../../src/recent.js';


export class RecentDecodes<T> {
  private readonly recent: Recent<string, T>;
  /**
   * Where the last two descriptions of the same length told apart differed. Descriptions of one
   * statement over several tables (sysbench's sbtest1 to sbtest4) differ in a byte or two, far
   * into their bytes: each held one is looked at there first, so that a string of the bytes is
   * made and compared only for one that may match.
   */
  private probe = 0;

  constructor(
    size: number,
    private readonly maxBytes: number,
  ) {
    this.recent = new Recent<string, T>(size, (kept, key) => kept === key, (key) => key);
  }

  /** Holds `value` for the bytes of `payload`, unless they are more than maxBytes. */
  add(payload: Buffer, value: T): void {
    if (payload.length <= this.maxBytes) this.recent.add(latin1(payload, 0, payload.length), value);
  }

  /** The value added for bytes equal to `payload`'s, the latest first; undefined when there is none. */
  find(payload: Buffer): T | undefined {
    return this.findAt(payload, 0, payload.length);
  }

  /** As find, for the bytes `chunk[start, end)`, read where they lie. */
  findAt(chunk: Buffer, start: number, end: number): T | undefined {
    const length = end - start;
    const probe = this.probe < length ? this.probe : 0;
    let bytes: string | undefined;
    return this.recent.findWhere((kept) => {
      if (kept.length !== length || (length > 0 && kept.charCodeAt(probe) !== chunk[start + probe])) return false;
      bytes ??= latin1(chunk, start, end);
      if (kept === bytes) return true;
      this.probe = firstDifference(kept, bytes);
      return false;
    });
  }
}

/** Where two different strings of the same length first differ. */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
