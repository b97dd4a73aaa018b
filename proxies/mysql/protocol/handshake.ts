/**
 * The connection phase (MySQL Source Code Documentation, "Client/Server
 * Protocol", sections "Connection Phase", "Capabilities Flags",
 * "Protocol::HandshakeV10", "Protocol::SSLRequest",
 * "Protocol::HandshakeResponse41", "Protocol::AuthSwitchRequest",
 * "Protocol::AuthMoreData"; MariaDB Knowledge Base, "1 - Connecting" and
 * "MariaDB Protocol Differences with MySQL"):
 *
 *   Initial Handshake v10 (server, seq 0):
 *     0x0A | server version:string<NUL> | connection id:int<4>
 *     | auth-plugin-data part 1:string<8> | 0x00
 *     | capabilities (lower 16 bits):int<2>
 *     [ | charset:int<1> | status flags:int<2> | capabilities (upper 16 bits):int<2>
 *       | auth-plugin-data length:int<1> (0 without CLIENT_PLUGIN_AUTH)
 *       | reserved:string<10> (MariaDB: 6 zero bytes, then its extended
 *         capabilities:int<4> when CLIENT_LONG_PASSWORD, alias CLIENT_MYSQL, is clear)
 *       | if CLIENT_SECURE_CONNECTION: part 2:string<max(13, length - 8)> (ends in 0x00)
 *       | if CLIENT_PLUGIN_AUTH: auth plugin name:string<NUL> ]
 *
 *   SSLRequest (client, seq 1): the first 32 bytes of a HandshakeResponse41;
 *     the TLS handshake follows, and the response itself comes as seq 2.
 *
 *   HandshakeResponse41 (client):
 *     capabilities:int<4> | max packet size:int<4> | charset:int<1>
 *     | filler:string<23> (MariaDB: 19 zero bytes, then its extended
 *       capabilities:int<4> when CLIENT_MYSQL is clear)
 *     | username:string<NUL>
 *     | auth response: string<lenenc> with CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
 *       else int<1> length and bytes with CLIENT_SECURE_CONNECTION, else string<NUL>
 *     | if CLIENT_CONNECT_WITH_DB: database:string<NUL>
 *     | if CLIENT_PLUGIN_AUTH: plugin name:string<NUL>
 *     | if CLIENT_CONNECT_ATTRS: length:int<lenenc> | (key:string<lenenc> value:string<lenenc>)*
 *     | if CLIENT_ZSTD_COMPRESSION_ALGORITHM: zstd level:int<1>
 *
 *   AuthSwitchRequest (server): 0xFE | plugin name:string<NUL> | plugin data:string<EOF>
 *     (0xFE alone is the old request to switch to mysql_old_password)
 *   AuthMoreData (server): 0x01 | data:string<EOF>
 *   AuthNextFactor (server, MySQL 8.0.27+): 0x02 | plugin name:string<NUL> | plugin data:string<EOF>
 *
 * Capability flags are a 32-bit number (`capabilities`, unsigned) and
 * MariaDB's 32 extended bits (`mariadbCapabilities`, bit 0 = MariaDB's
 * 1 << 32). A flag is in force when both sides set it. Only protocol 4.1
 * (CLIENT_PROTOCOL_41) is accepted from a client: MySQL 5.7+ and MariaDB
 * refuse older clients too.
 *
 * Invariants: payloads must hold exactly their fields, except that the
 * trailing optional fields of a HandshakeResponse41 (plugin name,
 * attributes, zstd level) may be missing, as servers allow; byte fields are
 * zero-copy subarrays; strings are UTF-8.
 */
import { decodeErr, decodeOk, type ErrPacket, type OkPacket } from './packets.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader, byteCount, hexByte, protocolError, type Side } from './wire.js';

