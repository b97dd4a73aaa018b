/**
 * Renders a result set as psql 15 prints it in its default aligned format
 * (`\pset format aligned`, border 1, ascii line style, pager off), with
 * "\r\n" line ends since the text is replayed on a terminal:
 *
 *    a | bcd | c
 *   ---+-----+---
 *    1 | x   |
 *   (1 row)
 *
 * Header names are centred, cells left- or right-aligned, NULL shown empty;
 * a cell with line breaks continues on the next lines, marked with `+`. Like
 * psql, the last column of a left-aligned line carries no trailing spaces.
 *
 * Invariants:
 * - every line before the footer is at most as wide as the ruler, and the
 *   column separators sit at the ruler's `+` columns on every line;
 * - a cell spans at most maxCellWidth columns (see formatCell), so does a
 *   header name;
 * - the output holds no control characters other than the "\r\n" line ends;
 * - at most maxRows rows are shown; when fewer rows are shown than the result
 *   had, the footer says so: `(10000 rows; first 100 shown)`.
 */
import { type Cell, cellHeight, cellLines, cellWidth, DEFAULT_MAX_CELL_WIDTH, formatCell } from './display.js';

const CRLF = '\r\n';

export type Align = 'left' | 'right';

export interface TableColumn {
  name: string;
  align: Align;
}

export interface TableInput {
  columns: TableColumn[];
  /** The rows to show, each a value per column (NULL as null); only the first maxRows are used. */
  rows: (string | null)[][];
  /** How many rows the result had, shown or not. */
  totalRows: number;
  maxRows: number;
  /** Columns a cell may take before it is cut with an ellipsis; default 200. */
  maxCellWidth?: number;
  /** Whether to print the `(N rows)` footer (psql's `\pset footer`); default true. */
  footer?: boolean;
}

/** A column whose header is already laid out. */
export interface FormattedColumn {
  header: Cell;
  align: Align;
}

/**
 * A result set's columns laid out once, shared by the result sets of a statement run again,
 * with the header lines as last rendered for them (and the widths they were rendered at): a
 * statement run again shows the header of last time. The header is held here rather than in a
 * table keyed by the columns: a weak table written for every new set of columns keeps each
 * entry's header alive through the young generation's collections until the table is swept,
 * and so promotes it.
 */
export class ColumnLayout {
  rendered: { widths: number[]; text: string } | undefined = undefined;
  /** The columns as a table frame records them (table-frame.ts), held here for the same reason. */
  encoded: Uint8Array | undefined = undefined;
  constructor(readonly columns: readonly FormattedColumn[]) {}
}

const EMPTY: Cell = '';

/** Padding is cut from this string (a slice costs less than a new run of spaces). */
const SPACES = ' '.repeat(256);

function spaces(n: number): string {
  if (n <= 0) return '';
  return n <= SPACES.length ? SPACES.slice(0, n) : ' '.repeat(n);
}

/** The footer psql would print, or the note that rows were left out. */
export function footerLine(totalRows: number, shown: number, footer: boolean): string | undefined {
  const total = Math.max(totalRows, shown);
  const rows = `${total} ${total === 1 ? 'row' : 'rows'}`;
  if (total > shown) return shown === 0 ? `(${rows}; none shown)` : `(${rows}; first ${shown} shown)`;
  return footer ? `(${rows})` : undefined;
}

/** Renders a table whose cells are already laid out (see formatCell). */
export function renderCells(layout: ColumnLayout, rows: Cell[][], totalRows: number, footer = true): string {
  // Plain loops rather than map/spread: this runs for every result set shown.
  const columns = layout.columns;
  const n = columns.length;
  const widths = new Array<number>(n);
  for (let j = 0; j < n; j++) widths[j] = cellWidth(columns[j]!.header);
  for (const row of rows) {
    for (let j = 0; j < n; j++) {
      const w = cellWidth(row[j] ?? EMPTY);
      if (w > widths[j]!) widths[j] = w;
    }
  }
  let out = header(layout, widths);

  // Data lines.
  if (n > 0) {
    for (const row of rows) {
      let height = 1;
      for (let j = 0; j < n; j++) {
        const h = cellHeight(row[j] ?? EMPTY);
        if (h > height) height = h;
      }
      for (let l = 0; l < height; l++) {
        for (let j = 0; j < n; j++) {
          const cell = row[j] ?? EMPTY;
          const w = widths[j]!;
          const last = j === n - 1;
          // Line l of the cell, if it has one: a string cell is one line as wide as it is long.
          let text: string | undefined;
          let width = 0;
          let continues = false;
          if (typeof cell === 'string') {
            if (l === 0) text = cell;
            width = cell.length;
          } else if (l < cell.length) {
            text = cell[l]!.text;
            width = cell[l]!.width;
            continues = l < cell.length - 1;
          }
          out += ' ';
          if (text === undefined) {
            if (!last) out += spaces(w);
          } else if (columns[j]!.align === 'right') {
            out += spaces(w - width) + text;
          } else {
            out += text;
            if (!last || continues) out += spaces(w - width);
          }
          if (continues) out += '+';
          else if (!last) out += ' ';
          if (!last) out += '|';
        }
        out += CRLF;
      }
    }
  }

  const foot = footerLine(totalRows, rows.length, footer);
  if (foot !== undefined) out += foot + CRLF;
  return out + CRLF;
}

/** The header lines and the ruler, as rendered last time for these columns when the widths are the same. */
function header(layout: ColumnLayout, widths: number[]): string {
  const last = layout.rendered;
  if (last !== undefined && sameWidths(last.widths, widths)) return last.text;
  const text = renderHeader(layout.columns, widths);
  layout.rendered = { widths, text };
  return text;
}

function sameWidths(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

function renderHeader(columns: readonly FormattedColumn[], widths: number[]): string {
  const n = columns.length;
  let headerLines = 0;
  for (let j = 0; j < n; j++) headerLines = Math.max(headerLines, cellHeight(columns[j]!.header));
  const headers = columns.map((c) => cellLines(c.header));
  let out = '';
  // Names centred, `+` where a multi-line name continues.
  for (let l = 0; l < headerLines; l++) {
    for (let j = 0; j < n; j++) {
      const header = headers[j]!;
      const w = widths[j]!;
      const line = header[l];
      out += ' ';
      if (line === undefined) {
        out += spaces(w);
      } else {
        const pad = w - line.width;
        out += spaces(pad >> 1) + line.text + spaces(pad - (pad >> 1));
      }
      out += l < header.length - 1 ? '+' : ' ';
      if (j < n - 1) out += '|';
    }
    out += CRLF;
  }
  let ruler = '-';
  for (let j = 0; j < n; j++) ruler += (j === 0 ? '' : '-+-') + '-'.repeat(widths[j]!);
  return out + ruler + '-' + CRLF;
}

/** Renders a result set as psql prints it; see the file header. */
export function renderTable(t: TableInput): string {
  const maxCellWidth = t.maxCellWidth ?? DEFAULT_MAX_CELL_WIDTH;
  const shown = t.rows.slice(0, Math.max(0, Math.floor(t.maxRows)));
  const layout = new ColumnLayout(t.columns.map((c) => ({ header: formatCell(c.name, maxCellWidth), align: c.align })));
  const cells = shown.map((row) => t.columns.map((_, j) => formatCell(row[j] ?? null, maxCellWidth)));
  return renderCells(layout, cells, t.totalRows, t.footer ?? true);
}
