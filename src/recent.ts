/**
 * The last few values kept, each found again by its key: a small ring that
 * forgets the oldest added. What a key is, how two are matched and what copy
 * of one is held (or none, for a key too large to hold) are the user's:
 * column layouts by their descriptions (src/transcript/layouts.ts), decoded
 * messages by their bytes (proxies/wire/recent-decodes.ts).
 *
 * Invariants:
 * - at most `size` entries are held; adding one more forgets the oldest
 *   added;
 * - `find` gives the value of the latest entry whose held key matches.
 */
export class Recent<K, V> {
  private readonly keys: K[] = [];
  private readonly values: V[] = [];
  /** Where the next entry goes: the slots are reused in turn, oldest first. */
  private next = 0;

  constructor(
    private readonly size: number,
    /** Whether the held key `kept` matches `key`. */
    private readonly matches: (kept: K, key: K) => boolean,
    /** What to hold of a key added (a copy, where the caller's may change), or undefined to hold none. */
    private readonly hold: (key: K) => K | undefined,
  ) {}

  /** The value added for a key matching `key`, the latest first; undefined when there is none. */
  find(key: K): V | undefined {
    return this.findWhere((kept) => this.matches(kept, key));
  }

  /** The value added for the latest held key that `test` accepts; undefined when it accepts none. */
  findWhere(test: (kept: K) => boolean): V | undefined {
    const held = this.keys.length;
    for (let k = 1; k <= held; k++) {
      const i = (this.next - k + held) % held;
      if (test(this.keys[i]!)) return this.values[i];
    }
    return undefined;
  }

  /** Holds `value` for `key`, unless `hold` keeps nothing of the key. */
  add(key: K, value: V): void {
    const kept = this.hold(key);
    if (kept === undefined) return;
    this.keys[this.next] = kept;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }
}
