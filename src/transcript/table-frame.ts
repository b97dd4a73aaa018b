/**
 * A result table recorded as its values, laid out when the recording is
 * read: the database observers keep a result set's rows as the bytes the
 * server sent (up to what a cell can show) instead of decoding and laying
 * each one out as it passes, and the recorder writes them as one table frame
 * of the terminal stream; readers turn the frame into the text psql would
 * have printed (renderTableFrame), the same text RowCollector renders.
 *
 *   payload := version:u8 (1) | flags:u8 (bit 0: footer) | total:u48be
 *              | cellWidth:varint | columns:varint | column* | row*
 *   column  := align:u8 (0 left, 1 right) | nameLength:varint | name:utf8
 *   row     := cell × columns
 *   cell    := 0 (NULL) | 1 length:varint utf8 (a value as sent, laid out by formatCell)
 *              | 2 length:varint utf8 (a value already shown as its protocol shows it)
 *
 * Invariants:
 * - renderTableFrame(rows.payload()) is what a RowCollector of the same
 *   maxRows and options renders when given the same columns, each kept value
 *   decoded from its bytes as UTF-8 (U+FFFD for a bad sequence) and the same
 *   shown values: a value is kept only as far as formatCell looks
 *   (cellPrefixKept), which lays the cut value out as the whole;
 * - memory is bounded by maxRows × columns × cellPrefixKept(maxCellWidth);
 *   rows past maxRows are only counted;
 * - a payload that is not one of these throws RecordingError, after work
 *   bounded by its length;
 * - a TableBuffer's buffer is held by one TableRows at a time: lent when one
 *   starts, given back by done(), after which that TableRows holds nothing.
 */
import { RecordingError } from '../errors.js';
import { varintLength, writeVarint } from '../recording/varint.js';
import { type Cell, cellPrefixKept, DEFAULT_MAX_CELL_WIDTH, formatCell } from './display.js';
import { RowCollector, type RowCollectorOptions } from './rows.js';
import { ColumnLayout, type TableColumn } from './table.js';

const VERSION = 1;
const FOOTER = 1;
const CELL_NULL = 0;
const CELL_VALUE = 1;
const CELL_SHOWN = 2;
/** version, flags, total */
const FIXED = 8;

/** Buffers up to this size are cut from shared slabs (allocate()). */
const SMALL = 4096;
const SLAB = 64 * 1024;
/** The largest buffer a TableBuffer keeps for the next result set. */
const RETAINED = 64 * 1024;
/** A TableRows' buffer once done() (never one before: a lent or allocated buffer has room). */
const EMPTY = new Uint8Array(0);
/** What a TableRows copies from when it copies from nothing (a constant: reading EMPTY.buffer is a call into V8). */
const NO_BUFFER = new ArrayBuffer(0);

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

const NO_COLUMNS = new ColumnLayout([]);
NO_COLUMNS.encoded = Uint8Array.of(0);

/**
 * One connection's buffer for its result tables, lent to its result sets in turn (a connection
 * keeps one result set's rows at a time, a MySQL cursor's aside): their rows go into a buffer
 * already grown to the connection's tables rather than into one grown afresh, by doubling from
 * 256 bytes, for every result set. A large table's growth had cost a zeroed ArrayBuffer per
 * doubling and the collections their external memory brought on, and a small one's a view of a
 * slab (allocate()) per result set. A TableRows with a lender grows in buffers of its own, and
 * only such a buffer, of at most RETAINED bytes, is kept back: a piece of a slab kept by an idle
 * connection would keep the whole slab.
 */
export class TableBuffer {
  private kept: Uint8Array | undefined;

  /** The kept buffer, which this no longer holds; undefined when it is lent out or there is none. */
  lend(): Uint8Array | undefined {
    const b = this.kept;
    this.kept = undefined;
    return b;
  }

  giveBack(b: Uint8Array): void {
    if (b.length <= RETAINED && b.byteLength === b.buffer.byteLength) this.kept = b;
  }
}

