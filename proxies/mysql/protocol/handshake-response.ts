/**
 * The client's answer to the server's greeting (MySQL Source Code
 * Documentation, "Client/Server Protocol", sections "Connection Phase",
 * "Protocol::SSLRequest" and "Protocol::HandshakeResponse41"; MariaDB
 * Knowledge Base, "1 - Connecting" and "MariaDB Protocol Differences with
 * MySQL"):
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
 * Only protocol 4.1 (CLIENT_PROTOCOL_41) is accepted from a client: MySQL
 * 5.7+ and MariaDB refuse older clients too. COM_CHANGE_USER (commands.ts)
 * carries the same connection attributes block.
 *
 * Invariants: payloads must hold exactly their fields, except that the
 * trailing optional fields of a HandshakeResponse41 (plugin name,
 * attributes, zstd level) may be missing, as servers allow; byte fields are
 * zero-copy subarrays; strings are UTF-8.
 */
import { Capability } from './capabilities.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader, protocolError, type Side } from './wire.js';

/** Length of an SSLRequest, and of the fixed start of every HandshakeResponse41. */
export const SSL_REQUEST_LENGTH = 32;

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

const clientReader = (payload: Buffer, name: string) => new PayloadReader(payload, 'client', name);

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
