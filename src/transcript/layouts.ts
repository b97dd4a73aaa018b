/**
 * The column layouts of the last few kinds of result set a connection
 * showed, each found again by the column descriptions it was laid out from:
 * an application taking turns between its statements (sysbench's four
 * tables, any ORM) finds each statement's header laid out, and the header
 * text of last time with it (ColumnLayout), instead of only the last one's.
 *
 * Descriptions are the protocol's own decoded objects, compared one by one
 * by identity: a proxy hands out the same objects for the same bytes (see
 * its result-columns.ts), so equal descriptions decoded apart are laid out
 * again, which costs time only.
 *
 * Invariants:
 * - at most `size` layouts of at most MAX_LAYOUT_COLUMNS columns are held
 *   (a wider one is laid out each time: its rows cost more than its header);
 *   adding one more forgets the oldest added;
 * - `find` gives a layout only for descriptions of the same length holding
 *   the same objects in the same order as those it was added for.
 */
import type { ColumnLayout } from './table.js';

export const DEFAULT_LAYOUTS = 8;
/** Wider result sets are not held: a layout's header text grows with its columns. */
export const MAX_LAYOUT_COLUMNS = 64;

export class LayoutCache<D> {
  private readonly keys: (readonly D[])[] = [];
  private readonly layouts: ColumnLayout[] = [];
  /** Where the next layout goes: the slots are reused in turn, oldest first. */
  private next = 0;

  constructor(private readonly size = DEFAULT_LAYOUTS) {}

  /** The layout added for these descriptions, the latest first; undefined when none was. */
  find(descriptions: readonly D[]): ColumnLayout | undefined {
    const held = this.keys.length;
    for (let k = 1; k <= held; k++) {
      const i = (this.next - k + held) % held;
      if (sameItems(this.keys[i]!, descriptions)) return this.layouts[i];
    }
    return undefined;
  }

  /** Holds `layout` for `descriptions` (copied: the caller's array may be reused), unless they are too many. */
  add(descriptions: readonly D[], layout: ColumnLayout): void {
    if (descriptions.length > MAX_LAYOUT_COLUMNS) return;
    this.keys[this.next] = descriptions.slice();
    this.layouts[this.next] = layout;
    this.next = (this.next + 1) % this.size;
  }
}

function sameItems<D>(a: readonly D[], b: readonly D[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