export const enum Capability {
  /** Old: "new more secure passwords". Clear from a MariaDB server or client: CLIENT_MYSQL. */
  CLIENT_LONG_PASSWORD = 0x1,
  CLIENT_FOUND_ROWS = 0x2,
  CLIENT_LONG_FLAG = 0x4,
  CLIENT_CONNECT_WITH_DB = 0x8,
  CLIENT_NO_SCHEMA = 0x10,
  CLIENT_COMPRESS = 0x20,
  CLIENT_ODBC = 0x40,
  CLIENT_LOCAL_FILES = 0x80,
  CLIENT_IGNORE_SPACE = 0x100,
  CLIENT_PROTOCOL_41 = 0x200,
  CLIENT_INTERACTIVE = 0x400,
  CLIENT_SSL = 0x800,
  CLIENT_IGNORE_SIGPIPE = 0x1000,
  CLIENT_TRANSACTIONS = 0x2000,
  CLIENT_RESERVED = 0x4000,
  CLIENT_SECURE_CONNECTION = 0x8000,
  CLIENT_MULTI_STATEMENTS = 0x1_0000,
  CLIENT_MULTI_RESULTS = 0x2_0000,
  CLIENT_PS_MULTI_RESULTS = 0x4_0000,
  CLIENT_PLUGIN_AUTH = 0x8_0000,
  CLIENT_CONNECT_ATTRS = 0x10_0000,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x20_0000,
  CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 0x40_0000,
  CLIENT_SESSION_TRACK = 0x80_0000,
  CLIENT_DEPRECATE_EOF = 0x100_0000,
  CLIENT_OPTIONAL_RESULTSET_METADATA = 0x200_0000,
  CLIENT_ZSTD_COMPRESSION_ALGORITHM = 0x400_0000,
  CLIENT_QUERY_ATTRIBUTES = 0x800_0000,
  CLIENT_MULTI_FACTOR_AUTHENTICATION = 0x1000_0000,
  /** MySQL: reserved for a capability extension. MariaDB: CLIENT_PROGRESS_OBSOLETE. */
  CLIENT_CAPABILITY_EXTENSION = 0x2000_0000,
  CLIENT_SSL_VERIFY_SERVER_CERT = 0x4000_0000,
  CLIENT_REMEMBER_OPTIONS = 0x8000_0000,
}

/** MariaDB's extended capabilities, as bits of the extra 32-bit word (bit 0 is MariaDB's 1 << 32). */
export const enum MariaDbCapability {
  MARIADB_CLIENT_PROGRESS = 0x1,
  MARIADB_CLIENT_COM_MULTI = 0x2,
  MARIADB_CLIENT_STMT_BULK_OPERATIONS = 0x4,
  MARIADB_CLIENT_EXTENDED_METADATA = 0x8,
  MARIADB_CLIENT_CACHE_METADATA = 0x10,
  MARIADB_CLIENT_BULK_UNIT_RESULTS = 0x20,
}

const CAPABILITY_NAMES: readonly string[] = [
  'CLIENT_LONG_PASSWORD',
  'CLIENT_FOUND_ROWS',
  'CLIENT_LONG_FLAG',
  'CLIENT_CONNECT_WITH_DB',
  'CLIENT_NO_SCHEMA',
  'CLIENT_COMPRESS',
  'CLIENT_ODBC',
  'CLIENT_LOCAL_FILES',
  'CLIENT_IGNORE_SPACE',
  'CLIENT_PROTOCOL_41',
  'CLIENT_INTERACTIVE',
  'CLIENT_SSL',
  'CLIENT_IGNORE_SIGPIPE',
  'CLIENT_TRANSACTIONS',
  'CLIENT_RESERVED',
  'CLIENT_SECURE_CONNECTION',
  'CLIENT_MULTI_STATEMENTS',
  'CLIENT_MULTI_RESULTS',
  'CLIENT_PS_MULTI_RESULTS',
  'CLIENT_PLUGIN_AUTH',
  'CLIENT_CONNECT_ATTRS',
  'CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA',
  'CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS',
  'CLIENT_SESSION_TRACK',
  'CLIENT_DEPRECATE_EOF',
  'CLIENT_OPTIONAL_RESULTSET_METADATA',
  'CLIENT_ZSTD_COMPRESSION_ALGORITHM',
  'CLIENT_QUERY_ATTRIBUTES',
  'CLIENT_MULTI_FACTOR_AUTHENTICATION',
  'CLIENT_CAPABILITY_EXTENSION',
  'CLIENT_SSL_VERIFY_SERVER_CERT',
  'CLIENT_REMEMBER_OPTIONS',
];

