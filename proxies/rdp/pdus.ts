/**
 * The PDUs the gateway writes itself: it plays the server towards the
 * person until their Client Info arrives (X.224 Connection Confirm, MCS
 * Connect-Response, Attach User and Channel Join Confirms), the client
 * towards the target for the same steps, and the ways it says goodbye
 * (Set Error Info, Disconnect Provider Ultimatum).
 */
import { BlockType } from './codec/data-blocks.js';
import { codecError } from './codec/errors.js';
import { frameLength, writeTpkt, type Frame } from './codec/framer.js';
import { serializeConferenceCreate } from './codec/gcc.js';
import { MCS_BASE_CHANNEL, serializeMcs, type Mcs } from './codec/mcs.js';
import { PduType, PduType2, serializeShareControl, serializeShareData } from './codec/share.js';
import { serializeX224 } from './codec/x224.js';
import { Writer } from './codec/bytes.js';
import type { Parsed } from '../wire/socket-reader.js';

/** The MCS channel the server sends from (MS-RDPBCGR 2.2.1.4: 1002, the MCS server's). */
export const SERVER_CHANNEL = MCS_BASE_CHANNEL + 1;
/** The I/O channel the gateway assigns the person; virtual channels follow it, then the user channel. */
export const GATEWAY_IO_CHANNEL = 1003;

/** RDP_NEG_FAILURE codes (MS-RDPBCGR 2.2.1.2.2). */
export const NegFailure = { SSL_REQUIRED_BY_SERVER: 1, SSL_NOT_ALLOWED_BY_SERVER: 2, SSL_CERT_NOT_ON_SERVER: 3, INCONSISTENT_FLAGS: 4, HYBRID_REQUIRED_BY_SERVER: 5 } as const;

/** Set Error Info codes the gateway sends (MS-RDPBCGR 2.2.5.1.1). */
export const ErrorInfo = {
  RPC_INITIATED_DISCONNECT: 0x0001,
  IDLE_TIMEOUT: 0x0003,
  LOGON_TIMEOUT: 0x0004,
  SERVER_DENIED_CONNECTION: 0x0007,
  SERVER_INSUFFICIENT_PRIVILEGES: 0x0009,
} as const;

export const mcsPdu = (m: Mcs): Buffer => writeTpkt(serializeX224({ kind: 'data', payload: serializeMcs(m) }));

/** Whole TPKT or fast-path PDUs from a SocketReader's buffer, at most `max` bytes each. */
export function rdpFrame(max: number): (buffered: Buffer) => Parsed<Frame> {
  return (b) => {
    if (b.length === 0) return undefined;
    const n = frameLength(b.subarray(0, 4), b.length);
    if (n === null) return undefined;
    if (n > max) throw codecError(['framer'], `a PDU of ${n} bytes before the session opened, more than the ${max} allowed`);
    if (b.length < n) return undefined;
    return { value: { kind: b[0] === 3 ? 'tpkt' : 'fastpath', bytes: Buffer.from(b.subarray(0, n)) }, used: n };
  };
}

/** X.224 Connection Confirm with RDP_NEG_RSP (2.2.1.2.1) selecting `protocol`. */
export function negotiationResponse(protocol: number): Buffer {
  // flags: EXTENDED_CLIENT_DATA_SUPPORTED only; the gateway offers no graphics pipeline.
  return writeTpkt(serializeX224({ kind: 'connection-confirm', dstRef: 0, srcRef: 0, cls: 0, negotiation: { type: 2, flags: 0x01, value: protocol }, tail: Buffer.alloc(0) }));
}

/** X.224 Connection Confirm with RDP_NEG_FAILURE (2.2.1.2.2). */
export function negotiationFailure(code: number): Buffer {
  return writeTpkt(serializeX224({ kind: 'connection-confirm', dstRef: 0, srcRef: 0, cls: 0, negotiation: { type: 3, flags: 0, value: code }, tail: Buffer.alloc(0) }));
}

/** X.224 Connection Request with RDP_NEG_REQ (2.2.1.1) asking for `protocols`. */
export function connectionRequest(cookie: string | null, protocols: number): Buffer {
  return writeTpkt(serializeX224({ kind: 'connection-request', dstRef: 0, srcRef: 0, cls: 0, cookie, negotiation: { type: 1, flags: 0, value: protocols }, correlation: null, tail: Buffer.alloc(0) }));
}

export interface GatewayChannels {
  io: number;
  /** By the position of the client's CHANNEL_DEF. */
  channels: number[];
  user: number;
}

export function gatewayChannels(count: number): GatewayChannels {
  const channels = Array.from({ length: count }, (_, i) => GATEWAY_IO_CHANNEL + 1 + i);
  return { io: GATEWAY_IO_CHANNEL, channels, user: GATEWAY_IO_CHANNEL + count + 1 };
}

// calledConnectId 0 and the DomainParameters of MS-RDPBCGR 4.1.4 (34 channels, 3 users, 0 tokens,
// 1 priority, throughput 0, height 1, PDU size 65528, protocol version 2), as BER TLVs.
const RESPONSE_HEAD = Buffer.from('020100301a020122020103020100020101020100020101020300fff8020102', 'hex');
// The Conference Create Response between the T.124 key and the H.221 key "McDn" (MS-RDPBCGR 4.1.4).
const GCC_RESPONSE_MIDDLE = Buffer.from('14760a01010001c0004d63446e', 'hex');

