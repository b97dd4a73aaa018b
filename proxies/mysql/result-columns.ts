/**
 * The columns of the result sets the MySQL observer shows, decoded and laid
 * out once per kind of result set: a prepared statement executed again (what
 * sysbench and most applications do, taking turns between several) is
 * answered with column definitions byte for byte like the ones before, and
 * gets the definitions and the table header of before instead of decoding
 * and formatting them again.
 *
 * Invariants:
 * - what comes out is what decoding and laying out afresh would give: a
 *   definition is reused only for the same bytes at the same column index,
 *   a header only for the same definitions;
 * - definitions handed out are shared between result sets: nobody changes
 *   them (the observer only collects them into arrays);
 * - at most DEFINITIONS_PER_COLUMN packets of MAX_CACHED_PACKET bytes are
 *   held per column index for MAX_CACHED_COLUMNS indexes (256 KiB per
 *   connection at worst, a few KiB for ordinary columns), and LAYOUTS
 *   layouts of at most MAX_LAYOUT_COLUMNS columns.
 */
import { LayoutCache, TableBuffer, TableRows } from '../../src/transcript/index.js';
import { RecentDecodes } from '../wire/recent-decodes.js';
import { RIGHT_ALIGNED_TYPES, decodeColumnDefinition, type ColumnDefinition } from './protocol/resultset.js';

/** Columns past this index are decoded each time. */
export const MAX_CACHED_COLUMNS = 32;
/** A longer column definition (long names, extended metadata) is decoded each time. */
export const MAX_CACHED_PACKET = 1024;
/**
 * Definitions kept per column index: the statements an application takes turns between
 * (sysbench's read_only: two kinds of first column over four tables).
 */
export const DEFINITIONS_PER_COLUMN = 8;
/** Layouts kept: statements answered with the same definitions share one. */
export const LAYOUTS = 16;

export class ResultColumns {
  /** Per column index, the last few definitions' packets and what they decoded to. */
  private readonly kept: RecentDecodes<ColumnDefinition>[] = [];
  /** The headers laid out for the last few sets of definitions. */
  private readonly layouts = new LayoutCache<ColumnDefinition>(LAYOUTS);
  /** The buffer this connection's result sets keep their rows in, one after the other. */
  private readonly tables = new TableBuffer();

  constructor(private readonly mariadbCapabilities: number) {}

  /**
   * The definition of column `index` of a result set, whose packet is `chunk[start, end)` (by
   * default the whole of `chunk`); the object of before when its packet is the same.
   */
  definition(chunk: Buffer, index: number, start = 0, end = chunk.length): ColumnDefinition {
    const recent = index < MAX_CACHED_COLUMNS ? (this.kept[index] ??= new RecentDecodes(DEFINITIONS_PER_COLUMN, MAX_CACHED_PACKET)) : undefined;
    const known = recent?.findAt(chunk, start, end);
    if (known !== undefined) return known;
    const payload = chunk.subarray(start, end);
    const column = decodeColumnDefinition(payload, this.mariadbCapabilities);
    // A default value (COM_FIELD_LIST only) is a view of the packet: such a definition is not kept.
    if (column.defaultValue === undefined) recent?.add(payload, column);
    return column;
  }

  /** The rows (at most `maxRows` kept) of a result set for a result set of `columns`, whose header is laid out once per definitions. */
  collector(columns: readonly ColumnDefinition[], maxRows: number): TableRows {
    const result = new TableRows(maxRows, {}, this.tables);
    const layout = this.layouts.find(columns);
    if (layout !== undefined) {
      result.columnsLaidOut(layout);
      return result;
    }
    result.columns(columns.map((c) => ({ name: c.name, align: RIGHT_ALIGNED_TYPES.has(c.type) ? 'right' : 'left' })));
    this.layouts.add(columns, result.laidOut);
    return result;
  }
}
