/**
 * Commands a client sends once logged in (MySQL Source Code Documentation,
 * "Client/Server Protocol", sections "Text Protocol", "Prepared Statements"
 * and "Utility Commands"; MariaDB Knowledge Base, "2 - Text Protocol" and
 * "3 - Binary Protocol (Prepared Statements)"). Each starts a new exchange:
 * its packet has sequence id 0, and the first byte says which it is.
 *
 *   COM_QUIT 0x01 | COM_STATISTICS 0x09 | COM_PING 0x0E | COM_RESET_CONNECTION 0x1F
 *                                 nothing more
 *   COM_INIT_DB 0x02              schema:string<EOF>
 *   COM_QUERY 0x03                [with CLIENT_QUERY_ATTRIBUTES: count:int<lenenc>
 *                                 | sets:int<lenenc> (1) | if count > 0: NULL bitmap
 *                                 ((count + 7) / 8 bytes, bit offset 0) | 0x01
 *                                 | (type:int<2> | name:string<lenenc>) * count
 *                                 | values (binary protocol)] | query:string<EOF>
 *   COM_FIELD_LIST 0x04           table:string<NUL> | wildcard:string<EOF>
 *   COM_CHANGE_USER 0x11          user:string<NUL> | auth response (int<1> length and
 *                                 bytes with CLIENT_SECURE_CONNECTION, else string<NUL>)
 *                                 | schema:string<NUL> [| charset:int<2>
 *                                 [| with CLIENT_PLUGIN_AUTH: plugin:string<NUL>]
 *                                 [| with CLIENT_CONNECT_ATTRS: attributes]]
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
 *   COM_SET_OPTION 0x1B           option:int<2> (0 multi-statements on, 1 off)
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
 * Invariants: payloads must hold exactly their fields (COM_QUERY and
 * COM_STMT_PREPARE decode even when the framer cut them, as the query is the
 * last field); strings are UTF-8; byte fields are zero-copy subarrays.
 */
import { Capability } from './capabilities.js';
import { readAttributes, writeAttributes } from './handshake-response.js';
import { PARAM_UNSIGNED, readBinaryValue, writeBinaryValue, type BinaryValue } from './values.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader, hexByte, protocolError } from './wire.js';

export const enum Command {
  COM_SLEEP = 0x00,
  COM_QUIT = 0x01,
  COM_INIT_DB = 0x02,
  COM_QUERY = 0x03,
  COM_FIELD_LIST = 0x04,
  COM_CREATE_DB = 0x05,
  COM_DROP_DB = 0x06,
  COM_REFRESH = 0x07,
  COM_SHUTDOWN = 0x08,
  COM_STATISTICS = 0x09,
  COM_PROCESS_INFO = 0x0a,
  COM_CONNECT = 0x0b,
  COM_PROCESS_KILL = 0x0c,
  COM_DEBUG = 0x0d,
  COM_PING = 0x0e,
  COM_TIME = 0x0f,
  COM_DELAYED_INSERT = 0x10,
  COM_CHANGE_USER = 0x11,
  COM_BINLOG_DUMP = 0x12,
  COM_TABLE_DUMP = 0x13,
  COM_CONNECT_OUT = 0x14,
  COM_REGISTER_SLAVE = 0x15,
  COM_STMT_PREPARE = 0x16,
  COM_STMT_EXECUTE = 0x17,
  COM_STMT_SEND_LONG_DATA = 0x18,
  COM_STMT_CLOSE = 0x19,
  COM_STMT_RESET = 0x1a,
  COM_SET_OPTION = 0x1b,
  COM_STMT_FETCH = 0x1c,
  COM_DAEMON = 0x1d,
  COM_BINLOG_DUMP_GTID = 0x1e,
  COM_RESET_CONNECTION = 0x1f,
  COM_CLONE = 0x20,
  COM_SUBSCRIBE_GROUP_REPLICATION_STREAM = 0x21,
  /** MariaDB, with MARIADB_CLIENT_STMT_BULK_OPERATIONS. */
  COM_STMT_BULK_EXECUTE = 0xfa,
}

