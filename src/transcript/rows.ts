/**
 * Collects a result set arriving row by row and renders it as psql would
 * print it (table.ts). Only the first maxRows rows are kept, already laid
 * out and cut to maxCellWidth columns a cell; later rows are only counted.
 *
 * Invariants:
 * - memory is bounded by maxRows × columns × maxCellWidth, however many rows
 *   or however long the values that arrive;
 * - `row()` past the cap is O(1), and `wantsRow()` tells the caller it may
 *   skip decoding such rows (it must still call `row()`, or `skip()`, so
 *   they are counted);
 * - `columns()` starts a new result set.
 */
import { type Cell, DEFAULT_MAX_CELL_WIDTH, formatCell } from './display.js';
import { ColumnLayout, type TableColumn, renderCells } from './table.js';

const EMPTY_LAYOUT = new ColumnLayout([]);

export interface RowCollectorOptions {
  maxCellWidth?: number;
  /** Whether render() prints the `(N rows)` footer; default true. */
  footer?: boolean;
}

export class RowCollector {
  private readonly maxRows: number;
  private readonly maxCellWidth: number;
  private readonly footer: boolean;
  private layout = EMPTY_LAYOUT;
  private kept: Cell[][] = [];
  private total = 0;

  constructor(maxRows: number, options: RowCollectorOptions = {}) {
    this.maxRows = Math.max(0, Math.floor(maxRows));
    this.maxCellWidth = options.maxCellWidth ?? DEFAULT_MAX_CELL_WIDTH;
    this.footer = options.footer ?? true;
  }

  /** Starts a result set with these columns, dropping any rows collected. */
  columns(cols: TableColumn[]): void {
    this.columnsLaidOut(new ColumnLayout(cols.map((c) => ({ header: formatCell(c.name, this.maxCellWidth), align: c.align }))));
  }

  /**
   * Starts a result set with columns already laid out: `laidOut` of a collector with the same
   * maxCellWidth. A result set with the columns of the one before (a statement run again) need
   * not lay its header out again. The columns are only read, never changed; the layout keeps
   * the header last rendered for them.
   */
  columnsLaidOut(layout: ColumnLayout): void {
    this.layout = layout;
    this.kept = [];
    this.total = 0;
  }

  /** The columns of the result set as laid out (see columnsLaidOut). */
  get laidOut(): ColumnLayout {
    return this.layout;
  }

  /** Whether the next row will be kept (false once maxRows are). */
  wantsRow(): boolean {
    return this.kept.length < this.maxRows;
  }

  /** A row, one value per column (NULL as null); missing values are NULL, extra ones ignored. */
  row(values: readonly (string | null)[]): void {
    this.total++;
    if (!this.wantsRow()) return;
    const n = this.layout.columns.length;
    const cells = new Array<Cell>(n);
    for (let j = 0; j < n; j++) cells[j] = formatCell(values[j] ?? null, this.maxCellWidth);
    this.kept.push(cells);
  }

  /** The columns a cell may span: what rowCells' cells must be laid out for (formatCell, formatCellBytes). */
  get cellWidth(): number {
    return this.maxCellWidth;
  }

  /** A row given as its cells, laid out for cellWidth; missing cells are NULL, extra ones ignored. */
  rowCells(cells: Cell[]): void {
    this.total++;
    if (!this.wantsRow()) return;
    const n = this.layout.columns.length;
    if (cells.length > n) cells.length = n;
    this.kept.push(cells);
  }

  /** Counts rows not passed in (the caller did not decode them). */
  skip(n = 1): void {
    this.total += Math.max(0, Math.floor(n));
  }

  /** Rows seen so far, kept or not. */
  get count(): number {
    return this.total;
  }

  /** The result set as psql prints it, with `(N rows; first M shown)` when rows were left out. */
  render(): string {
    return renderCells(this.layout, this.kept, this.total, this.footer);
  }
}
