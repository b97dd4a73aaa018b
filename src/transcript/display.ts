/**
 * What text looks like on a terminal, counted and escaped the way psql 15
 * does it, so that a recorded transcript lines up as psql's own output would.
 *
 * Widths: a control character is -1, a nonspacing mark 0, an East Asian wide
 * or fullwidth character 2, anything else 1 (psql's ucs_wcwidth).
 *
 * Escapes: psql shows a C0 control or DEL as `\xNN` (carriage return as
 * `\r`) and a C1 control as `\uNNNN`. Beyond psql, bidirectional controls,
 * U+2028/U+2029 and lone surrogates are shown as `\uNNNN` too, so a value
 * can neither reorder what is shown around it nor break the output's UTF-8.
 *
 * Invariants:
 * - text returned by `safeLine`, `safeLines` and `formatCell` holds no C0 or
 *   C1 control (tab only where a caller asked to keep it), no bidirectional
 *   control and no lone surrogate;
 * - `formatCell` looks at no more than about 4 × maxWidth code points of a
 *   value however long it is, and its result spans at most maxWidth columns
 *   counted over all its lines (a line break counts as one).
 */
import { WIDE, ZERO_WIDTH } from './width-tables.js';

export const ELLIPSIS = '\u2026';

/** Default cap on the columns a table cell or a parameter value may take. */
export const DEFAULT_MAX_CELL_WIDTH = 200;

/** A cell spans at most this many code points per column of its width cap (zero-width marks included). */
const CHARS_PER_COLUMN = 4;

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

function hex(cp: number, digits: number): string {
  return cp.toString(16).toUpperCase().padStart(digits, '0');
}

function isUnsafeFormat(cp: number): boolean {
  return (
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0xd800 && cp <= 0xdfff)
  );
}

/** The visible stand-in for a code point that must not reach a terminal raw; undefined when it is safe as it is. */
export function escapeCodePoint(cp: number): string | undefined {
  if (cp === 0x0d) return '\\r';
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp >= 0x80 && cp < 0xa0) return `\\u${hex(cp, 4)}`;
  if (isUnsafeFormat(cp)) return `\\u${hex(cp, 4)}`;
  return undefined;
}

/** Printable ASCII only: one column per character and nothing to escape (the common case, checked first). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** True when `text` is printable ASCII only: one line, one column per character, nothing to escape. */
export function isPrintableAscii(text: string): boolean {
  return PRINTABLE_ASCII.test(text);
}

/** Columns a string free of controls takes on a terminal. */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const ch of text) width += Math.max(0, charWidth(ch.codePointAt(0)!));
  return width;
}

/** One line of output: every unsafe code point escaped, tabs too unless `keepTabs`. */
export function safeLine(text: string, keepTabs = false): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  let out = '';
  let start = 0;
  let i = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const esc = cp === 0x09 && keepTabs ? undefined : escapeCodePoint(cp);
    if (esc !== undefined) {
      out += text.slice(start, i) + esc;
      start = i + ch.length;
    }
    i += ch.length;
  }
  return start === 0 ? text : out + text.slice(start);
}

/**
 * Text split at its line breaks (`\r\n` or `\n`), each line made safe; a lone
 * carriage return is shown as `\r`, never obeyed.
 */
export function safeLines(text: string, keepTabs = false): string[] {
  if (PRINTABLE_ASCII.test(text)) return [text];
  return text.split(/\r?\n/).map((line) => safeLine(line, keepTabs));
}

/** One displayed line of a table cell and the columns it takes. */
export interface CellLine {
  text: string;
  width: number;
}

/** A cell as shown: one or more lines. */
export type Cell = CellLine[];

const EMPTY_CELL: Cell = [{ text: '', width: 0 }];

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
 * A value laid out as psql shows it in a table cell (NULL as empty), cut to
 * `maxWidth` columns over all its lines with an ellipsis when longer.
 */
export function formatCell(value: string | null, maxWidth = DEFAULT_MAX_CELL_WIDTH): Cell {
  if (value === null || value === '') return EMPTY_CELL;
  const cap = Math.max(1, Math.floor(maxWidth));
  if (value.length <= cap && PRINTABLE_ASCII.test(value)) return [{ text: value, width: value.length }];
  const whole = layout(value, cap, cap * CHARS_PER_COLUMN);
  if (whole.complete) return whole.lines;
  const cut = layout(value, cap - 1, cap * CHARS_PER_COLUMN - 1).lines;
  const last = cut[cut.length - 1]!;
  cut[cut.length - 1] = { text: last.text + ELLIPSIS, width: last.width + 1 };
  return cut;
}
