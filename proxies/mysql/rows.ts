/** A result set's rows as the transcript shows them: decoded while the row collector wants them. */
import { ELLIPSIS } from '../../src/transcript/index.js';
import type { Run } from './observer-state.js';
import { decodeBinaryRow, decodeTextRow, formatBinaryValue, formatTextValue } from './protocol/resultset.js';

/** A row of a result set, decoded and kept while the collector wants it. */
export function addRow(run: Run, payload: Buffer, truncated: boolean): void {
  run.rows++;
  const result = run.result!;
  const columns = run.columns;
  let shown: (string | null)[];
  if (run.binary || !truncated) {
    // Per row: plain loops and one try rather than closures and maps.
    shown = new Array<string | null>(columns.length);
    try {
      if (run.binary) {
        const values = decodeBinaryRow(payload, columns);
        for (let i = 0; i < columns.length; i++) shown[i] = formatBinaryValue(values[i]!, columns[i]!);
      } else {
        const values = decodeTextRow(payload, columns.length);
        for (let i = 0; i < columns.length; i++) shown[i] = formatTextValue(values[i]!, columns[i]!);
      }
    } catch {
      shown.fill(ELLIPSIS);
    }
  } else {
    // A row longer than the framer keeps: shown as far as it arrived, the cut marked.
    const { values, cut } = textRowPrefix(payload, columns.length);
    shown = values.map((v, i) => formatTextValue(v, columns[i]!));
    if (cut >= 0) for (let i = cut; i < columns.length; i++) shown[i] = (i === cut ? (shown[i] ?? '') : '') + ELLIPSIS;
  }
  result.row(shown);
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
