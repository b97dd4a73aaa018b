/**
 * The columns of the result sets the PostgreSQL observer shows, decoded and
 * laid out once per kind of result set: a statement run again (what pgbench
 * and most applications do, taking turns between several) is answered with a
 * RowDescription byte for byte like the one before, and gets the fields and
 * the table header of before instead of decoding and formatting them again.
 *
 * Invariants:
 * - what comes out is what decoding and laying out afresh would give: the
 *   cache is keyed by the RowDescription's bytes, then by the fields;
 * - arrays handed out are shared between result sets: nobody changes them
 *   (the observer replaces a portal's fields, never edits them);
 * - at most DESCRIPTIONS RowDescriptions of MAX_CACHED_BODY bytes are held
 *   per connection, and DEFAULT_LAYOUTS layouts of at most MAX_LAYOUT_COLUMNS
 *   columns.
 */
import { LayoutCache, TableBuffer, TableRows } from '../../src/transcript/index.js';
import { RecentDecodes } from '../wire/recent-decodes.js';
import { decodeRowDescription, type FieldDescription } from './protocol/backend.js';
import { RIGHT_ALIGNED_TYPES } from './protocol/values.js';

/** A longer RowDescription (hundreds of columns) is decoded each time rather than kept. */
export const MAX_CACHED_BODY = 4096;
/** RowDescriptions kept: the statements an application takes turns between. */
export const DESCRIPTIONS = 4;

export class ResultColumns {
  /** The last few RowDescriptions' bodies and their fields. */
  private readonly described = new RecentDecodes<FieldDescription[]>(DESCRIPTIONS, MAX_CACHED_BODY);
  /** The headers laid out for the last few sets of fields. */
  private readonly layouts = new LayoutCache<FieldDescription>();
  /** The buffer this connection's result sets keep their rows in, one after the other. */
  private readonly tables = new TableBuffer();

  /**
   * The fields of the RowDescription whose body is `bytes[start, end)` (by default the whole of
   * `bytes`); the same array as before when its body is the same.
   */
  describe(bytes: Buffer, start = 0, end = bytes.length): FieldDescription[] {
    const known = this.described.findAt(bytes, start, end);
    if (known !== undefined) return known;
    const body = bytes.subarray(start, end);
    const fields = decodeRowDescription(body);
    this.described.add(body, fields);
    return fields;
  }

  /** The rows (at most `maxRows` kept) of a result set for a result set of `fields`, whose header is laid out once per fields. */
  collector(fields: FieldDescription[], maxRows: number): TableRows {
    const result = new TableRows(maxRows, {}, this.tables);
    const layout = this.layouts.find(fields);
    if (layout !== undefined) {
      result.columnsLaidOut(layout);
      return result;
    }
    result.columns(fields.map((f) => ({ name: f.name, align: RIGHT_ALIGNED_TYPES.has(f.typeOid) ? 'right' : 'left' })));
    this.layouts.add(fields, result.laidOut);
    return result;
  }
}
