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
import { Recent } from '../recent.js';
import type { ColumnLayout } from './table.js';

export const DEFAULT_LAYOUTS = 8;
/** Wider result sets are not held: a layout's header text grows with its columns. */
export const MAX_LAYOUT_COLUMNS = 64;

export class LayoutCache<D> extends Recent<readonly D[], ColumnLayout> {
  constructor(size = DEFAULT_LAYOUTS) {
    // The descriptions are copied: the caller's array may be reused.
    super(size, sameItems, (descriptions) => (descriptions.length <= MAX_LAYOUT_COLUMNS ? descriptions.slice() : undefined));
  }
}

function sameItems<D>(a: readonly D[], b: readonly D[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
