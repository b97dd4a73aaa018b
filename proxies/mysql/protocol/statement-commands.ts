/**
 * The prepared-statement commands (MySQL Source Code Documentation,
 * "Client/Server Protocol", section "Prepared Statements"; MariaDB Knowledge
 * Base, "3 - Binary Protocol (Prepared Statements)"), the server's
 * COM_STMT_PREPARE_OK, and the parameter block that COM_STMT_EXECUTE and
 * COM_QUERY's query attributes (query-command.ts) share.
 *
 *   COM_STMT_PREPARE 0x16         query:string<EOF>
 *   COM_STMT_EXECUTE 0x17         statement id:int<4> | flags:int<1> | iterations:int<4>
 *                                 | if params > 0 (or, with CLIENT_QUERY_ATTRIBUTES, flag
 *                                   PARAMETER_COUNT_AVAILABLE):
 *                                   [with CLIENT_QUERY_ATTRIBUTES: count:int<lenenc>]
 *                                   if count > 0: NULL bitmap ((count + 7) / 8 bytes)
 *                                   | new params bound:int<1> | if 1: (type:int<2>
 *                                   [| with CLIENT_QUERY_ATTRIBUTES: name:string<lenenc>]) * count
 *                                   | values (binary protocol; none for NULLs, nor for
 *                                   parameters sent with COM_STMT_SEND_LONG_DATA)
 *   COM_STMT_SEND_LONG_DATA 0x18  statement id:int<4> | parameter:int<2> | data:string<EOF>
 *   COM_STMT_CLOSE 0x19 | COM_STMT_RESET 0x1A   statement id:int<4>
 *   COM_STMT_FETCH 0x1C           statement id:int<4> | rows:int<4>
 *
 *   COM_STMT_PREPARE_OK (server)  0x00 | statement id:int<4> | columns:int<2>
 *                                 | params:int<2> | 0x00 [| warnings:int<2>
 *                                 [| with CLIENT_OPTIONAL_RESULTSET_METADATA: metadata follows:int<1>]]
 *
 * A parameter type's first byte is a column type (values.ts); its second
 * has 0x80 set for unsigned integers. COM_STMT_EXECUTE's parameter count
 * is the prepared statement's (from its COM_STMT_PREPARE_OK), and when the
 * new-params-bound flag is 0 its types are those of the statement's last
 * execute that sent them: both are for the caller to remember and supply.
 *
 * Invariants: payloads must hold exactly their fields (COM_STMT_PREPARE
 * decodes even when the framer cut it, as the query is the last field);
 * strings are UTF-8; byte fields are zero-copy subarrays.
 */
import { Capability } from './capabilities.js';
import { Command, commandName, commandReader, commandWriter, expectCommand } from './commands.js';
import { PayloadWriter } from './payload-writer.js';
import { PARAM_UNSIGNED, readBinaryValue, writeBinaryValue, type BinaryValue } from './values.js';
import { PayloadReader, hexByte } from './wire.js';

/** COM_STMT_EXECUTE flags: a cursor type, and MySQL's PARAMETER_COUNT_AVAILABLE. */
export const enum ExecuteFlag {
  CURSOR_TYPE_NO_CURSOR = 0x0,
  CURSOR_TYPE_READ_ONLY = 0x1,
  CURSOR_TYPE_FOR_UPDATE = 0x2,
  CURSOR_TYPE_SCROLLABLE = 0x4,
  PARAMETER_COUNT_AVAILABLE = 0x8,
}

const NEW_PARAMS_BOUND = 1;

export interface ParamType {
  /** A column type (values.ts ColumnType). */
  type: number;
  unsigned: boolean;
  /** With CLIENT_QUERY_ATTRIBUTES: the name ('' for a positional parameter). */
  name?: string;
}

export interface Param extends ParamType {
  /** null for SQL NULL, and for a parameter whose data came in COM_STMT_SEND_LONG_DATA. */
  value: BinaryValue;
  /** Set when the value was sent beforehand with COM_STMT_SEND_LONG_DATA. */
  longData?: true;
}

export interface StmtPrepareOk {
  statementId: number;
  columnCount: number;
  paramCount: number;
  warnings: number;
  /** False when (under CLIENT_OPTIONAL_RESULTSET_METADATA) no column definitions follow. */
  metadataFollows: boolean;
}

export interface StmtExecute {
  statementId: number;
  /** ExecuteFlag bits. */
  flags: number;
  iterationCount: number;
  /** True when this execute sends the parameter types (and so sets them for later ones). */
  newParamsBound: boolean;
  /** The parameters; null when their types were needed but not supplied, and so the values unknown. */
  params: Param[] | null;
}