/** A result set's rows, kept as their values for a table frame. */
export class TableRows {
  private readonly maxRows: number;
  private readonly maxCellWidth: number;
  private readonly footer: boolean;
  private readonly keptBytes: number;
  private readonly keptUnits: number;
  private readonly prefix: number;
  private layout = NO_COLUMNS;
  private buf: Uint8Array;
  private length: number;
  private kept = 0;
  private total = 0;
  /** Where the open row starts, and how many of its cells are written. */
  private rowStart = -1;
  private cells = 0;
  /** The last array valueCell copied from, and its ArrayBuffer and offset in it (see sourceView). */
  private source: Uint8Array | null = null;
  private sourceBuffer: ArrayBufferLike = NO_BUFFER;
  private sourceOffset = 0;

  /** `lender`: the connection's TableBuffer, whose buffer this keeps its rows in until done(). */
  constructor(
    maxRows: number,
    options: RowCollectorOptions = {},
    private readonly lender?: TableBuffer,
  ) {
    this.maxRows = Math.max(0, Math.floor(maxRows));
    this.maxCellWidth = options.maxCellWidth ?? DEFAULT_MAX_CELL_WIDTH;
    this.footer = options.footer ?? true;
    ({ bytes: this.keptBytes, units: this.keptUnits } = cellPrefixKept(this.maxCellWidth));
    this.prefix = FIXED + varintLength(this.maxCellWidth);
    this.buf = lender?.lend() ?? this.newBuffer(this.prefix + 256);
    this.length = this.prefix;
    this.setColumns(NO_COLUMNS);
  }

  /** Starts a result set with these columns, dropping any rows kept. */
  columns(cols: readonly TableColumn[]): void {
    const layout = new ColumnLayout(cols.map((c) => ({ header: formatCell(c.name, this.maxCellWidth), align: c.align })));
    layout.encoded = encodeColumns(cols);
    this.setColumns(layout);
  }

  /**
   * Starts a result set with the columns of `laidOut` of an earlier TableRows with the same
   * maxCellWidth: a statement run again reuses its columns' encoding and header.
   */
  columnsLaidOut(layout: ColumnLayout): void {
    if (layout.encoded === undefined) throw new TypeError('columns laid out elsewhere than by a TableRows');
    this.setColumns(layout);
  }

  get laidOut(): ColumnLayout {
    return this.layout;
  }

  /** Whether the next row will be kept (false once maxRows are). */
  wantsRow(): boolean {
    return this.kept < this.maxRows;
  }

  /** The columns a shown cell may span. */
  get cellWidth(): number {
    return this.maxCellWidth;
  }

  /** Rows seen so far, kept or not. */
  get count(): number {
    return this.total;
  }

  /** Counts rows not passed in. */
  skip(n = 1): void {
    this.total += Math.max(0, Math.floor(n));
  }

  /** A row of values as shown (NULL as null); missing values are NULL, extra ones ignored. */
  row(values: readonly (string | null)[]): void {
    if (!this.startRow()) return;
    for (const v of values) {
      if (v === null) this.nullCell();
      else this.shownCell(v);
    }
    this.endRow();
  }

  /**
   * Starts a row given cell by cell (nullCell, valueCell, shownCell, then endRow); false when it
   * is past maxRows: it is counted and its cells must not be given.
   */
  startRow(): boolean {
    this.total++;
    if (!this.wantsRow()) return false;
    this.kept++;
    this.rowStart = this.length;
    this.cells = 0;
    return true;
  }

  nullCell(): void {
    if (!this.nextCell()) return;
    this.ensure(1);
    this.buf[this.length++] = CELL_NULL;
  }

