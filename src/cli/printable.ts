/**
 * What the command line prints from a recording, the store or the gateway
 * (user and target names, event and terminal text, findings, errors) is
 * untrusted: every field goes through `printable`, so a control character,
 * C1 control or bidirectional override in it is shown escaped (`\x1B`,
 * `\u202E`) and never acts on the auditor's terminal. `--json` output uses
 * `safeJson` from the same module.
 */
import { safeLine } from '../terminal/escape.js';
import { displayWidth } from '../transcript/display.js';

export { safeJson } from '../terminal/escape.js';

/** One field of one line: tabs and line breaks inside it are escaped too. */
export function printable(value: unknown): string {
  return safeLine(typeof value === 'string' ? value : String(value));
}

export type Column<T> = readonly [header: string, cell: (row: T) => string];

/** A header line and one line per row, every cell escaped, columns padded to the width cells take on a terminal. */
export function formatColumns<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((r) => columns.map(([, cell]) => printable(cell(r))));
  const widths = columns.map(([h], i) => Math.max(displayWidth(h), ...cells.map((c) => displayWidth(c[i]!))));
  const line = (values: string[]): string => values.map((v, i) => v + ' '.repeat(widths[i]! - displayWidth(v))).join('  ').trimEnd() + '\n';
  return line(columns.map(([h]) => h)) + cells.map(line).join('');
}
