/**
 * The columns of the result sets the PostgreSQL observer shows, decoded and
 * laid out once for a run of result sets alike: a statement run again (what
 * pgbench and most applications do) is answered with a RowDescription byte
 * for byte like the one before, and gets the fields and the table header of
 * last time instead of decoding and formatting them again.
 *
 * Invariants:
 * - what comes out is what decoding and laying out afresh would give: the
 *   cache is keyed by the RowDescription's bytes, then by the fields array;
 * - arrays handed out are shared between result sets: nobody changes them
 *   (the observer replaces a portal's fields, never edits them);
 * - at most MAX_CACHED_BODY bytes are held per connection.
 */
import { RowCollector, type FormattedColumn } from '../../src/transcript/index.js';
import { decodeRowDescription, type FieldDescription } from './protocol/backend.js';
import { RIGHT_ALIGNED_TYPES } from './protocol/values.js';

/** A longer RowDescription (hundreds of columns) is decoded each time rather than kept. */
export const MAX_CACHED_BODY = 4096;

export class ResultColumns {
  /** The last RowDescription's body, copied (the framer's pins its whole chunk), and its fields. */
  private body: Buffer | undefined;
  private fields: FieldDescription[] = [];
  /** The fields a result set was last started with, and its header as laid out. */
  private shown: FieldDescription[] | undefined;
  private laidOut: readonly FormattedColumn[] = [];

  /** A RowDescription's fields; the same array as last time when its body is the same. */
  describe(body: Buffer): FieldDescription[] {
    if (this.body !== undefined && body.equals(this.body)) return this.fields;
    const fields = decodeRowDescription(body);
    this.body = body.length <= MAX_CACHED_BODY ? Buffer.from(body) : undefined;
    this.fields = fields;
    return fields;
  }

  /** A collector of `maxRows` rows for a result set of `fields`, whose header is laid out once per fields array. */
  collector(fields: FieldDescription[], maxRows: number): RowCollector {
    const result = new RowCollector(maxRows);
    if (fields === this.shown) {
      result.columnsLaidOut(this.laidOut);
      return result;
    }
    result.columns(fields.map((f) => ({ name: f.name, align: RIGHT_ALIGNED_TYPES.has(f.typeOid) ? 'right' : 'left' })));
    this.shown = fields;
    this.laidOut = result.laidOut;
    return result;
  }
}
