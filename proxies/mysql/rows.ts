/**
 * A result set's rows as the transcript shows them: decoded while the row collector wants
 * them. Values are read where they lie in the packet: a string that is printable ASCII (the
 * common case) becomes its cell without a buffer or a UTF-8 decoding of its own.
 */
import { type Cell, ELLIPSIS, formatCell, formatCellBytes } from '../../src/transcript/index.js';
import type { Run } from './observer-state.js';
import { binaryNull, openBinaryRow, openTextRow, type ColumnDefinition } from './protocol/resultset.js';
import { binaryValueIsBytes, ColumnFlag, formatBinaryValue, formatTextValue, readBinaryValue } from './protocol/values.js';

const NULL_CELL = formatCell(null);

/** A row of a result set, decoded and kept while the collector wants it. */
export function addRow(run: Run, payload: Buffer, truncated: boolean): void {
  run.rows++;
  const result = run.result!;
  const columns = run.columns;
  const width = result.cellWidth;
  if (run.binary || !truncated) {
    // Per row: plain loops and one try rather than closures and maps.
    const cells = new Array<Cell>(columns.length);
    try {
      if (run.binary) binaryCells(payload, columns, width, cells);
      else textCells(payload, columns, width, cells);
    } catch {
      cells.fill(formatCell(ELLIPSIS, width));
    }
    result.rowCells(cells);
    return;
  }
  // A row longer than the framer keeps: shown as far as it arrived, the cut marked.
  const { values, cut } = textRowPrefix(payload, columns.length);
  const shown = values.map((v, i) => formatTextValue(v, columns[i]!));
  if (cut >= 0) for (let i = cut; i < columns.length; i++) shown[i] = (i === cut ? (shown[i] ?? '') : '') + ELLIPSIS;
  result.row(shown);
}

/** The cell of a string value at payload[start, end), as the mysql client shows it. */
function bytesCell(payload: Buffer, start: number, end: number, column: ColumnDefinition, width: number): Cell {
  return formatCellBytes(payload, start, end, width) ?? formatCell(formatTextValue(payload.subarray(start, end), column), width);
}

function textCells(payload: Buffer, columns: readonly ColumnDefinition[], width: number, cells: Cell[]): void {
  const r = openTextRow(payload, columns.length);
  for (let i = 0; i < columns.length; i++) {
    const start = r.nullableLenencStart('column', i);
    cells[i] = start < 0 ? NULL_CELL : bytesCell(payload, start, r.position, columns[i]!, width);
  }
  r.end();
}

function binaryCells(payload: Buffer, columns: readonly ColumnDefinition[], width: number, cells: Cell[]): void {
  const r = openBinaryRow(payload, columns.length);
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    if (binaryNull(payload, i)) {
      cells[i] = NULL_CELL;
    } else if (binaryValueIsBytes(column.type)) {
      const start = r.lenencStart('value', i);
      cells[i] = bytesCell(payload, start, r.position, column, width);
    } else {
      const value = readBinaryValue(r, column.type, (column.flags & ColumnFlag.UNSIGNED) !== 0, i);
      cells[i] = formatCell(formatBinaryValue(value, column), width);
    }
  }
  r.end();
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