const MARIADB_CAPABILITY_NAMES: readonly string[] = [
  'MARIADB_CLIENT_PROGRESS',
  'MARIADB_CLIENT_COM_MULTI',
  'MARIADB_CLIENT_STMT_BULK_OPERATIONS',
  'MARIADB_CLIENT_EXTENDED_METADATA',
  'MARIADB_CLIENT_CACHE_METADATA',
  'MARIADB_CLIENT_BULK_UNIT_RESULTS',
];

/** The names of the flags set, for logs; unnamed bits show as "bit N" ("MARIADB bit N"). */
export function capabilityNames(capabilities: number, mariadbCapabilities = 0): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((capabilities >>> bit) & 1) names.push(CAPABILITY_NAMES[bit]!);
  }
  for (let bit = 0; bit < 32; bit++) {
    if ((mariadbCapabilities >>> bit) & 1) names.push(MARIADB_CAPABILITY_NAMES[bit] ?? `MARIADB bit ${bit}`);
  }
  return names;
}

/**
 * Flags a relaying proxy must keep out of what it offers the client (and
 * so out of what the two negotiate), because the observer could not follow
 * the stream with them: compression rewraps every packet; without
 * result-set metadata rows cannot be decoded. CLIENT_SSL is not here: the
 * gateway offers it only when it terminates TLS itself.
 */
export const RELAY_CLEARED_CAPABILITIES: number =
  (Capability.CLIENT_COMPRESS | Capability.CLIENT_ZSTD_COMPRESSION_ALGORITHM | Capability.CLIENT_OPTIONAL_RESULTSET_METADATA) >>> 0;

/**
 * MariaDB flags to keep out likewise: metadata caching lets the server
 * leave out column definitions it sent before; bulk execution
 * (COM_STMT_BULK_EXECUTE) is not decoded; COM_MULTI is gone from servers.
 */
export const RELAY_CLEARED_MARIADB_CAPABILITIES: number =
  MariaDbCapability.MARIADB_CLIENT_CACHE_METADATA |
  MariaDbCapability.MARIADB_CLIENT_STMT_BULK_OPERATIONS |
  MariaDbCapability.MARIADB_CLIENT_BULK_UNIT_RESULTS |
  MariaDbCapability.MARIADB_CLIENT_COM_MULTI;

/** Length of the scramble MySQL and MariaDB servers send: 8 bytes in part 1, 12 in part 2. */
export const SCRAMBLE_LENGTH = 20;
const PART1_LENGTH = 8;
export const PROTOCOL_VERSION_10 = 10;
/** Length of an SSLRequest, and of the fixed start of every HandshakeResponse41. */
export const SSL_REQUEST_LENGTH = 32;

export interface InitialHandshake {
  serverVersion: string;
  connectionId: number;
  /** Parts 1 and 2 of auth-plugin-data put together, without part 2's closing 0x00: the scramble. */
  authPluginData: Buffer;
  capabilities: number;
  /** MariaDB's extended capabilities; 0 from MySQL (CLIENT_LONG_PASSWORD set). */
  mariadbCapabilities: number;
  /** The server's default collation id; 0 from a server that stops after the capability flags. */
  charset: number;
  statusFlags: number;
  /** '' without CLIENT_PLUGIN_AUTH. */
  authPluginName: string;
}

export interface SslRequest {
  capabilities: number;
  mariadbCapabilities: number;
  maxPacketSize: number;
  charset: number;
}

export interface HandshakeResponse extends SslRequest {
  username: string;
  authResponse: Buffer;
  /** With CLIENT_CONNECT_WITH_DB, else undefined. */
  database?: string;
  /** With CLIENT_PLUGIN_AUTH (possibly '' when the client left it out), else undefined. */
  authPluginName?: string;
  /** With CLIENT_CONNECT_ATTRS, in the client's order, else undefined. */
  attributes?: Map<string, string>;
  /** With CLIENT_ZSTD_COMPRESSION_ALGORITHM, when sent. */
  zstdLevel?: number;
}

export interface AuthSwitchRequest {
  pluginName: string;
  /** For mysql_native_password and caching_sha2_password: the 20-byte scramble and a 0x00. */
  pluginData: Buffer;
}

const serverReader = (payload: Buffer, name: string) => new PayloadReader(payload, 'server', name);
const clientReader = (payload: Buffer, name: string) => new PayloadReader(payload, 'client', name);

