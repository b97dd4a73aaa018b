/**
 * What the MySQL observer keeps while it follows a connection: the commands
 * waiting for their answers (Pending), the statement being answered (Run),
 * prepared statements, the bounds on each, and the small pure helpers they
 * share. The observer (observer.ts) drives them; the transcript and events a
 * Run becomes are written by RunWriter (run-writer.ts).
 */
import { ELLIPSIS, type TableRows, type TextFacts } from '../../src/transcript/index.js';
import { Command } from './protocol/commands.js';
import type { Param, ParamType } from './protocol/statement-commands.js';
import { Indicator, type BulkValue } from './protocol/bulk.js';
import type { ErrPacket } from './protocol/packets.js';
import { BINARY_CHARSET, ColumnFlag, ColumnType, NOT_FIXED_DECIMALS, formatBinaryValue, type BinaryValue, type ColumnDefinition } from './protocol/resultset.js';
import { keep, MAX_TRACKED, remember } from '../wire/tracked.js';

export { keep, MAX_TRACKED, remember };

/** What is kept of a statement's text, and of a command's packet while it waits behind another. */
export const MAX_KEPT_TEXT = 16_384;
/** What is kept of a bound parameter (and of the data a COM_STMT_SEND_LONG_DATA sent). */
export const MAX_KEPT_PARAM = 1024;

/** Commands the server does not answer. */
export const UNANSWERED: ReadonlySet<number> = new Set([Command.COM_QUIT, Command.COM_STMT_SEND_LONG_DATA, Command.COM_STMT_CLOSE]);

/** The mariadb client's continuation prompt. */
export const CONTINUATION_PROMPT = '    -> ';

export interface LongData {
  head: Buffer;
  bytes: number;
}

export interface Statement {
  text: string;
  /** Whether the text is printable and plain, found once: it is shown at every execute. */
  facts: TextFacts;
  cut: boolean;
  paramCount: number;
  /** The column definitions that followed PREPARE_OK. */
  columns: ColumnDefinition[];
  /** The types last sent (new-params-bound = 1), for an execute that does not send them. */
  types: ParamType[] | undefined;
  /** Parameters given data with COM_STMT_SEND_LONG_DATA since the last execute or reset. */
  longData: Map<number, LongData>;
  /** The open cursor of its last execute: the statement's run, to which COM_STMT_FETCH adds rows. */
  cursor?: Run;
}

/** A statement being answered: a COM_QUERY, a COM_STMT_EXECUTE, a failed COM_STMT_PREPARE, a COM_INIT_DB. */
export interface Run {
  text: string;
  /** The prepared statement's text facts, for an execute. */
  facts: TextFacts | undefined;
  cut: boolean;
  params: (string | null)[] | undefined;
  database: string | null;
  /** When the command arrived (ObserverOutput.now()), for its duration. */
  start: number;
  rows: number;
  error: ErrPacket | undefined;
  binary: boolean;
  columns: ColumnDefinition[];
  expected: number;
  result: TableRows | undefined;
  infile: { file: string; bytes: number } | undefined;
  /** Followed but not shown: no transcript, no event (a result set answering COM_PROCESS_INFO …). */
  silent: boolean;
  /** The connection ended before the answer was complete. */
  interrupted?: boolean;
  /** COM_STMT_BULK_EXECUTE: its packet and statement, read when the answer has come (bulk.ts). */
  bulk?: { payload: Buffer | null; truncated: boolean; statement: Statement | undefined; rows: (string | null)[][]; cut: boolean };
}

export const enum Phase {
  /** Waiting for OK, ERR, LOCAL INFILE request or a column count. */
  First,
  /** The client is sending a LOCAL INFILE's data. */
  Infile,
  Columns,
  ColumnsEof,
  Rows,
  /** PREPARE_OK's parameter and column definitions (and EOFs). */
  PrepareDefs,
  /** One packet, whatever it is, ends the answer. */
  Single,
  /** COM_CHANGE_USER: authentication packets until OK or ERR. */
  Auth,
  /** COM_FIELD_LIST: until ERR or the end packet. */
  UntilEnd,
  /** COM_STMT_FETCH: rows of a cursor until ERR or the end packet. */
  Fetch,
}

export interface Pending {
  command: number;
  /**
   * The command's packet until it is activated (then null): payload[payloadAt, payloadEnd), read
   * where it lies in the framer's chunk when no command waited before it, else a copy of its own.
   */
  payload: Buffer | null;
  payloadAt: number;
  payloadEnd: number;
  truncated: boolean;
  /** The packet's length, whether or not all of it was kept. */
  total: number;
  /** The sequence id the next packet of the answer should have. */
  nextSeq: number;
  /** Packets of the answer seen so far. */
  received: number;
  /** When the command arrived (ObserverOutput.now()). */
  start: number;
  active: boolean;
  phase: Phase;
  run: Run | undefined;
  /** For COM_STMT_PREPARE. */
  prepare?: { text: string; cut: boolean; ok?: { statement: Statement; paramDefs: number; columnCount: number; columnDefs: number; seen: number } };
  /** For COM_INIT_DB and COM_CHANGE_USER: the schema it selects. */
  schema?: string;
  /** For COM_STMT_EXECUTE and COM_STMT_FETCH: the statement, when it is known. */
  statement?: Statement;
}

