/**
 * Result sets (MySQL Source Code Documentation, "Client/Server Protocol",
 * sections "Text Resultset", "Column Definition", "Binary Protocol
 * Resultset" and "Binary Protocol Resultset Row"; MariaDB Knowledge Base,
 * "Result Set Packets" and "Resultset row"):
 *
 *   column count   count:int<lenenc>
 *                  | metadata follows:int<1> (0 or 1), only with
 *                    CLIENT_OPTIONAL_RESULTSET_METADATA or MARIADB_CLIENT_CACHE_METADATA
 *   ColumnDefinition41  catalog ("def") | schema | table | org_table | name
 *                  | org_name (all string<lenenc>)
 *                  | with MARIADB_CLIENT_EXTENDED_METADATA: string<lenenc> of
 *                    (key:int<1> (0 type name, 1 format) | value:string<lenenc>)*
 *                  | 0x0C:int<lenenc> | charset:int<2> | column length:int<4>
 *                  | type:int<1> | flags:int<2> | decimals:int<1> | 0x0000
 *                  | in a COM_FIELD_LIST answer: default value:string<lenenc> (0xFB: none)
 *   text row       a string<lenenc> per column, 0xFB for NULL
 *   binary row     0x00 | NULL bitmap: (columns + 9) / 8 bytes, column i at bit i + 2
 *                  | the non-NULL values, binary protocol (values.ts)
 *
 * A result set is: column count, column definitions (unless metadata is
 * skipped), an EOF packet unless CLIENT_DEPRECATE_EOF, the rows, then an EOF
 * packet (or, under CLIENT_DEPRECATE_EOF, an OK packet with header 0xFE) or
 * an ERR packet; packets.ts's isResultSetEnd tells the end from a row. In
 * the response to a query, 0x00 starts an OK packet, 0xFF an ERR packet,
 * 0xFB a LOCAL INFILE request, anything else a column count.
 *
 * Invariants: payloads must hold exactly their fields; row values are
 * zero-copy subarrays of the payload; a count the payload cannot hold is
 * refused before anything is allocated for it.
 */
import { MariaDbCapability, Capability } from './capabilities.js';
import { ColumnFlag, ColumnType, readBinaryValue, writeBinaryValue, type BinaryValue } from './values.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader, hexByte, protocolError } from './wire.js';

export {
  BINARY_CHARSET,
  ColumnFlag,
  ColumnType,
  NOT_FIXED_DECIMALS,
  RIGHT_ALIGNED_TYPES,
  formatBinaryValue,
  formatTextValue,
  hexLiteral,
  isPrintableUtf8,
  type BinaryValue,
  type ColumnFormat,
  type MysqlDateTime,
  type MysqlTime,
} from './values.js';

export interface ColumnCount {
  count: number;
  /** False when the server skipped the column definitions (metadata caching or resultset_metadata=NONE). */
  metadataFollows: boolean;
}

export interface ColumnDefinition {
  catalog: string;
  schema: string;
  /** The table's alias in the query. */
  table: string;
  orgTable: string;
  /** The column's alias in the query. */
  name: string;
  orgName: string;
  /** Collation id; 63 is binary. */
  charset: number;
  columnLength: number;
  type: number;
  flags: number;
  decimals: number;
  /** MariaDB extended metadata: the data type name ("json", "uuid", "inet6", "point"). */
  extendedType?: string;
  /** MariaDB extended metadata: the format ("json"). */
  extendedFormat?: string;
  /** Only in answers to COM_FIELD_LIST: the default value, null for none. */
  defaultValue?: Buffer | null;
}

const enum ExtendedMetadata {
  Type = 0,
  Format = 1,
}

/** The length of ColumnDefinition41's fixed fields. */
const FIXED_FIELDS_LENGTH = 0x0c;
const BINARY_ROW_HEADER = 0x00;

const reader = (payload: Buffer, name: string, start = 0, end = payload.length) => new PayloadReader(payload, 'server', name, start, end);

/** True when the column count packet carries the metadata-follows byte. */
function hasMetadataFlag(capabilities: number, mariadbCapabilities: number): boolean {
  return (capabilities & Capability.CLIENT_OPTIONAL_RESULTSET_METADATA) !== 0 || (mariadbCapabilities & MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA) !== 0;
}