  /** A value as the server sent it, UTF-8 text in b[start, end). */
  valueCell(b: Uint8Array, start: number, end: number): void {
    if (!this.nextCell()) return;
    const n = Math.min(end - start, this.keptBytes);
    this.ensure(1 + 5 + n);
    const buf = this.buf;
    buf[this.length++] = CELL_VALUE;
    let at = writeVarint(buf, this.length, n);
    // A short value copied byte by byte: a view of it to copy from would cost more.
    if (n <= 32) for (let i = 0; i < n; i++) buf[at++] = b[start + i]!;
    else {
      buf.set(this.sourceView(b, start, n), at);
      at += n;
    }
    this.length = at;
  }

  /** A value as its protocol shows it (a number, a date, a hex literal). */
  shownCell(text: string): void {
    if (!this.nextCell()) return;
    const shown = text.length > this.keptUnits ? text.slice(0, this.keptUnits) : text;
    this.ensure(1 + 5 + shown.length * 3);
    this.buf[this.length++] = CELL_SHOWN;
    const at = this.length + varintLength(shown.length * 3);
    const { written } = encoder.encodeInto(shown, this.buf.subarray(at));
    this.length = writeVarint(this.buf, this.length, written);
    this.buf.copyWithin(this.length, at, at + written);
    this.length += written;
  }

  /** Ends the open row, its missing cells NULL. */
  endRow(): void {
    const n = this.layout.columns.length;
    while (this.cells < n) this.nullCell();
    this.rowStart = -1;
  }

  /** Gives up the open row's cells and shows it as `text` in every column (a row that could not be read). */
  replaceRow(text: string): void {
    if (this.rowStart < 0) return;
    this.length = this.rowStart;
    this.cells = 0;
    for (let i = 0; i < this.layout.columns.length; i++) this.shownCell(text);
    this.rowStart = -1;
  }

  /** The table frame's payload: valid until this TableRows is given more, or done. */
  payload(): Uint8Array {
    if (this.buf === EMPTY) throw new Error('a TableRows was asked for its payload after done()');
    if (this.rowStart >= 0) this.endRow();
    const b = this.buf;
    b[0] = VERSION;
    b[1] = this.footer ? FOOTER : 0;
    writeU48(b, 2, this.total);
    writeVarint(b, FIXED, this.maxCellWidth);
    return b.subarray(0, this.length);
  }

  /** The payload was used, or is not wanted: the buffer goes back to the lender, and this holds nothing. */
  done(): void {
    this.source = null;
    this.sourceBuffer = NO_BUFFER;
    if (this.buf === EMPTY) return;
    this.lender?.giveBack(this.buf);
    this.buf = EMPTY;
  }

  /** The table as text (what renderTableFrame makes of payload()). */
  render(): string {
    return renderTableFrame(this.payload());
  }

  private setColumns(layout: ColumnLayout): void {
    const columns = layout.encoded!;
    this.layout = layout;
    this.kept = 0;
    this.total = 0;
    this.rowStart = -1;
    this.length = this.prefix;
    this.ensure(columns.length);
    this.buf.set(columns, this.length);
    this.length += columns.length;
  }

  /**
   * `b[start, start + n)` as a Uint8Array of its own over b's memory: half the cost of
   * `b.subarray`, which for a Buffer runs Node's Buffer constructor (its species). The rows of a
   * chunk come from the one array, whose ArrayBuffer and offset are looked up once.
   */
  private sourceView(b: Uint8Array, start: number, n: number): Uint8Array {
    if (b !== this.source) {
      this.source = b;
      this.sourceBuffer = b.buffer;
      this.sourceOffset = b.byteOffset;
    }
    return new Uint8Array(this.sourceBuffer, this.sourceOffset + start, n);
  }

  private nextCell(): boolean {
    return this.rowStart >= 0 && this.cells++ < this.layout.columns.length;
  }