export function decodeInitialHandshake(payload: Buffer): InitialHandshake {
  const r = serverReader(payload, 'initial handshake');
  const version = r.int1('the protocol version');
  if (version === 0xff) throw protocolError('server', 'sent an ERR packet instead of the initial handshake');
  if (version !== PROTOCOL_VERSION_10) throw protocolError('server', `initial handshake has protocol version ${version}; only 10 is supported`);
  const serverVersion = r.nulString('the server version');
  const connectionId = r.int4('the connection id');
  const part1 = r.bytes(PART1_LENGTH, 'auth-plugin-data part 1');
  r.skip(1, 'the filler after auth-plugin-data part 1');
  let capabilities = r.int2('the lower capability flags');
  const handshake: InitialHandshake = {
    serverVersion,
    connectionId,
    authPluginData: part1,
    capabilities,
    mariadbCapabilities: 0,
    charset: 0,
    statusFlags: 0,
    authPluginName: '',
  };
  if (r.remaining === 0) return handshake;
  handshake.charset = r.int1('the character set');
  handshake.statusFlags = r.int2('the status flags');
  capabilities = (capabilities | (r.int2('the upper capability flags') << 16)) >>> 0;
  handshake.capabilities = capabilities;
  const dataLength = r.int1('the auth-plugin-data length');
  r.skip(6, 'the reserved bytes');
  const extended = r.int4('the reserved bytes');
  if ((capabilities & Capability.CLIENT_LONG_PASSWORD) === 0) handshake.mariadbCapabilities = extended;
  if (capabilities & Capability.CLIENT_SECURE_CONNECTION) {
    let part2 = r.bytes(Math.max(13, dataLength - PART1_LENGTH), 'auth-plugin-data part 2');
    if (part2[part2.length - 1] === 0) part2 = part2.subarray(0, part2.length - 1);
    handshake.authPluginData = Buffer.concat([part1, part2]);
  }
  if (capabilities & Capability.CLIENT_PLUGIN_AUTH) {
    // Some MySQL 5.5 releases left out the terminator.
    handshake.authPluginName = r.nulOrEofString();
  }
  r.end();
  return handshake;
}

/**
 * Writes a handshake for a protocol 4.1 client: `capabilities` must set
 * CLIENT_PROTOCOL_41 and CLIENT_SECURE_CONNECTION, and `authPluginData` be
 * the 20-byte scramble. MariaDB extended capabilities are written only when
 * CLIENT_LONG_PASSWORD is clear, as MariaDB servers do.
 */
export function encodeInitialHandshake(h: InitialHandshake): Buffer {
  const caps = h.capabilities >>> 0;
  const required = Capability.CLIENT_PROTOCOL_41 | Capability.CLIENT_SECURE_CONNECTION;
  if ((caps & required) !== required) {
    throw protocolError('server', 'initial handshake is only written with CLIENT_PROTOCOL_41 and CLIENT_SECURE_CONNECTION');
  }
  if (h.authPluginData.length !== SCRAMBLE_LENGTH) {
    throw protocolError('server', `auth-plugin-data of ${byteCount(h.authPluginData.length)}; the scramble is ${SCRAMBLE_LENGTH}`);
  }
  const w = new PayloadWriter('server')
    .int1(PROTOCOL_VERSION_10)
    .nulString(h.serverVersion, 'server version')
    .int4(h.connectionId)
    .bytes(h.authPluginData.subarray(0, PART1_LENGTH))
    .int1(0)
    .int2(caps & 0xffff)
    .int1(h.charset)
    .int2(h.statusFlags)
    .int2(caps >>> 16)
    .int1(caps & Capability.CLIENT_PLUGIN_AUTH ? SCRAMBLE_LENGTH + 1 : 0)
    .zeros(6)
    .int4(caps & Capability.CLIENT_LONG_PASSWORD ? 0 : h.mariadbCapabilities);
  w.bytes(h.authPluginData.subarray(PART1_LENGTH)).int1(0);
  if (caps & Capability.CLIENT_PLUGIN_AUTH) w.nulString(h.authPluginName, 'auth plugin name');
  return w.finish();
}

