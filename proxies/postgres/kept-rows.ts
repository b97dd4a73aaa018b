/**
 * A DataRow kept for the transcript's table frame (src/transcript/table-frame.ts)
 * without decoding it: a text-format value is kept as the bytes it came in
 * (psql shows it as its UTF-8 text, which the reader of the recording lays
 * out), a binary-format one is shown as now (formatValue) and kept as shown.
 * Read where the values lie: no buffer or array per value.
 *
 * A DataRow the framer cut short is shown as far as it arrived, as before.
 *
 * Invariant: a body decodeDataRow refuses is refused here (ProtocolError)
 * before anything is kept, so a row the server garbled is left out as before.
 */
import { ELLIPSIS, type TableRows } from '../../src/transcript/index.js';
import { decodeDataRow, type FieldDescription } from './protocol/backend.js';
import { formatValue } from './protocol/values.js';

/**
 * The number of values of the DataRow body at `body[start, end)` (all of `body` by default)
 * decodeDataRow would accept; throws as it does otherwise.
 */
export function dataRowValues(body: Buffer, start = 0, end = body.length): number {
  const n = end - start >= 2 ? body.readUInt16BE(start) : -1;
  let at = start + 2;
  let i = 0;
  for (; i < n && at + 4 <= end; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    if (length > 0) at += length;
    else if (length < -1) break;
  }
  // Anything out of the ordinary is left to the decoder, for its error.
  if (n < 0 || i !== n || at !== end) decodeDataRow(body.subarray(start, end));
  return n;
}

/** Keeps a DataRow dataRowValues accepted (its body from `start`) as the open row of `rows` (after startRow). */
export function keepDataRow(rows: TableRows, body: Buffer, fields: readonly FieldDescription[], start = 0): void {
  const n = body.readUInt16BE(start);
  let at = start + 2;
  for (let i = 0; i < n; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    if (length < 0) {
      rows.nullCell();
      continue;
    }
    const field = fields[i];
    const format = field?.format ?? 0;
    if (format === 0) rows.valueCell(body, at, at + length);
    else rows.shownCell(formatValue(body.subarray(at, at + length), format, field?.typeOid ?? 0)!);
    at += length;
  }
  rows.endRow();
}

/** A DataRow the framer cut short, as far as it arrived (dataRowPrefix): its values shown, the cut marked. */
export function keepCutRow(rows: TableRows, values: readonly (Buffer | null)[], cut: number, fields: readonly FieldDescription[]): void {
  // A plain loop, not a map: this runs per row.
  const shown = new Array<string | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const field = fields[i];
    shown[i] = formatValue(values[i]!, field?.format ?? 0, field?.typeOid ?? 0);
  }
  if (cut >= 0) for (let i = cut; i < Math.max(shown.length, fields.length); i++) shown[i] = (i === cut ? (shown[i] ?? '') : '') + ELLIPSIS;
  rows.row(shown);
}