/** Bulk executes kept whole while waiting behind other commands (each at most the framer's 1 MiB). */
export const MAX_WAITING_BULK = 8;

/** Rows of one bulk execute kept for its events; more are counted as cut. */
export const MAX_BULK_ROWS = 100_000;

/** A bulk row's value as an event parameter: NULL as null, DEFAULT and IGNORE by name in angle brackets. */
export function bulkParam(v: BulkValue, t: ParamType): string | null {
  if ('indicator' in v) return v.indicator === Indicator.Null ? null : v.indicator === Indicator.Default ? '<DEFAULT>' : '<IGNORE>';
  const shown = formatParam(v.value, t.type, t.unsigned);
  return shown === null ? null : keep(shown, MAX_KEPT_PARAM);
}

export function attempt<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

/**
 * decode(payload, capabilities), or undefined when the packet cannot be read. The call is not
 * wrapped in a closure (as attempt's is): a function with a closure over its packet allocates a
 * context for it on every call, whichever branch it takes, and these decode per packet.
 */
export function decoded<T>(
  decode: (payload: Buffer, capabilities: number, start: number, end: number) => T,
  payload: Buffer,
  capabilities: number,
  start = 0,
  end = payload.length,
): T | undefined {
  try {
    return decode(payload, capabilities, start, end);
  } catch {
    return undefined;
  }
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function warnings(n: number): string {
  return n > 0 ? `, ${plural(n, 'warning', 'warnings')}` : '';
}

/** A parameter value as the server would show it in the text protocol. */
export function formatParam(value: BinaryValue, type: number, unsigned: boolean): string | null {
  // Bytes are shown as text when they are printable UTF-8, else as 0x-hex.
  return formatBinaryValue(value, { type, flags: unsigned ? ColumnFlag.UNSIGNED : 0, charset: BINARY_CHARSET, decimals: NOT_FIXED_DECIMALS });
}

/**
 * An execute's parameters as the transcript and the event show them, each kept to MAX_KEPT_PARAM;
 * query attributes (CLIENT_QUERY_ATTRIBUTES) after the statement's own `count` are left out.
 */
export function shownParams(params: readonly Param[], count: number, longData: ReadonlyMap<number, LongData>): (string | null)[] {
  // A plain loop, not slice and map: this runs per execute.
  const n = Math.min(params.length, count);
  const shown = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const q = params[i]!;
    if (q.longData) {
      shown[i] = longDataValue(longData.get(i));
      continue;
    }
    const value = formatParam(q.value, q.type, q.unsigned);
    shown[i] = value === null ? null : keep(value, MAX_KEPT_PARAM);
  }
  return shown;
}

/** Whether an execute bound the types kept for its statement. */
export function sameTypes(kept: readonly ParamType[] | undefined, params: readonly ParamType[]): boolean {
  if (kept === undefined || kept.length !== params.length) return false;
  for (let i = 0; i < params.length; i++) {
    const k = kept[i]!;
    const q = params[i]!;
    if (k.type !== q.type || k.unsigned !== q.unsigned || k.name !== q.name) return false;
  }
  return true;
}

/** The types an execute bound, for the executes that do not send them (copied: a parameter holds a view of its packet). */
export function paramTypes(params: readonly ParamType[]): ParamType[] {
  const types = new Array<ParamType>(params.length);
  for (let i = 0; i < params.length; i++) {
    const q = params[i]!;
    const type: ParamType = { type: q.type, unsigned: q.unsigned };
    if (q.name !== undefined) type.name = q.name;
    types[i] = type;
  }
  return types;
}

/** A value sent with COM_STMT_SEND_LONG_DATA: as far as it was kept, the cut marked. */
export function longDataValue(d: LongData | undefined): string {
  if (!d) return '';
  const shown = formatParam(d.head, ColumnType.BLOB, false) ?? '';
  return d.bytes > d.head.length ? shown + ELLIPSIS : shown;
}

export function unnamedColumn(i: number): ColumnDefinition {
  return {
    catalog: 'def',
    schema: '',
    table: '',
    orgTable: '',
    name: `?column${i + 1}?`,
    orgName: '',
    charset: BINARY_CHARSET,
    columnLength: 0,
    type: ColumnType.VAR_STRING,
    flags: 0,
    decimals: 0,
  };
}

/**
 * The definitions of a result set whose metadata the server left out: those the statement's
 * last answer described, by position, and a name by position for any it did not. `cached`
 * itself when it has them all, as it has for a statement executed again.
 */
export function cachedColumns(cached: ColumnDefinition[], count: number): ColumnDefinition[] {
  if (cached.length === count) return cached;
  const columns = new Array<ColumnDefinition>(count);
  for (let i = 0; i < count; i++) columns[i] = cached[i] ?? unnamedColumn(i);
  return columns;
}

