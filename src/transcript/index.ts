/**
 * The protocol-neutral transcript of a database session: what the person
 * would have seen in psql (Transcript, renderTable, RowCollector; TableRows for
 * a table recorded as its values, renderTableFrame to read it back) and the
 * `query` event recorded per statement (queryEvent). Pure; no I/O.
 */
export { Transcript, type ServerMessage, type TranscriptOptions, MAX_SHOWN_PARAMS, MAX_STATEMENT_CHARS, quoteParam, errorPosition } from './transcript.js';
export { renderTable, renderCells, footerLine, ColumnLayout, type TableInput, type TableColumn, type Align, type FormattedColumn } from './table.js';
export { LayoutCache, DEFAULT_LAYOUTS, MAX_LAYOUT_COLUMNS } from './layouts.js';
export { RowCollector, type RowCollectorOptions } from './rows.js';
export { TableBuffer, TableRows, renderTableFrame } from './table-frame.js';
export { queryEvent, queryEventJson, cutUtf8, type QueryInput, type QueryEvent, INTERRUPTED, MAX_TEXT_BYTES, MAX_PARAMS, MAX_PARAM_BYTES, MAX_FIELD_BYTES } from './query-event.js';
export { formatCell, formatCellBytes, displayWidth, safeLine, safeLines, charWidth, escapeCodePoint, type Cell, type CellLine, DEFAULT_MAX_CELL_WIDTH, ELLIPSIS } from './display.js';
export { lineStates, promptFor, type LineState } from './sql-prompt.js';
export { textFacts, noteStatementText, type TextFacts } from './plain-text.js';