export interface StmtExecuteContext {
  /** The prepared statement's parameter count (COM_STMT_PREPARE_OK). */
  paramCount: number;
  capabilities: number;
  /** The types last sent for this statement, for an execute that does not send them. */
  previousTypes?: readonly ParamType[];
  /** Parameters (0-based) given data with COM_STMT_SEND_LONG_DATA since the statement's last execute or reset. */
  longData?: ReadonlySet<number>;
}

/** Reads a parameter block: NULL bitmap, new-params-bound flag, types [and names], values. */
export function readParams(
  r: PayloadReader,
  count: number,
  named: boolean,
  previousTypes: readonly ParamType[] | undefined,
  longData: ReadonlySet<number> | undefined,
): { newParamsBound: boolean; params: Param[] | null } {
  // The NULL bitmap is read where it lies (a view of it would cost more than the bits).
  const bitmap = r.position;
  r.skip((count + 7) >>> 3, 'the NULL bitmap');
  const bound = r.int1('the new-params-bound flag');
  if (bound > 1) r.fail(`has new-params-bound flag ${bound}, not 0 or 1`);
  let types: readonly ParamType[];
  if (bound === NEW_PARAMS_BOUND) {
    r.expectRoom(count, 'parameter types', named ? 3 : 2);
    const sent = new Array<ParamType>(count);
    for (let i = 0; i < count; i++) {
      const type = r.int1('the type of parameter', i);
      const flags = r.int1('the type flags of parameter', i);
      const t: ParamType = { type, unsigned: (flags & PARAM_UNSIGNED) !== 0 };
      if (named) t.name = r.lenencString('the name of parameter', i);
      sent[i] = t;
    }
    types = sent;
  } else if (previousTypes !== undefined && previousTypes.length >= count) {
    types = previousTypes;
  } else {
    return { newParamsBound: false, params: null };
  }
  const params = new Array<Param>(count);
  for (let i = 0; i < count; i++) {
    const t = types[i]!;
    const param: Param = { type: t.type, unsigned: t.unsigned, value: null };
    if (t.name !== undefined) param.name = t.name;
    if (longData?.has(i)) param.longData = true;
    else if (!r.bitAt(bitmap, i)) param.value = readBinaryValue(r, t.type, t.unsigned, i);
    params[i] = param;
  }
  return { newParamsBound: bound === NEW_PARAMS_BOUND, params };
}

/** Writes a parameter block; types are sent when `bind` (with names when `named`). */
export function writeParams(w: PayloadWriter, params: readonly Param[], bind: boolean, named: boolean): void {
  const bitmap = Buffer.alloc((params.length + 7) >>> 3);
  params.forEach((p, i) => {
    if (p.value === null && !p.longData) bitmap[i >>> 3] = bitmap[i >>> 3]! | (1 << (i & 7));
  });
  w.bytes(bitmap).int1(bind ? NEW_PARAMS_BOUND : 0);
  if (bind) {
    for (const p of params) {
      w.int1(p.type).int1(p.unsigned ? PARAM_UNSIGNED : 0);
      if (named) w.lenencString(p.name ?? '');
    }
  }
  for (const p of params) if (p.value !== null && !p.longData) writeBinaryValue(w, 'client', p.type, p.unsigned, p.value);
}

export function decodeStmtPrepare(payload: Buffer): { query: string } {
  const r = commandReader(payload, 'COM_STMT_PREPARE');
  expectCommand(r, Command.COM_STMT_PREPARE);
  return { query: r.restString() };
}

export function encodeStmtPrepare(query: string): Buffer {
  return commandWriter().int1(Command.COM_STMT_PREPARE).string(query).finish();
}

/** The server's COM_STMT_PREPARE_OK. */
export function decodeStmtPrepareOk(payload: Buffer, capabilities: number): StmtPrepareOk {
  const r = new PayloadReader(payload, 'server', 'COM_STMT_PREPARE_OK');
  const header = r.int1('the header');
  if (header !== 0) r.fail(`starts with ${hexByte(header)}, not 0x00`);
  const ok: StmtPrepareOk = {
    statementId: r.int4('the statement id'),
    columnCount: r.int2('the column count'),
    paramCount: r.int2('the parameter count'),
    warnings: 0,
    metadataFollows: true,
  };
  r.skip(1, 'the filler');
  if (r.remaining > 0) {
    ok.warnings = r.int2('the warning count');
    if (capabilities & Capability.CLIENT_OPTIONAL_RESULTSET_METADATA && r.remaining > 0) {
      const flag = r.int1('the metadata flag');
      if (flag > 1) r.fail(`has metadata flag ${flag}, not 0 or 1`);
      ok.metadataFollows = flag === 1;
    }
  }
  r.end();
  return ok;
}

