/**
 * The client's first packets, which carry no type byte (PostgreSQL
 * documentation, "Frontend/Backend Protocol", sections "Start-up",
 * "Canceling Requests in Progress" and "Message Formats"):
 *
 *   packet           := length:Int32 (counts itself) | code:Int32 | rest
 *   SSLRequest       := 8 | 80877103
 *   GSSENCRequest    := 8 | 80877104
 *   CancelRequest    := len | 80877102 | pid:Int32 | secret key:Byte4..256
 *   StartupMessage   := len | major:Int16 minor:Int16 | (name:String value:String)* | 0x00
 *
 * Protocol 3.2 (PostgreSQL 18) lengthens the cancel secret key from 4 bytes
 * to up to 256; this module accepts either. It parses what a client sends
 * first, and encodes what the gateway sends first to a target server
 * (StartupMessage, SSLRequest, CancelRequest).
 *
 * Invariants:
 * - a packet's length is 8 to 10004 bytes: PostgreSQL's
 *   MAX_STARTUP_PACKET_LENGTH (10000) bounds what follows the length word;
 * - a StartupMessage is major version 3 (any minor, reported for the caller
 *   to negotiate), its parameter list is NUL-terminated pairs ending in an
 *   empty name as the packet's last byte, and it names a non-empty `user`;
 * - nothing here buffers: the caller accumulates bytes, asks
 *   startupPacketLength (or framer.ts's frameStartupPacket) whether a whole
 *   packet is there, then parses exactly that packet.
 */
import { MessageWriter, byteCount, protocolError, type Side } from './wire.js';

/** Bytes after the length word, at most (PostgreSQL's MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_PACKET_LENGTH = 10_000;
export const CANCEL_REQUEST_CODE = 80877102;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
/** Protocol version 3.0 as sent in a StartupMessage: (3 << 16) | 0. */
export const PROTOCOL_3_0 = 196608;
/** Protocol version 3.2 (PostgreSQL 18): (3 << 16) | 2. */
export const PROTOCOL_3_2 = 196610;

export const MIN_CANCEL_KEY_LENGTH = 4;
/** PostgreSQL 18's MAX_CANCEL_KEY_LENGTH. */
export const MAX_CANCEL_KEY_LENGTH = 256;

/** Fails unless a cancel secret key (CancelRequest, BackendKeyData) is 4 to 256 bytes. */
export function checkSecretKeyLength(side: Side, message: string, length: number): void {
  if (length < MIN_CANCEL_KEY_LENGTH || length > MAX_CANCEL_KEY_LENGTH) {
    const expected = `${MIN_CANCEL_KEY_LENGTH} to ${MAX_CANCEL_KEY_LENGTH}`;
    throw protocolError(side, `${message} carries a ${length}-byte secret key; expected ${expected}`);
  }
}

/** First byte of a TLS handshake record, sent by clients using direct SSL negotiation. */
const TLS_HANDSHAKE = 0x16;

export type StartupPacket =
  | { kind: 'ssl-request' }
  | { kind: 'gssenc-request' }
  | { kind: 'cancel-request'; pid: number; secretKey: Buffer }
  | {
      kind: 'startup';
      major: 3;
      minor: number;
      /** In the order sent; a repeated name keeps its last value, as the server does. */
      params: Map<string, string>;
      /** params.get('user'), never empty. */
      user: string;
    };

function startupError(message: string) {
  return protocolError('frontend', message);
}

/**
 * The whole length of the packet at the start of `buffered`, or null while
 * fewer than 4 bytes are there. Throws ProtocolError when the length is out
 * of bounds, which is also what a TLS ClientHello sent without SSLRequest
 * (libpq's sslnegotiation=direct) looks like.
 */
export function startupPacketLength(buffered: Buffer): number | null {
  if (buffered.length < 4) return null;
  if (buffered[0] === TLS_HANDSHAKE) {
    throw startupError('client opened with a TLS handshake instead of a startup packet (direct SSL negotiation is not supported)');
  }
  const length = buffered.readUInt32BE(0);
  if (length < 8 || length - 4 > MAX_STARTUP_PACKET_LENGTH) {
    throw startupError(`startup packet length ${length} is outside 8..${MAX_STARTUP_PACKET_LENGTH + 4}`);
  }
  return length;
}