const COMMAND_NAMES: readonly string[] = [
  'COM_SLEEP',
  'COM_QUIT',
  'COM_INIT_DB',
  'COM_QUERY',
  'COM_FIELD_LIST',
  'COM_CREATE_DB',
  'COM_DROP_DB',
  'COM_REFRESH',
  'COM_SHUTDOWN',
  'COM_STATISTICS',
  'COM_PROCESS_INFO',
  'COM_CONNECT',
  'COM_PROCESS_KILL',
  'COM_DEBUG',
  'COM_PING',
  'COM_TIME',
  'COM_DELAYED_INSERT',
  'COM_CHANGE_USER',
  'COM_BINLOG_DUMP',
  'COM_TABLE_DUMP',
  'COM_CONNECT_OUT',
  'COM_REGISTER_SLAVE',
  'COM_STMT_PREPARE',
  'COM_STMT_EXECUTE',
  'COM_STMT_SEND_LONG_DATA',
  'COM_STMT_CLOSE',
  'COM_STMT_RESET',
  'COM_SET_OPTION',
  'COM_STMT_FETCH',
  'COM_DAEMON',
  'COM_BINLOG_DUMP_GTID',
  'COM_RESET_CONNECTION',
  'COM_CLONE',
  'COM_SUBSCRIBE_GROUP_REPLICATION_STREAM',
];

/** The command's name ("COM_QUERY"), or its byte shown safely ("command 0x7a"). */
export function commandName(command: number): string {
  if (command === Command.COM_STMT_BULK_EXECUTE) return 'COM_STMT_BULK_EXECUTE';
  return COMMAND_NAMES[command] ?? `command ${hexByte(command)}`;
}

/** COM_STMT_EXECUTE flags: a cursor type, and MySQL's PARAMETER_COUNT_AVAILABLE. */
export const enum ExecuteFlag {
  CURSOR_TYPE_NO_CURSOR = 0x0,
  CURSOR_TYPE_READ_ONLY = 0x1,
  CURSOR_TYPE_FOR_UPDATE = 0x2,
  CURSOR_TYPE_SCROLLABLE = 0x4,
  PARAMETER_COUNT_AVAILABLE = 0x8,
}

