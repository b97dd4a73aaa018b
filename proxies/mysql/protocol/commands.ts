/**
 * Commands a client sends once logged in (MySQL Source Code Documentation,
 * "Client/Server Protocol", sections "Text Protocol", "Prepared Statements"
 * and "Utility Commands"; MariaDB Knowledge Base, "2 - Text Protocol" and
 * "3 - Binary Protocol (Prepared Statements)"). Each starts a new exchange:
 * its packet has sequence id 0, and the first byte says which it is.
 *
 * Here are the command bytes and the utility commands; COM_QUERY is in
 * query-command.ts, the prepared-statement commands in statement-commands.ts.
 *
 *   COM_QUIT 0x01 | COM_STATISTICS 0x09 | COM_PING 0x0E | COM_RESET_CONNECTION 0x1F
 *                                 nothing more
 *   COM_INIT_DB 0x02              schema:string<EOF>
 *   COM_FIELD_LIST 0x04           table:string<NUL> | wildcard:string<EOF>
 *   COM_CHANGE_USER 0x11          user:string<NUL> | auth response (int<1> length and
 *                                 bytes with CLIENT_SECURE_CONNECTION, else string<NUL>)
 *                                 | schema:string<NUL> [| charset:int<2>
 *                                 [| with CLIENT_PLUGIN_AUTH: plugin:string<NUL>]
 *                                 [| with CLIENT_CONNECT_ATTRS: attributes]]
 *   COM_SET_OPTION 0x1B           option:int<2> (0 multi-statements on, 1 off)
 *
 * Invariants: payloads must hold exactly their fields; strings are UTF-8;
 * byte fields are zero-copy subarrays.
 */
import { Capability } from './capabilities.js';
import { readAttributes, writeAttributes } from './handshake-response.js';
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

/** COM_SET_OPTION options. */
export const enum SetOption {
  MULTI_STATEMENTS_ON = 0,
  MULTI_STATEMENTS_OFF = 1,
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

/** Reads a client command's payload; `name` names the command in error messages. */
export const commandReader = (payload: Buffer, name: string, start = 0, end = payload.length) => new PayloadReader(payload, 'client', name, start, end);
/** Builds a client command's payload. */
export const commandWriter = () => new PayloadWriter('client');

/** Reads the command byte, which must be `command`. */
export function expectCommand(r: PayloadReader, command: Command): void {
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

export function decodeInitDb(payload: Buffer): { schema: string } {
  const r = commandReader(payload, 'COM_INIT_DB');
  expectCommand(r, Command.COM_INIT_DB);
  return { schema: r.restString() };
}

export function encodeInitDb(schema: string): Buffer {
  return commandWriter().int1(Command.COM_INIT_DB).string(schema).finish();
}

export function decodeFieldList(payload: Buffer): { table: string; wildcard: string } {
  const r = commandReader(payload, 'COM_FIELD_LIST');
  expectCommand(r, Command.COM_FIELD_LIST);
  const table = r.nulString('the table');
  return { table, wildcard: r.restString() };
}

export function encodeFieldList(table: string, wildcard = ''): Buffer {
  return commandWriter().int1(Command.COM_FIELD_LIST).nulString(table, 'table').string(wildcard).finish();
}

export function decodeChangeUser(payload: Buffer, capabilities: number): ChangeUser {
  const r = commandReader(payload, 'COM_CHANGE_USER');
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
  const w = commandWriter().int1(Command.COM_CHANGE_USER).nulString(c.username, 'username');
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

export function decodeSetOption(payload: Buffer): { option: number } {
  const r = commandReader(payload, 'COM_SET_OPTION');
  expectCommand(r, Command.COM_SET_OPTION);
  const option = r.int2('the option');
  r.end();
  return { option };
}

export function encodeSetOption(option: SetOption): Buffer {
  return commandWriter().int1(Command.COM_SET_OPTION).int2(option).finish();
}