/** True for a client's 32-byte SSLRequest (every HandshakeResponse41 is longer). */
export function isSslRequest(payload: Buffer): boolean {
  return payload.length === SSL_REQUEST_LENGTH;
}

function readFixedPart(r: PayloadReader): SslRequest {
  const capabilities = r.int4('the capability flags');
  if ((capabilities & Capability.CLIENT_PROTOCOL_41) === 0) {
    throw protocolError('client', 'speaks the pre-4.1 protocol (CLIENT_PROTOCOL_41 is clear), which is not supported');
  }
  const maxPacketSize = r.int4('the max packet size');
  const charset = r.int1('the character set');
  r.skip(19, 'the filler');
  const extended = r.int4('the filler');
  return {
    capabilities,
    mariadbCapabilities: capabilities & Capability.CLIENT_LONG_PASSWORD ? 0 : extended,
    maxPacketSize,
    charset,
  };
}

export function decodeSslRequest(payload: Buffer): SslRequest {
  const r = clientReader(payload, 'SSLRequest');
  const fixed = readFixedPart(r);
  r.end();
  if ((fixed.capabilities & Capability.CLIENT_SSL) === 0) throw protocolError('client', 'SSLRequest does not set CLIENT_SSL');
  return fixed;
}

function writeFixedPart(side: Side, s: SslRequest): PayloadWriter {
  const caps = s.capabilities >>> 0;
  return new PayloadWriter(side)
    .int4(caps)
    .int4(s.maxPacketSize)
    .int1(s.charset)
    .zeros(19)
    .int4(caps & Capability.CLIENT_LONG_PASSWORD ? 0 : s.mariadbCapabilities);
}

export function encodeSslRequest(s: SslRequest): Buffer {
  return writeFixedPart('client', { ...s, capabilities: (s.capabilities | Capability.CLIENT_SSL) >>> 0 }).finish();
}

/** Reads the connection attributes block: int<lenenc> length, then key/value string<lenenc> pairs. */
export function readAttributes(r: PayloadReader): Map<string, string> {
  const length = r.lenencInt('the length of the connection attributes');
  if (length > r.remaining) r.fail('ends inside the connection attributes');
  const end = r.position + Number(length);
  const attributes = new Map<string, string>();
  for (let i = 0; r.position < end; i++) {
    const key = r.lenencString('connection attribute name', i);
    const value = r.lenencString('connection attribute value', i);
    if (r.position > end) r.fail('has a connection attribute running past the attributes block');
    attributes.set(key, value);
  }
  return attributes;
}

export function writeAttributes(w: PayloadWriter, side: Side, attributes: ReadonlyMap<string, string>): void {
  const block = new PayloadWriter(side);
  for (const [key, value] of attributes) block.lenencString(key).lenencString(value);
  w.lenencBytes(block.finish());
}

export function decodeHandshakeResponse(payload: Buffer): HandshakeResponse {
  const r = clientReader(payload, 'HandshakeResponse41');
  const fixed = readFixedPart(r);
  const caps = fixed.capabilities;
  const response: HandshakeResponse = { ...fixed, username: r.nulString('the username'), authResponse: Buffer.alloc(0) };
  if (caps & Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) response.authResponse = r.lenencBytes('the auth response');
  else if (caps & Capability.CLIENT_SECURE_CONNECTION) response.authResponse = r.bytes(r.int1('the auth response length'), 'the auth response');
  else response.authResponse = r.nulBytes('the auth response');
  if (caps & Capability.CLIENT_CONNECT_WITH_DB) response.database = r.nulString('the database');
  if (caps & Capability.CLIENT_PLUGIN_AUTH) response.authPluginName = r.remaining > 0 ? r.nulOrEofString() : '';
  if (caps & Capability.CLIENT_CONNECT_ATTRS && r.remaining > 0) response.attributes = readAttributes(r);
  if (caps & Capability.CLIENT_ZSTD_COMPRESSION_ALGORITHM && r.remaining > 0) response.zstdLevel = r.int1('the zstd compression level');
  r.end();
  return response;
}

/**
 * Writes the fields the capability flags call for; the auth response goes
 * as string<lenenc> with CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA, with a
 * 1-byte length with CLIENT_SECURE_CONNECTION (at most 255 bytes), else
 * NUL-terminated. Missing fields the flags call for are written empty.
 */