/** COM_SET_OPTION options. */
export const enum SetOption {
  MULTI_STATEMENTS_ON = 0,
  MULTI_STATEMENTS_OFF = 1,
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

export interface Query {
  query: string;
  /** Query attributes (CLIENT_QUERY_ATTRIBUTES); [] when none. */
  attributes: Param[];
}

export interface ChangeUser {
  username: string;
  authResponse: Buffer;
  schema: string;
  /** Absent when the client stopped after the schema. */
  charset?: number;
  authPluginName?: string;
  attributes?: Map<string, string>;
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

const reader = (payload: Buffer, name: string) => new PayloadReader(payload, 'client', name);
const writer = () => new PayloadWriter('client');

function expectCommand(r: PayloadReader, command: Command): void {
  const b = r.int1('the command byte');
  if (b !== command) r.fail(`starts with ${hexByte(b)}, not ${hexByte(command)}`);
}

/** A command with nothing after its byte (COM_QUIT, COM_PING, COM_STATISTICS, COM_RESET_CONNECTION, ...): its byte. */
export function decodeEmptyCommand(payload: Buffer): number {
  const command = payload[0];
  if (command === undefined) throw protocolError('client', 'sent an empty command packet');
  new PayloadReader(payload, 'client', commandName(command), 1).end();
  return command;
}

/** A command with nothing after its byte. */
export function encodeEmptyCommand(command: Command): Buffer {
  return Buffer.of(command);
}

/** Reads a parameter block: NULL bitmap, new-params-bound flag, types [and names], values. */
function readParams(
  r: PayloadReader,
  count: number,
  named: boolean,
  previousTypes: readonly ParamType[] | undefined,
  longData: ReadonlySet<number> | undefined,
): { newParamsBound: boolean; params: Param[] | null } {
  const bitmap = r.bytes((count + 7) >>> 3, 'the NULL bitmap');
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
    else if ((bitmap[i >>> 3]! & (1 << (i & 7))) === 0) param.value = readBinaryValue(r, t.type, t.unsigned, i);
    params[i] = param;
  }
  return { newParamsBound: bound === NEW_PARAMS_BOUND, params };
}

/** Writes a parameter block; types are sent when `bind` (with names when `named`). */
function writeParams(w: PayloadWriter, params: readonly Param[], bind: boolean, named: boolean): void {
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

export function decodeQuery(payload: Buffer, capabilities: number): Query {
  const r = reader(payload, 'COM_QUERY');
  expectCommand(r, Command.COM_QUERY);
  let attributes: Param[] = [];
  if (capabilities & Capability.CLIENT_QUERY_ATTRIBUTES) {
    const count = r.lenencInt('the query attribute count');
    r.lenencInt('the query attribute set count');
    if (count !== 0) {
      r.expectRoom(count, 'query attributes', 2);
      const block = readParams(r, Number(count), true, undefined, undefined);
      if (!block.newParamsBound) r.fail('has query attributes without types (new-params-bound flag 0)');
      attributes = block.params!;
    }
  }
  return { query: r.restString(), attributes };
}

/** With CLIENT_QUERY_ATTRIBUTES the attribute block is always written, empty when there are none. */
export function encodeQuery(query: string, capabilities: number, attributes: readonly Param[] = []): Buffer {
  const w = writer().int1(Command.COM_QUERY);
  if (capabilities & Capability.CLIENT_QUERY_ATTRIBUTES) {
    w.lenencInt(attributes.length, 'query attribute count').lenencInt(1, 'parameter set count');
    if (attributes.length > 0) writeParams(w, attributes, true, true);
  } else if (attributes.length > 0) {
    throw protocolError('client', 'query attributes need CLIENT_QUERY_ATTRIBUTES');
  }
  return w.string(query).finish();
}

export function decodeInitDb(payload: Buffer): { schema: string } {
  const r = reader(payload, 'COM_INIT_DB');
  expectCommand(r, Command.COM_INIT_DB);
  return { schema: r.restString() };
}

export function encodeInitDb(schema: string): Buffer {
  return writer().int1(Command.COM_INIT_DB).string(schema).finish();
}

export function decodeFieldList(payload: Buffer): { table: string; wildcard: string } {
  const r = reader(payload, 'COM_FIELD_LIST');
  expectCommand(r, Command.COM_FIELD_LIST);
  const table = r.nulString('the table');
  return { table, wildcard: r.restString() };
}

export function encodeFieldList(table: string, wildcard = ''): Buffer {
  return writer().int1(Command.COM_FIELD_LIST).nulString(table, 'table').string(wildcard).finish();
}

export function decodeChangeUser(payload: Buffer, capabilities: number): ChangeUser {
  const r = reader(payload, 'COM_CHANGE_USER');
  expectCommand(r, Command.COM_CHANGE_USER);
  const username = r.nulString('the username');
  const authResponse =
    capabilities & Capability.CLIENT_SECURE_CONNECTION ? r.bytes(r.int1('the auth response length'), 'the auth response') : r.nulBytes('the auth response');
  const change: ChangeUser = { username, authResponse, schema: r.nulString('the schema') };
  if (r.remaining > 0) {
    change.charset = r.int2('the character set');
    if (capabilities & Capability.CLIENT_PLUGIN_AUTH && r.remaining > 0) change.authPluginName = r.nulOrEofString();
    if (capabilities & Capability.CLIENT_CONNECT_ATTRS && r.remaining > 0) change.attributes = readAttributes(r);
  }
  r.end();
  return change;
}

export function encodeChangeUser(c: ChangeUser, capabilities: number): Buffer {
  const w = writer().int1(Command.COM_CHANGE_USER).nulString(c.username, 'username');
  if (capabilities & Capability.CLIENT_SECURE_CONNECTION) {
    if (c.authResponse.length > 0xff) throw protocolError('client', `auth response of ${c.authResponse.length} bytes does not fit a 1-byte length`);
    w.int1(c.authResponse.length).bytes(c.authResponse);
  } else w.nulBytes(c.authResponse, 'auth response');
  w.nulString(c.schema, 'schema');
  if (c.charset !== undefined) {
    w.int2(c.charset);
    if (capabilities & Capability.CLIENT_PLUGIN_AUTH) w.nulString(c.authPluginName ?? '', 'auth plugin name');
    if (capabilities & Capability.CLIENT_CONNECT_ATTRS) writeAttributes(w, 'client', c.attributes ?? new Map());
  }
  return w.finish();
}

export function decodeStmtPrepare(payload: Buffer): { query: string } {
  const r = reader(payload, 'COM_STMT_PREPARE');
  expectCommand(r, Command.COM_STMT_PREPARE);
  return { query: r.restString() };
}

export function encodeStmtPrepare(query: string): Buffer {
  return writer().int1(Command.COM_STMT_PREPARE).string(query).finish();
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

export function decodeStmtExecute(payload: Buffer, context: StmtExecuteContext): StmtExecute {
  const r = reader(payload, 'COM_STMT_EXECUTE');
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
  const w = writer().int1(Command.COM_STMT_EXECUTE).int4(e.statementId).int1(e.flags).int4(e.iterationCount);
  const attributes = (capabilities & Capability.CLIENT_QUERY_ATTRIBUTES) !== 0;
  if (params.length > 0 || (attributes && e.flags & ExecuteFlag.PARAMETER_COUNT_AVAILABLE)) {
    if (attributes) w.lenencInt(params.length, 'parameter count');
    if (params.length > 0) writeParams(w, params, bind, attributes);
  }
  return w.finish();
}

export function decodeStmtSendLongData(payload: Buffer): { statementId: number; paramId: number; data: Buffer } {
  const r = reader(payload, 'COM_STMT_SEND_LONG_DATA');
  expectCommand(r, Command.COM_STMT_SEND_LONG_DATA);
  const statementId = r.int4('the statement id');
  const paramId = r.int2('the parameter id');
  return { statementId, paramId, data: r.rest() };
}

export function encodeStmtSendLongData(statementId: number, paramId: number, data: Uint8Array): Buffer {
  return writer().int1(Command.COM_STMT_SEND_LONG_DATA).int4(statementId).int2(paramId).bytes(data).finish();
}

function decodeStatementCommand(payload: Buffer, command: Command): { statementId: number } {
  const r = reader(payload, commandName(command));
  expectCommand(r, command);
  const statementId = r.int4('the statement id');
  r.end();
  return { statementId };
}

export function decodeStmtClose(payload: Buffer): { statementId: number } {
  return decodeStatementCommand(payload, Command.COM_STMT_CLOSE);
}

export function encodeStmtClose(statementId: number): Buffer {
  return writer().int1(Command.COM_STMT_CLOSE).int4(statementId).finish();
}

export function decodeStmtReset(payload: Buffer): { statementId: number } {
  return decodeStatementCommand(payload, Command.COM_STMT_RESET);
}

export function encodeStmtReset(statementId: number): Buffer {
  return writer().int1(Command.COM_STMT_RESET).int4(statementId).finish();
}

export function decodeStmtFetch(payload: Buffer): { statementId: number; rows: number } {
  const r = reader(payload, 'COM_STMT_FETCH');
  expectCommand(r, Command.COM_STMT_FETCH);
  const statementId = r.int4('the statement id');
  const rows = r.int4('the row count');
  r.end();
  return { statementId, rows };
}

export function encodeStmtFetch(statementId: number, rows: number): Buffer {
  return writer().int1(Command.COM_STMT_FETCH).int4(statementId).int4(rows).finish();
}

export function decodeSetOption(payload: Buffer): { option: number } {
  const r = reader(payload, 'COM_SET_OPTION');
  expectCommand(r, Command.COM_SET_OPTION);
  const option = r.int2('the option');
  r.end();
  return { option };
}

export function encodeSetOption(option: SetOption): Buffer {
  return writer().int1(Command.COM_SET_OPTION).int2(option).finish();
}
