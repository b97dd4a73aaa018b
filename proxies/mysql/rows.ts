/**
 * A result set's rows as the transcript keeps them for its table frame
 * (src/transcript/table-frame.ts), while the result wants them: a string the
 * mysql client shows as its UTF-8 text is kept as the bytes it came in, read
 * where it lies in the packet (the reader of the recording lays it out);
 * numbers and dates of the binary protocol and binary strings that are not
 * printable text are shown as the client shows them now and kept as shown.
 */
import { ELLIPSIS, type TableRows } from '../../src/transcript/index.js';
import type { Run } from './observer-state.js';
import { binaryNull, binaryRowReader, binaryRowValuesAt, openTextRow, type ColumnDefinition } from './protocol/resultset.js';
import type { PayloadReader } from './protocol/wire.js';
import { BINARY_CHARSET, binaryValueIsBytes, ColumnFlag, formatBinaryValue, formatTextValue, hexLiteral, isPrintableUtf8, readBinaryValue } from './protocol/values.js';

/** The row at `payload[start, end)` (by default the whole of `payload`), kept while the result wants it. */
export function addRow(run: Run, payload: Buffer, truncated: boolean, start = 0, end = payload.length): void {
  run.rows++;
  const result = run.result!;
  const columns = run.columns;
  if (!run.binary && truncated) {
    // A row longer than the framer keeps: shown as far as it arrived, the cut marked.
    const { values, cut } = textRowPrefix(payload.subarray(start, end), columns.length);
    const shown = values.map((v, i) => formatTextValue(v, columns[i]!));
    if (cut >= 0) for (let i = cut; i < columns.length; i++) shown[i] = (i === cut ? (shown[i] ?? '') : '') + ELLIPSIS;
    result.row(shown);
    return;
  }
  if (!result.startRow()) return;
  // Per row: plain loops and one try rather than closures and maps.
  try {
    if (run.binary) binaryCells(payload, start, end, columns, result);
    else textCells(payload, start, end, columns, result);
    result.endRow();
  } catch {
    result.replaceRow(ELLIPSIS);
  }
}

/**
 * The string value at payload[start, end): kept as sent when the client shows it as its UTF-8
 * text (any character set but binary; in binary, printable UTF-8, as numbers in the text
 * protocol are), else as the hex literal the client shows.
 */
function bytesCell(result: TableRows, payload: Buffer, start: number, end: number, column: ColumnDefinition): void {
  if (column.charset !== BINARY_CHARSET) return result.valueCell(payload, start, end);
  const value = payload.subarray(start, end);
  if (isPrintableUtf8(value)) result.valueCell(payload, start, end);
  else result.shownCell(hexLiteral(value));
}

function textCells(payload: Buffer, start: number, end: number, columns: readonly ColumnDefinition[], result: TableRows): void {
  const r = openTextRow(payload, columns.length, start, end);
  for (let i = 0; i < columns.length; i++) {
    const at = r.nullableLenencStart('column', i);
    if (at < 0) result.nullCell();
    else bytesCell(result, payload, at, r.position, columns[i]!);
  }
  r.end();
}

/**
 * A binary row's cells. A string with a one-byte length (any value shorter than 251 bytes) is
 * found where it lies without a reader; from the first other value on, a PayloadReader reads
 * the rest. A row that ends too soon or goes on past its last value throws, as with a reader.
 */
function binaryCells(payload: Buffer, start: number, end: number, columns: readonly ColumnDefinition[], result: TableRows): void {
  let at = binaryRowValuesAt(payload, columns.length, start, end);
  let r: PayloadReader | undefined;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    if (binaryNull(payload, i, start)) {
      result.nullCell();
      continue;
    }
    const bytes = binaryValueIsBytes(column.type);
    if (bytes && r === undefined) {
      const length = at < end ? payload[at]! : 0xfb;
      if (length < 0xfb && length < end - at) {
        bytesCell(result, payload, at + 1, at + 1 + length, column);
        at += 1 + length;
        continue;
      }
    }
    r ??= binaryRowReader(payload, at, end);
    if (bytes) {
      const from = r.lenencStart('value', i);
      bytesCell(result, payload, from, r.position, column);
    } else {
      const shown = formatBinaryValue(readBinaryValue(r, column.type, (column.flags & ColumnFlag.UNSIGNED) !== 0, i), column);
      if (shown === null) result.nullCell();
      else result.shownCell(shown);
    }
  }
  if (r) r.end();
  else if (at !== end) binaryRowReader(payload, at, end).end();
}

/** A text row the framer cut short: the values that arrived, the last maybe in part (`cut`, -1 if none was). */
function textRowPrefix(payload: Buffer, n: number): { values: (Buffer | null)[]; cut: number } {
  const values: (Buffer | null)[] = [];
  let at = 0;
  while (values.length < n) {
    if (at >= payload.length) return { values, cut: values.length };
    const b = payload[at]!;
    if (b === 0xfb) {
      values.push(null);
      at++;
      continue;
    }
    const size = b < 0xfb ? 0 : b === 0xfc ? 2 : b === 0xfd ? 3 : b === 0xfe ? 8 : -1;
    if (size < 0 || at + 1 + size > payload.length) return { values, cut: values.length };
    const length = size === 0 ? b : size === 8 ? Number(payload.readBigUInt64LE(at + 1)) : payload.readUIntLE(at + 1, size);
    at += 1 + size;
    values.push(payload.subarray(at, Math.min(at + length, payload.length)));
    if (at + length > payload.length) return { values, cut: values.length - 1 };
    at += length;
  }
  return { values, cut: -1 };
}
