/**
 * The columns of the result sets the MySQL observer shows, decoded and laid
 * out once for a run of result sets alike: a prepared statement executed
 * again (what sysbench and most applications do) is answered with column
 * definitions byte for byte like the ones before, and gets the definitions
 * and the table header of last time instead of decoding and formatting them
 * again.
 *
 * Invariants:
 * - what comes out is what decoding and laying out afresh would give: a
 *   definition is reused only for the same bytes at the same column index,
 *   a header only for the same definitions;
 * - definitions handed out are shared between result sets: nobody changes
 *   them (the observer only collects them into arrays);
 * - at most MAX_CACHED_COLUMNS packets of MAX_CACHED_PACKET bytes are held
 *   per connection.
 */
import { RowCollector, type FormattedColumn } from '../../src/transcript/index.js';
import { RIGHT_ALIGNED_TYPES, decodeColumnDefinition, type ColumnDefinition } from './protocol/resultset.js';

/** Columns past this index are decoded each time. */
export const MAX_CACHED_COLUMNS = 64;
/** A longer column definition (long names, extended metadata) is decoded each time. */
export const MAX_CACHED_PACKET = 1024;

export class ResultColumns {
  /** Per column index, the last definition's packet (a copy: the framer's pins its chunk) and what it decoded to. */
  private readonly kept: ({ payload: Buffer; column: ColumnDefinition } | undefined)[] = [];
  /** The definitions a result set was last started with, and its header as laid out. */
  private shown: ColumnDefinition[] = [];
  private laidOut: readonly FormattedColumn[] | undefined;

  constructor(private readonly mariadbCapabilities: number) {}

  /** The definition of column `index` of a result set; the object of last time when its packet is the same. */
  definition(payload: Buffer, index: number): ColumnDefinition {
    const last = this.kept[index];
    if (last !== undefined && payload.equals(last.payload)) return last.column;
    const column = decodeColumnDefinition(payload, this.mariadbCapabilities);
    // A default value (COM_FIELD_LIST only) is a view of the packet: such a definition is not kept.
    if (index < MAX_CACHED_COLUMNS && payload.length <= MAX_CACHED_PACKET && column.defaultValue === undefined) {
      this.kept[index] = { payload: Buffer.from(payload), column };
    }
    return column;
  }

  /** A collector of `maxRows` rows for a result set of `columns`, whose header is laid out once per definitions. */
  collector(columns: readonly ColumnDefinition[], maxRows: number): RowCollector {
    const result = new RowCollector(maxRows);
    if (this.laidOut !== undefined && sameColumns(columns, this.shown)) {
      result.columnsLaidOut(this.laidOut);
      return result;
    }
    result.columns(columns.map((c) => ({ name: c.name, align: RIGHT_ALIGNED_TYPES.has(c.type) ? 'right' : 'left' })));
    this.shown = columns.slice();
    this.laidOut = result.laidOut;
    return result;
  }
}

function sameColumns(a: readonly ColumnDefinition[], b: readonly ColumnDefinition[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