/** Parses one complete first packet: `packet` holds exactly the bytes its length field counts. */
export function parseStartupPacket(packet: Buffer): StartupPacket {
  const length = startupPacketLength(packet);
  if (length !== packet.length) {
    throw startupError(`startup packet of ${byteCount(packet.length)} has a length field of ${length ?? 'less than 4 bytes'}`);
  }
  const code = packet.readUInt32BE(4);
  switch (code) {
    case SSL_REQUEST_CODE:
      expectLength(packet, 'SSLRequest');
      return { kind: 'ssl-request' };
    case GSSENC_REQUEST_CODE:
      expectLength(packet, 'GSSENCRequest');
      return { kind: 'gssenc-request' };
    case CANCEL_REQUEST_CODE:
      return parseCancelRequest(packet);
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3) throw startupError(`unsupported protocol version ${major}.${minor}`);
  const params = parseParams(packet);
  const user = params.get('user');
  if (user === undefined || user === '') throw startupError('StartupMessage names no user');
  return { kind: 'startup', major: 3, minor, params, user };
}

function expectLength(packet: Buffer, name: string): void {
  if (packet.length !== 8) throw startupError(`${name} of ${byteCount(packet.length)}; it is always 8`);
}

function parseCancelRequest(packet: Buffer): StartupPacket {
  checkSecretKeyLength('frontend', 'CancelRequest', packet.length - 12);
  return { kind: 'cancel-request', pid: packet.readInt32BE(8), secretKey: packet.subarray(12) };
}

/** name/value pairs from offset 8 up to the final 0x00, which must be the last byte. */
function parseParams(packet: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  const last = packet.length - 1;
  let offset = 8;
  for (;;) {
    if (offset > last) throw startupError('StartupMessage parameter list has no terminator');
    if (packet[offset] === 0) break;
    const nameEnd = packet.indexOf(0, offset);
    if (nameEnd < 0 || nameEnd === last) throw startupError(`StartupMessage parameter ${params.size + 1} has no value`);
    const valueEnd = packet.indexOf(0, nameEnd + 1);
    if (valueEnd < 0) throw startupError(`StartupMessage parameter ${params.size + 1} has an unterminated value`);
    params.set(packet.toString('utf8', offset, nameEnd), packet.toString('utf8', nameEnd + 1, valueEnd));
    offset = valueEnd + 1;
  }
  if (offset !== last) throw startupError(`StartupMessage has ${byteCount(last - offset)} after its parameter list`);
  return params;
}

/**
 * A StartupMessage for the given parameters (`user` among them), protocol
 * 3.`minor`. Names and values must not contain NUL; names must not be empty.
 */
export function encodeStartupMessage(params: ReadonlyMap<string, string> | Record<string, string>, minor = 0): Buffer {
  const w = new MessageWriter('frontend').int16(3).int16(minor);
  const entries = params instanceof Map ? [...params] : Object.entries(params);
  for (const [name, value] of entries) {
    if (name === '') throw protocolError('frontend', 'StartupMessage parameter name is empty');
    w.string(name, 'StartupMessage parameter name').string(value, `StartupMessage parameter ${name}`);
  }
  return w.int8(0).finishUntyped();
}

export function encodeSSLRequest(): Buffer {
  return new MessageWriter('frontend').int32(SSL_REQUEST_CODE).finishUntyped();
}

/** `secretKey` as BackendKeyData gave it: 4 bytes, or up to 256 under protocol 3.2. */
export function encodeCancelRequest(pid: number, secretKey: Uint8Array): Buffer {
  checkSecretKeyLength('frontend', 'CancelRequest', secretKey.length);
  return new MessageWriter('frontend').int32(CANCEL_REQUEST_CODE).int32(pid).bytes(secretKey).finishUntyped();
}