/** The column count packet at `payload[start, end)` (by default the whole of `payload`). */
export function decodeColumnCount(payload: Buffer, capabilities: number, mariadbCapabilities = 0, start = 0, end = payload.length): ColumnCount {
  const r = reader(payload, 'column count packet', start, end);
  const n = r.lenencInt('the column count');
  // 0 would be an OK packet; servers cap columns far below 65536.
  if (n === 0 || n > 0xffff) r.fail(`announces ${n} columns`);
  let metadataFollows = true;
  if (hasMetadataFlag(capabilities, mariadbCapabilities)) {
    const flag = r.int1('the metadata flag');
    if (flag > 1) r.fail(`has metadata flag ${flag}, not 0 or 1`);
    metadataFollows = flag === 1;
  }
  r.end();
  return { count: Number(n), metadataFollows };
}

export function encodeColumnCount(count: number, capabilities: number, mariadbCapabilities = 0, metadataFollows = true): Buffer {
  const w = new PayloadWriter('server').lenencInt(count, 'column count');
  if (hasMetadataFlag(capabilities, mariadbCapabilities)) w.int1(metadataFollows ? 1 : 0);
  return w.finish();
}

export function decodeColumnDefinition(payload: Buffer, mariadbCapabilities = 0): ColumnDefinition {
  const r = reader(payload, 'column definition');
  const catalog = r.lenencString('the catalog');
  const schema = r.lenencString('the schema');
  const table = r.lenencString('the table');
  const orgTable = r.lenencString('the original table');
  const name = r.lenencString('the name');
  const orgName = r.lenencString('the original name');
  let extendedType: string | undefined;
  let extendedFormat: string | undefined;
  if (mariadbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_METADATA) {
    const e = reader(r.lenencBytes('the extended metadata'), 'column definition extended metadata');
    for (let i = 0; e.remaining > 0; i++) {
      const key = e.int1('the key of entry', i);
      const value = e.lenencString('entry', i);
      if (key === ExtendedMetadata.Type) extendedType = value;
      else if (key === ExtendedMetadata.Format) extendedFormat = value;
    }
  }
  const fixed = r.lenencInt('the length of the fixed fields');
  if (fixed !== FIXED_FIELDS_LENGTH) r.fail(`gives its fixed fields a length of ${fixed}, not 12`);
  const column: ColumnDefinition = {
    catalog,
    schema,
    table,
    orgTable,
    name,
    orgName,
    charset: r.int2('the character set'),
    columnLength: r.int4('the column length'),
    type: r.int1('the type'),
    flags: r.int2('the flags'),
    decimals: r.int1('the decimals'),
  };
  r.skip(2, 'the filler');
  if (extendedType !== undefined) column.extendedType = extendedType;
  if (extendedFormat !== undefined) column.extendedFormat = extendedFormat;
  if (r.remaining > 0) column.defaultValue = r.nullableLenencBytes('the default value');
  r.end();
  return column;
}

export function encodeColumnDefinition(c: ColumnDefinition, mariadbCapabilities = 0): Buffer {
  const w = new PayloadWriter('server')
    .lenencString(c.catalog)
    .lenencString(c.schema)
    .lenencString(c.table)
    .lenencString(c.orgTable)
    .lenencString(c.name)
    .lenencString(c.orgName);
  if (mariadbCapabilities & MariaDbCapability.MARIADB_CLIENT_EXTENDED_METADATA) {
    const e = new PayloadWriter('server');
    if (c.extendedType !== undefined) e.int1(ExtendedMetadata.Type).lenencString(c.extendedType);
    if (c.extendedFormat !== undefined) e.int1(ExtendedMetadata.Format).lenencString(c.extendedFormat);
    w.lenencBytes(e.finish());
  }
  w.int1(FIXED_FIELDS_LENGTH).int2(c.charset).int4(c.columnLength).int1(c.type).int2(c.flags).int1(c.decimals).int2(0);
  if (c.defaultValue === null) w.int1(0xfb);
  else if (c.defaultValue !== undefined) w.lenencBytes(c.defaultValue);
  return w.finish();
}

/**
 * A text-protocol row of `columnCount` values, at `payload[start, end)`, opened for reading in
 * place: each is 0xFB (NULL) or a string<lenenc> (PayloadReader.nullableLenencStart); `end()`
 * once all are read.
 */
export function openTextRow(payload: Buffer, columnCount: number, start = 0, end = payload.length): PayloadReader {
  const r = reader(payload, 'text row', start, end);
  r.expectRoom(columnCount, 'columns', 1);
  return r;
}

