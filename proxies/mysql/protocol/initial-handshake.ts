/**
 * The server's greeting, which opens the connection phase (MySQL Source
 * Code Documentation, "Client/Server Protocol", sections "Connection Phase"
 * and "Protocol::HandshakeV10"; MariaDB Knowledge Base, "1 - Connecting" and
 * "MariaDB Protocol Differences with MySQL"). The client answers with
 * handshake-response.ts's messages; auth-exchange.ts has the rest of the
 * authentication.
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
 * Invariants: the payload must hold exactly its fields; strings are UTF-8.
 */
import { Capability } from './capabilities.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader, byteCount, protocolError } from './wire.js';

/** Length of the scramble MySQL and MariaDB servers send: 8 bytes in part 1, 12 in part 2. */
export const SCRAMBLE_LENGTH = 20;
const PART1_LENGTH = 8;
export const PROTOCOL_VERSION_10 = 10;

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

export function decodeInitialHandshake(payload: Buffer): InitialHandshake {
  const r = new PayloadReader(payload, 'server', 'initial handshake');
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
