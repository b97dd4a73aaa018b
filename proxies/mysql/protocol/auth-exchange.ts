/**
 * What the server sends during authentication, after its greeting, until
 * an OK or ERR packet (packets.ts) ends it (MySQL Source Code Documentation,
 * "Client/Server Protocol", sections "Connection Phase",
 * "Protocol::AuthSwitchRequest" and "Protocol::AuthMoreData"; MariaDB
 * Knowledge Base, "1 - Connecting"):
 *
 *   AuthSwitchRequest (server): 0xFE | plugin name:string<NUL> | plugin data:string<EOF>
 *     (0xFE alone is the old request to switch to mysql_old_password)
 *   AuthMoreData (server): 0x01 | data:string<EOF>
 *   AuthNextFactor (server, MySQL 8.0.27+): 0x02 | plugin name:string<NUL> | plugin data:string<EOF>
 *
 * Invariants: byte fields are zero-copy subarrays; strings are UTF-8.
 */
import { decodeErr, decodeOk, type ErrPacket, type OkPacket } from './packets.js';
import { PayloadWriter } from './payload-writer.js';
import { PayloadReader, hexByte, protocolError } from './wire.js';

export interface AuthSwitchRequest {
  pluginName: string;
  /** For mysql_native_password and caching_sha2_password: the 20-byte scramble and a 0x00. */
  pluginData: Buffer;
}

const serverReader = (payload: Buffer, name: string) => new PayloadReader(payload, 'server', name);

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