/** A text-protocol row of `columnCount` values; null for SQL NULL. */
export function decodeTextRow(payload: Buffer, columnCount: number): (Buffer | null)[] {
  const r = openTextRow(payload, columnCount);
  const values = new Array<Buffer | null>(columnCount);
  for (let i = 0; i < columnCount; i++) values[i] = r.nullableLenencBytes('column', i);
  r.end();
  return values;
}

export function encodeTextRow(values: readonly (Uint8Array | string | null)[]): Buffer {
  const w = new PayloadWriter('server');
  for (const v of values) {
    if (v === null) w.int1(0xfb);
    else if (typeof v === 'string') w.lenencString(v);
    else w.lenencBytes(v);
  }
  return w.finish();
}

/** What decoding a binary row needs to know about each column. */
export interface BinaryColumn {
  type: number;
  flags: number;
}

/**
 * A binary-protocol row of `columnCount` values, at `payload[start, end)`, opened for reading
 * in place: its header checked and its NULL bitmap stepped over (binaryNull reads it); the
 * reader is at the first value that is not NULL, and `end()` once all are read.
 */
export function openBinaryRow(payload: Buffer, columnCount: number, start = 0, end = payload.length): PayloadReader {
  const r = reader(payload, 'binary row', start, end);
  const header = r.int1('the header');
  if (header !== BINARY_ROW_HEADER) r.fail(`starts with ${hexByte(header)}, not 0x00`);
  r.skip((columnCount + 9) >>> 3, 'the NULL bitmap');
  return r;
}

/**
 * Where the values of the binary row at `payload[start, end)` start, past its header and NULL
 * bitmap, checked as openBinaryRow checks them, and without a reader unless it refuses them.
 */
export function binaryRowValuesAt(payload: Buffer, columnCount: number, start: number, end: number): number {
  const at = start + 1 + ((columnCount + 9) >>> 3);
  if (at <= end && payload[start] === BINARY_ROW_HEADER) return at;
  return openBinaryRow(payload, columnCount, start, end).position;
}

/**
 * A reader of the binary row at `payload[start, end)` from `at`, a position between two of its
 * values (binaryRowValuesAt's, or past a value), for the values read with one.
 */
export function binaryRowReader(payload: Buffer, at: number, end: number): PayloadReader {
  return reader(payload, 'binary row', at, end);
}

/**
 * Whether value `i` of a binary row (openBinaryRow checked it) starting at `payload[start]` is
 * NULL: its bit, offset by 2, in the bitmap after the header.
 */
export function binaryNull(payload: Buffer, i: number, start = 0): boolean {
  const bit = i + 2;
  return (payload[start + 1 + (bit >>> 3)]! & (1 << (bit & 7))) !== 0;
}

/** A binary-protocol row; the values are as values.ts's readBinaryValue gives them. */
export function decodeBinaryRow(payload: Buffer, columns: readonly BinaryColumn[]): BinaryValue[] {
  const n = columns.length;
  const r = openBinaryRow(payload, n);
  const values = new Array<BinaryValue>(n);
  for (let i = 0; i < n; i++) {
    if (binaryNull(payload, i)) {
      values[i] = null;
      continue;
    }
    const column = columns[i]!;
    values[i] = readBinaryValue(r, column.type, (column.flags & ColumnFlag.UNSIGNED) !== 0, i);
  }
  r.end();
  return values;
}

export function encodeBinaryRow(values: readonly (Exclude<BinaryValue, null> | string | null)[], columns: readonly BinaryColumn[]): Buffer {
  if (values.length !== columns.length) throw protocolError('server', `binary row of ${values.length} values for ${columns.length} columns`);
  const n = columns.length;
  const bitmap = Buffer.alloc((n + 9) >>> 3);
  // The writer keeps a view of the bitmap, so bits set below still go out.
  const w = new PayloadWriter('server').int1(BINARY_ROW_HEADER).bytes(bitmap);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const column = columns[i]!;
    if (v === null || column.type === ColumnType.NULL) {
      const bit = i + 2;
      bitmap[bit >>> 3] = bitmap[bit >>> 3]! | (1 << (bit & 7));
    } else {
      writeBinaryValue(w, 'server', column.type, (column.flags & ColumnFlag.UNSIGNED) !== 0, v);
    }
  }
  return w.finish();
}