export function encodeHandshakeResponse(h: HandshakeResponse): Buffer {
  const caps = h.capabilities >>> 0;
  const w = writeFixedPart('client', h).nulString(h.username, 'username');
  if (caps & Capability.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) w.lenencBytes(h.authResponse);
  else if (caps & Capability.CLIENT_SECURE_CONNECTION) {
    if (h.authResponse.length > 0xff) throw protocolError('client', `auth response of ${h.authResponse.length} bytes does not fit a 1-byte length`);
    w.int1(h.authResponse.length).bytes(h.authResponse);
  } else w.nulBytes(h.authResponse, 'auth response');
  if (caps & Capability.CLIENT_CONNECT_WITH_DB) w.nulString(h.database ?? '', 'database');
  if (caps & Capability.CLIENT_PLUGIN_AUTH) w.nulString(h.authPluginName ?? '', 'auth plugin name');
  if (caps & Capability.CLIENT_CONNECT_ATTRS) writeAttributes(w, 'client', h.attributes ?? new Map());
  if (caps & Capability.CLIENT_ZSTD_COMPRESSION_ALGORITHM && h.zstdLevel !== undefined) w.int1(h.zstdLevel);
  return w.finish();
}

export const enum AuthPacket {
  MoreData = 0x01,
  NextFactor = 0x02,
  Switch = 0xfe,
}

export function decodeAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const r = serverReader(payload, 'AuthSwitchRequest');
  expectHeader(r, AuthPacket.Switch);
  if (r.remaining === 0) return { pluginName: 'mysql_old_password', pluginData: Buffer.alloc(0) };
  return { pluginName: r.nulString('the plugin name'), pluginData: r.rest() };
}

export function encodeAuthSwitchRequest(pluginName: string, pluginData: Uint8Array): Buffer {
  if (pluginName === '') throw protocolError('server', 'AuthSwitchRequest plugin name is empty');
  return new PayloadWriter('server').int1(AuthPacket.Switch).nulString(pluginName, 'plugin name').bytes(pluginData).finish();
}

export function decodeAuthMoreData(payload: Buffer): Buffer {
  const r = serverReader(payload, 'AuthMoreData');
  expectHeader(r, AuthPacket.MoreData);
  return r.rest();
}

export function encodeAuthMoreData(data: Uint8Array): Buffer {
  return new PayloadWriter('server').int1(AuthPacket.MoreData).bytes(data).finish();
}

export function decodeAuthNextFactor(payload: Buffer): AuthSwitchRequest {
  const r = serverReader(payload, 'AuthNextFactor');
  expectHeader(r, AuthPacket.NextFactor);
  return { pluginName: r.nulString('the plugin name'), pluginData: r.rest() };
}

function expectHeader(r: PayloadReader, header: number): void {
  const b = r.int1('the header');
  if (b !== header) r.fail(`starts with ${hexByte(b)}, not ${hexByte(header)}`);
}

/** What the server may answer during authentication, told apart by the first byte. */
export type AuthReply =
  | { kind: 'ok'; ok: OkPacket }
  | { kind: 'error'; error: ErrPacket }
  | { kind: 'switch'; request: AuthSwitchRequest }
  | { kind: 'more-data'; data: Buffer }
  | { kind: 'next-factor'; request: AuthSwitchRequest };

/** A server packet of the authentication exchange, after the initial handshake. */
export function decodeAuthReply(payload: Buffer, capabilities: number): AuthReply {
  switch (payload[0]) {
    case 0x00:
      return { kind: 'ok', ok: decodeOk(payload, capabilities) };
    case 0xff:
      return { kind: 'error', error: decodeErr(payload, capabilities) };
    case AuthPacket.Switch:
      return { kind: 'switch', request: decodeAuthSwitchRequest(payload) };
    case AuthPacket.MoreData:
      return { kind: 'more-data', data: decodeAuthMoreData(payload) };
    case AuthPacket.NextFactor:
      return { kind: 'next-factor', request: decodeAuthNextFactor(payload) };
    case undefined:
      throw protocolError('server', 'sent an empty packet during authentication');
    default:
      throw protocolError('server', `sent a packet starting with ${hexByte(payload[0]!)} during authentication`);
  }
}