/**
 * MCS Connect-Response (2.2.1.4) to the person: server core data naming the
 * protocols they asked for, no RDP encryption (TLS carries the session), and
 * the channel ids of `ids`.
 */
export function connectResponse(requestedProtocols: number, ids: GatewayChannels): Buffer {
  const core = new Writer().u32le(0x00080004).u32le(requestedProtocols).u32le(0).done();
  const security = new Writer().u32le(0).u32le(0).done();
  const net = new Writer().u16le(ids.io).u16le(ids.channels.length);
  for (const id of ids.channels) net.u16le(id);
  if (ids.channels.length % 2 === 1) net.u16le(0);
  const blocks = [
    { type: BlockType.SC_CORE, body: core },
    { type: BlockType.SC_SECURITY, body: security },
    { type: BlockType.SC_NET, body: net.done() },
  ];
  const gcc = serializeConferenceCreate({ kind: 'response', middle: GCC_RESPONSE_MIDDLE, blocks, connectLength: 0x2a, lengthWidth: 1, userDataLengthWidth: 2 });
  return mcsPdu({ kind: 'connect-response', result: 0, head: RESPONSE_HEAD, userData: gcc, lengthWidth: 2, userDataLengthWidth: 2 });
}

export const attachUserConfirm = (user: number): Buffer => mcsPdu({ kind: 'attach-user-confirm', flags: 0x02, result: 0, initiator: user });

export const channelJoinConfirm = (user: number, channel: number): Buffer =>
  mcsPdu({ kind: 'channel-join-confirm', flags: 0x02, result: 0, initiator: user, requested: channel, channelId: channel });

export const erectDomainRequest = (): Buffer => mcsPdu({ kind: 'erect-domain-request', choice: 1, flags: 0, body: Buffer.from('01000100', 'hex') });
export const attachUserRequest = (): Buffer => mcsPdu({ kind: 'attach-user-request', flags: 0 });
export const channelJoinRequest = (user: number, channel: number): Buffer => mcsPdu({ kind: 'channel-join-request', flags: 0, initiator: user, channelId: channel });

/** A slow-path data PDU (2.2.8.1.1.1.2) from the server on the I/O channel `io`, uncompressed. */
export function serverData(io: number, pduType2: number, data: Buffer, shareId = 0x10000 + SERVER_CHANNEL): Buffer {
  const shareData = serializeShareData({ shareId, pad1: 0, streamId: 1, uncompressedLength: data.length + 4, pduType2, compressedType: 0, compressedLength: 0, data });
  return ioIndication(io, serializeShareControl({ totalLength: 0, pduType: PduType.DATA, version: 0x10, pduSource: SERVER_CHANNEL, body: shareData }));
}

/** MCS Send Data Indication from the server channel on the I/O channel `io`. */
export const ioIndication = (io: number, userData: Buffer): Buffer =>
  mcsPdu({ kind: 'send-data-indication', flags: 0, initiator: SERVER_CHANNEL, channelId: io, priority: 0x70, userData, lengthWidth: 2 });

/** Set Error Info PDU (2.2.5.1.1) on the I/O channel: the client shows why it was disconnected. */
export const setErrorInfo = (io: number, code: number): Buffer => serverData(io, PduType2.SET_ERROR_INFO_PDU, new Writer().u32le(code).done());

/** MCS Disconnect Provider Ultimatum (T.125), reason rn-user-requested: the domain ends. */
export const disconnectUltimatum = (): Buffer => mcsPdu({ kind: 'disconnect-provider-ultimatum', choice: 8, flags: 1, body: Buffer.of(0x80) });

/** The channel id of an MCS Send Data Request or Indication in a TPKT frame, else null. */
export function sendDataChannel(frame: Frame): number | null {
  const b = frame.bytes;
  // TPKT (4) | X.224 data (3: 02 F0 80) | choice byte | initiator:u16be | channelId:u16be (T.125 PER).
  if (frame.kind !== 'tpkt' || b.length < 12 || b[5] !== 0xf0) return null;
  const choice = b[7]! >> 2;
  return choice === 25 || choice === 26 ? b.readUInt16BE(10) : null;
}

/**
 * Rewrites the initiator and channel id of an MCS Send Data Request or
 * Indication in a TPKT frame through `map` (the two legs number their
 * channels apart); other frames come back unchanged.
 */
export function mapChannels(frame: Frame, map: ReadonlyMap<number, number>): Buffer {
  const b = frame.bytes;
  if (sendDataChannel(frame) === null) return b;
  const initiator = b.readUInt16BE(8) + MCS_BASE_CHANNEL;
  const channel = b.readUInt16BE(10);
  const i = map.get(initiator);
  const c = map.get(channel);
  if (i === undefined && c === undefined) return b;
  const out = Buffer.from(b);
  if (i !== undefined) out.writeUInt16BE(i - MCS_BASE_CHANNEL, 8);
  if (c !== undefined) out.writeUInt16BE(c, 10);
  return out;
}
