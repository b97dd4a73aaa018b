/**
 * What text looks like on a terminal, counted and escaped the way psql 15
 * does it, so that a recorded transcript lines up as psql's own output would.
 *
 * Widths: a control character is -1, a nonspacing mark 0, an East Asian wide
 * or fullwidth character 2, anything else 1 (psql's ucs_wcwidth).
 *
 * Escapes: those of `src/terminal/escape.ts`, shared with the command line:
 * psql's `\xNN` for a C0 control or DEL (carriage return as `\r`) and
 * `\uNNNN` for a C1 control; beyond psql, bidirectional controls,
 * U+2028/U+2029 and lone surrogates as `\uNNNN` too, so a value can neither
 * reorder what is shown around it nor break the output's UTF-8.
 *
 * Invariants:
 * - text returned by `safeLine`, `safeLines` and `formatCell` holds no C0 or
 *   C1 control (tab only where a caller asked to keep it), no bidirectional
 *   control and no lone surrogate;
 * - `formatCell` looks at no more than about 4 × maxWidth code points of a
 *   value however long it is, and its result spans at most maxWidth columns
 *   counted over all its lines (a line break counts as one).
 */
import { escapeCodePoint, isPrintableAscii, safeLine } from '../terminal/escape.js';
import { WIDE, ZERO_WIDTH } from './width-tables.js';

export { escapeCodePoint, isPrintableAscii, safeLine };

export const ELLIPSIS = '\u2026';

/** Default cap on the columns a table cell or a parameter value may take. */
export const DEFAULT_MAX_CELL_WIDTH = 200;

/** A cell spans at most this many code points per column of its width cap (zero-width marks included). */
const CHARS_PER_COLUMN = 4;

/**
 * How much of a value formatCell can ever look at: the UTF-8 bytes (`bytes`) or UTF-16 code
 * units (`units`) that hold its first 4 × maxWidth + 1 code points, with one to spare for a
 * sequence cut at the end. A value cut there is laid out exactly as the whole value would be,
 * which lets a result's rows be kept short of their full length until they are laid out.
 */
export function cellPrefixKept(maxWidth: number): { bytes: number; units: number } {
  const chars = Math.max(1, Math.floor(maxWidth)) * CHARS_PER_COLUMN + 2;
  return { bytes: chars * 4, units: chars * 2 };
}

function inRanges(table: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  if (hi < 0 || cp < table[0]! || cp > table[table.length - 1]!) return false;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cp < table[2 * mid]!) hi = mid - 1;
    else if (cp > table[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Columns one code point takes as psql counts them: -1 for a control, 0, 1 or 2. */
export function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return -1;
  if (inRanges(ZERO_WIDTH, cp)) return 0;
  if (inRanges(WIDE, cp)) return 2;
  return 1;
}

/** Columns a string free of controls takes on a terminal. */
export function displayWidth(text: string): number {
  if (isPrintableAscii(text)) return text.length;
  let width = 0;
  for (const ch of text) width += Math.max(0, charWidth(ch.codePointAt(0)!));
  return width;
}

/**
 * Text split at its line breaks (`\r\n` or `\n`), each line made safe; a lone
 * carriage return is shown as `\r`, never obeyed.
 */
export function safeLines(text: string, keepTabs = false): string[] {
  if (isPrintableAscii(text)) return [text];
  return text.split(/\r?\n/).map((line) => safeLine(line, keepTabs));
}

/** One displayed line of a table cell and the columns it takes. */
export interface CellLine {
  text: string;
  width: number;
}

/**
 * A cell as shown: one or more lines, or (the common case, made without an array and an
 * object per value) a string, one line of printable ASCII as wide as it is long.
 */
export type Cell = string | CellLine[];

/** The columns a cell takes: its widest line. */
export function cellWidth(cell: Cell): number {
  if (typeof cell === 'string') return cell.length;
  let w = 0;
  for (const line of cell) if (line.width > w) w = line.width;
  return w;
}

/** The lines a cell takes. */
export function cellHeight(cell: Cell): number {
  return typeof cell === 'string' ? 1 : cell.length;
}

/** A cell's lines, each with its width, whichever form it has. */
export function cellLines(cell: Cell): CellLine[] {
  return typeof cell === 'string' ? [{ text: cell, width: cell.length }] : cell;
}

const EMPTY_CELL: Cell = '';

interface Layout {
  lines: CellLine[];
  complete: boolean;
}

// psql's pg_wcsformat: lines split at \n, tabs padded to the next multiple of 8 within the line.
// Stops before the code point that would take the layout past maxWidth columns or maxChars code points.
function layout(value: string, maxWidth: number, maxChars: number): Layout {
  const lines: CellLine[] = [];
  let text = '';
  let width = 0;
  let used = 0;
  let chars = 0;
  let complete = true;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    let piece: string | undefined;
    let w: number;
    if (cp === 0x0a) {
      w = 1;
    } else if (cp === 0x09) {
      w = 8 - (width % 8);
      piece = ' '.repeat(w);
    } else {
      piece = escapeCodePoint(cp);
      if (piece !== undefined) {
        w = piece.length;
      } else {
        piece = ch;
        w = Math.max(0, charWidth(cp));
      }
    }
    if (used + w > maxWidth || chars + 1 > maxChars) {
      complete = false;
      break;
    }
    used += w;
    chars++;
    if (piece === undefined) {
      lines.push({ text, width });
      text = '';
      width = 0;
    } else {
      text += piece;
      width += w;
    }
  }
  lines.push({ text, width });
  return { lines, complete };
}

/**
 * The cell formatCell would make of the UTF-8 bytes b[start, end) when they are printable
 * ASCII no wider than maxWidth, the common case; undefined for anything else, which the
 * caller decodes as its protocol says and gives to formatCell. Read without an intermediate
 * buffer, and as latin1: for ASCII bytes the same text, from the cheaper decoder.
 */
export function formatCellBytes(b: Buffer, start: number, end: number, maxWidth = DEFAULT_MAX_CELL_WIDTH): Cell | undefined {
  const n = end - start;
  if (n === 0) return EMPTY_CELL;
  // Bytes outside b are the caller's to decode: toString would cut them and the width be wrong.
  if (n < 0 || start < 0 || end > b.length || n > Math.max(1, Math.floor(maxWidth))) return undefined;
  const text = b.toString('latin1', start, end);
  return isPrintableAscii(text) ? text : undefined;
}

/**
 * A value laid out as psql shows it in a table cell (NULL as empty), cut to
 * `maxWidth` columns over all its lines with an ellipsis when longer.
 */
export function formatCell(value: string | null, maxWidth = DEFAULT_MAX_CELL_WIDTH): Cell {
  if (value === null || value === '') return EMPTY_CELL;
  const cap = Math.max(1, Math.floor(maxWidth));
  if (value.length <= cap && isPrintableAscii(value)) return value;
  const whole = layout(value, cap, cap * CHARS_PER_COLUMN);
  if (whole.complete) return whole.lines;
  const cut = layout(value, cap - 1, cap * CHARS_PER_COLUMN - 1).lines;
  const last = cut[cut.length - 1]!;
  cut[cut.length - 1] = { text: last.text + ELLIPSIS, width: last.width + 1 };
  return cut;
}