  /** A buffer of n bytes: one of its own when it may go back to the lender, else cut from a slab. */
  private newBuffer(n: number): Uint8Array {
    return this.lender ? new Uint8Array(n) : allocate(n);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = this.newBuffer(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
}

/** The text a table frame's payload stands for: the table as psql prints it. */
export function renderTableFrame(payload: Uint8Array): string {
  const r = new PayloadReader(payload);
  if (r.u8() !== VERSION) throw new RecordingError('table frame of an unknown version');
  const flags = r.u8();
  const total = r.u48();
  const maxCellWidth = r.varint();
  const n = r.varint();
  if (n > payload.length) throw new RecordingError('table frame with more columns than bytes');
  const columns: TableColumn[] = [];
  for (let i = 0; i < n; i++) {
    const align = r.u8() === 1 ? 'right' : 'left';
    columns.push({ name: utf8.decode(r.bytes()), align });
  }
  const rows = new RowCollector(Infinity, { maxCellWidth, footer: (flags & FOOTER) !== 0 });
  rows.columns(columns);
  while (!r.done) {
    const cells = new Array<Cell>(n);
    for (let i = 0; i < n; i++) {
      const tag = r.u8();
      if (tag === CELL_NULL) cells[i] = formatCell(null, maxCellWidth);
      else if (tag === CELL_VALUE || tag === CELL_SHOWN) cells[i] = formatCell(utf8.decode(r.bytes()), maxCellWidth);
      else throw new RecordingError(`table frame cell of unknown kind ${tag}`);
    }
    rows.rowCells(cells);
    // A frame of columns without rows to their cells would loop here for ever.
    if (n === 0) throw new RecordingError('table frame with rows but no columns');
  }
  rows.skip(total - rows.count);
  return rows.render();
}

let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * A buffer of n bytes, a small one cut from a shared slab as Buffer.allocUnsafe cuts its pool
 * (a result set's rows would otherwise cost an ArrayBuffer of their own each); never handed out
 * twice, so the payload of one TableRows is not overwritten by another's.
 */
function allocate(n: number): Uint8Array {
  if (n > SMALL) return new Uint8Array(n);
  if (slabUsed + n > slab.length) {
    slab = new Uint8Array(SLAB);
    slabUsed = 0;
  }
  slabUsed += n;
  return slab.subarray(slabUsed - n, slabUsed);
}

function encodeColumns(cols: readonly TableColumn[]): Uint8Array {
  const names = cols.map((c) => encoder.encode(c.name));
  const out = new Uint8Array(5 + names.reduce((size, name) => size + 6 + name.length, 0));
  let at = writeVarint(out, 0, cols.length);
  cols.forEach((c, i) => {
    out[at++] = c.align === 'right' ? 1 : 0;
    at = writeVarint(out, at, names[i]!.length);
    out.set(names[i]!, at);
    at += names[i]!.length;
  });
  return out.subarray(0, at);
}

class PayloadReader {
  private at = 0;
  constructor(private readonly b: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.b.length;
  }

  u8(): number {
    if (this.at >= this.b.length) throw new RecordingError('table frame cut short');
    return this.b[this.at++]!;
  }

  u48(): number {
    let n = 0;
    for (let i = 0; i < 6; i++) n = n * 256 + this.u8();
    return n;
  }

  varint(): number {
    let n = 0;
    for (let i = 0, scale = 1; i < 6; i++, scale *= 128) {
      const b = this.u8();
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return n;
    }
    throw new RecordingError('table frame varint too long');
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (n > this.b.length - this.at) throw new RecordingError('table frame value runs past its end');
    this.at += n;
    return this.b.subarray(this.at - n, this.at);
  }
}

function writeU48(b: Uint8Array, at: number, n: number): void {
  const v = Math.min(Math.max(0, Math.floor(n)), 2 ** 48 - 1);
  const high = Math.floor(v / 2 ** 32);
  const low = v >>> 0;
  b[at] = high >>> 8;
  b[at + 1] = high & 0xff;
  b[at + 2] = low >>> 24;
  b[at + 3] = (low >>> 16) & 0xff;
  b[at + 4] = (low >>> 8) & 0xff;
  b[at + 5] = low & 0xff;
}