export function encodeStmtPrepareOk(ok: StmtPrepareOk, capabilities: number): Buffer {
  const w = new PayloadWriter('server').int1(0).int4(ok.statementId).int2(ok.columnCount).int2(ok.paramCount).int1(0).int2(ok.warnings);
  if (capabilities & Capability.CLIENT_OPTIONAL_RESULTSET_METADATA) w.int1(ok.metadataFollows ? 1 : 0);
  return w.finish();
}

/** The COM_STMT_EXECUTE at `payload[start, end)` (by default the whole of `payload`). */
export function decodeStmtExecute(payload: Buffer, context: StmtExecuteContext, start = 0, end = payload.length): StmtExecute {
  const r = commandReader(payload, 'COM_STMT_EXECUTE', start, end);
  expectCommand(r, Command.COM_STMT_EXECUTE);
  const execute: StmtExecute = {
    statementId: r.int4('the statement id'),
    flags: r.int1('the flags'),
    iterationCount: r.int4('the iteration count'),
    newParamsBound: false,
    params: [],
  };
  const attributes = (context.capabilities & Capability.CLIENT_QUERY_ATTRIBUTES) !== 0;
  let count = context.paramCount;
  if (count > 0 || (attributes && execute.flags & ExecuteFlag.PARAMETER_COUNT_AVAILABLE)) {
    if (attributes) {
      const sent = r.lenencInt('the parameter count');
      r.expectRoom(sent, 'parameters', 1 / 8);
      count = Number(sent);
    }
    if (count > 0) {
      const block = readParams(r, count, attributes, context.previousTypes, context.longData);
      execute.newParamsBound = block.newParamsBound;
      execute.params = block.params;
      if (block.params === null) return execute;
    }
  }
  r.end();
  return execute;
}

/**
 * Writes a COM_STMT_EXECUTE; `params` must number what the statement was
 * prepared with (plus any query attributes). Types are sent when `bind`.
 */
export function encodeStmtExecute(
  e: Pick<StmtExecute, 'statementId' | 'flags' | 'iterationCount'>,
  params: readonly Param[],
  capabilities: number,
  bind = true,
): Buffer {
  const w = commandWriter().int1(Command.COM_STMT_EXECUTE).int4(e.statementId).int1(e.flags).int4(e.iterationCount);
  const attributes = (capabilities & Capability.CLIENT_QUERY_ATTRIBUTES) !== 0;
  if (params.length > 0 || (attributes && e.flags & ExecuteFlag.PARAMETER_COUNT_AVAILABLE)) {
    if (attributes) w.lenencInt(params.length, 'parameter count');
    if (params.length > 0) writeParams(w, params, bind, attributes);
  }
  return w.finish();
}

export function decodeStmtSendLongData(payload: Buffer): { statementId: number; paramId: number; data: Buffer } {
  const r = commandReader(payload, 'COM_STMT_SEND_LONG_DATA');
  expectCommand(r, Command.COM_STMT_SEND_LONG_DATA);
  const statementId = r.int4('the statement id');
  const paramId = r.int2('the parameter id');
  return { statementId, paramId, data: r.rest() };
}

export function encodeStmtSendLongData(statementId: number, paramId: number, data: Uint8Array): Buffer {
  return commandWriter().int1(Command.COM_STMT_SEND_LONG_DATA).int4(statementId).int2(paramId).bytes(data).finish();
}

function decodeStatementCommand(payload: Buffer, command: Command): { statementId: number } {
  const r = commandReader(payload, commandName(command));
  expectCommand(r, command);
  const statementId = r.int4('the statement id');
  r.end();
  return { statementId };
}

export function decodeStmtClose(payload: Buffer): { statementId: number } {
  return decodeStatementCommand(payload, Command.COM_STMT_CLOSE);
}

export function encodeStmtClose(statementId: number): Buffer {
  return commandWriter().int1(Command.COM_STMT_CLOSE).int4(statementId).finish();
}

export function decodeStmtReset(payload: Buffer): { statementId: number } {
  return decodeStatementCommand(payload, Command.COM_STMT_RESET);
}

export function encodeStmtReset(statementId: number): Buffer {
  return commandWriter().int1(Command.COM_STMT_RESET).int4(statementId).finish();
}

export function decodeStmtFetch(payload: Buffer): { statementId: number; rows: number } {
  const r = commandReader(payload, 'COM_STMT_FETCH');
  expectCommand(r, Command.COM_STMT_FETCH);
  const statementId = r.int4('the statement id');
  const rows = r.int4('the row count');
  r.end();
  return { statementId, rows };
}

export function encodeStmtFetch(statementId: number, rows: number): Buffer {
  return commandWriter().int1(Command.COM_STMT_FETCH).int4(statementId).int4(rows).finish();
}
