/**
 * MCS (ITU-T T.125) as RDP uses it (MS-RDPBCGR 2.2.1.3 - 2.2.1.9, 2.2.8.1.1.1):
 *
 *   Connect-Initial  BER [APPLICATION 101] { callingDomainSelector OCTET STRING,
 *                    calledDomainSelector OCTET STRING, upwardFlag BOOLEAN,
 *                    target/minimum/maximumParameters DomainParameters,
 *                    userData OCTET STRING (GCC Conference Create Request) }
 *   Connect-Response BER [APPLICATION 102] { result ENUMERATED, calledConnectId INTEGER,
 *                    domainParameters DomainParameters, userData OCTET STRING }
 *   domain PDUs      PER: choice << 2 in the first byte, then per type
 *     Erect Domain Request (1)   subHeight, subInterval            (kept verbatim)
 *     Disconnect Provider Ultimatum (8)                            (kept verbatim)
 *     Attach User Request (10)   nothing
 *     Attach User Confirm (11)   result:u8 [initiator:u16be + 1001]
 *     Channel Join Request (14)  initiator:u16be - 1001 | channelId:u16be
 *     Channel Join Confirm (15)  result | initiator | requested [| channelId]
 *     Send Data Request (25) / Indication (26)
 *                                initiator | channelId | priority+segmentation:u8 | PER length | userData
 *
 * Everything between the tags that the relay never edits (selectors,
 * domain parameters) is kept as raw TLVs.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';
import { expectBerTag, readBerLength, readPerLength, writeBerLength, writePerLength } from './asn1.js';

export const MCS_BASE_CHANNEL = 1001;

export const DomainPdu = {
  erectDomainRequest: 1,
  disconnectProviderUltimatum: 8,
  attachUserRequest: 10,
  attachUserConfirm: 11,
  channelJoinRequest: 14,
  channelJoinConfirm: 15,
  sendDataRequest: 25,
  sendDataIndication: 26,
} as const;

export interface ConnectInitial {
  kind: 'connect-initial';
  /** The selectors, upward flag and three DomainParameters as BER TLVs, verbatim. */
  head: Buffer;
  userData: Buffer;
  lengthWidth: number;
  userDataLengthWidth: number;
}

export interface ConnectResponse {
  kind: 'connect-response';
  result: number;
  /** calledConnectId and domainParameters as BER TLVs, verbatim. */
  head: Buffer;
  userData: Buffer;
  lengthWidth: number;
  userDataLengthWidth: number;
}

export type DomainMessage =
  | { kind: 'attach-user-request'; flags: number }
  | { kind: 'attach-user-confirm'; flags: number; result: number; initiator: number | null }
  | { kind: 'channel-join-request'; flags: number; initiator: number; channelId: number }
  | { kind: 'channel-join-confirm'; flags: number; result: number; initiator: number; requested: number; channelId: number | null }
  | { kind: 'send-data-request' | 'send-data-indication'; flags: number; initiator: number; channelId: number; priority: number; userData: Buffer; lengthWidth: number }
  | { kind: 'erect-domain-request' | 'disconnect-provider-ultimatum' | 'other-domain-pdu'; choice: number; flags: number; body: Buffer };

export type Mcs = ConnectInitial | ConnectResponse | DomainMessage;

/** Skips one BER TLV, returning its bytes. */
function rawTlv(r: Reader): Buffer {
  const start = r.offset;
  r.u8('tag');
  const { value } = readBerLength(r);
  r.need(value, 'BER value');
  r.offset += value;
  return r.buf.subarray(start, r.offset);
}

function readUserData(r: Reader): { userData: Buffer; userDataLengthWidth: number } {
  expectBerTag(r, [0x04], 'userData');
  const l = readBerLength(r);
  const userData = r.bytes(l.value, 'userData');
  return { userData, userDataLengthWidth: l.width };
}

function parseConnect(r: Reader, tag: number): Mcs {
  const length = readBerLength(r);
  const body = r.sub(length.value, 'mcs', 'connect body');
  r.end('the connect PDU');
  if (tag === 0x65) {
    const start = body.offset;
    for (let i = 0; i < 6; i++) rawTlv(body);
    const head = Buffer.from(body.buf.subarray(start, body.offset));
    const ud = readUserData(body);
    body.end('Connect-Initial');
    return { kind: 'connect-initial', head, ...ud, lengthWidth: length.width };
  }
  expectBerTag(body, [0x0a], 'result');
  if (readBerLength(body).value !== 1) throw codecError(['mcs'], 'a result of more than one byte');
  const result = body.u8('result');
  const start = body.offset;
  rawTlv(body);
  rawTlv(body);
  const head = Buffer.from(body.buf.subarray(start, body.offset));
  const ud = readUserData(body);
  body.end('Connect-Response');
  return { kind: 'connect-response', result, head, ...ud, lengthWidth: length.width };
}

/** Parses the user data of an X.224 data TPDU. */
export function parseMcs(payload: Buffer): Mcs {
  const r = new Reader(payload, 'mcs');
  const first = r.u8('MCS header');
  if (first === 0x7f) {
    const tag = r.u8('application tag');
    if (tag !== 0x65 && tag !== 0x66) throw codecError(['mcs'], `application tag ${tag} is neither Connect-Initial nor Connect-Response`);
    return parseConnect(r, tag);
  }
  const choice = first >> 2;
  const flags = first & 0x03;
  switch (choice) {
    case DomainPdu.attachUserRequest:
      r.end('Attach User Request');
      return { kind: 'attach-user-request', flags };
    case DomainPdu.attachUserConfirm: {
      const result = r.u8('result');
      const initiator = flags & 0x02 ? r.u16be('initiator') + MCS_BASE_CHANNEL : null;
      r.end('Attach User Confirm');
      return { kind: 'attach-user-confirm', flags, result, initiator };
    }
    case DomainPdu.channelJoinRequest: {
      const initiator = r.u16be('initiator') + MCS_BASE_CHANNEL;
      const channelId = r.u16be('channelId');
      r.end('Channel Join Request');
      return { kind: 'channel-join-request', flags, initiator, channelId };
    }
    case DomainPdu.channelJoinConfirm: {
      const result = r.u8('result');
      const initiator = r.u16be('initiator') + MCS_BASE_CHANNEL;
      const requested = r.u16be('requested');
      const channelId = flags & 0x02 ? r.u16be('channelId') : null;
      r.end('Channel Join Confirm');
      return { kind: 'channel-join-confirm', flags, result, initiator, requested, channelId };
    }
    case DomainPdu.sendDataRequest:
    case DomainPdu.sendDataIndication: {
      const initiator = r.u16be('initiator') + MCS_BASE_CHANNEL;
      const channelId = r.u16be('channelId');
      const priority = r.u8('priority');
      const l = readPerLength(r);
      const userData = r.bytes(l.value, 'userData');
      r.end('Send Data');
      const kind = choice === DomainPdu.sendDataRequest ? 'send-data-request' : 'send-data-indication';
      return { kind, flags, initiator, channelId, priority, userData, lengthWidth: l.width };
    }
    default: {
      const kind = choice === DomainPdu.erectDomainRequest ? 'erect-domain-request' : choice === DomainPdu.disconnectProviderUltimatum ? 'disconnect-provider-ultimatum' : 'other-domain-pdu';
      return { kind, choice, flags, body: r.rest() };
    }
  }
}

function connectBytes(tag: number, inner: Buffer, width: number): Buffer {
  return Buffer.concat([Buffer.of(0x7f, tag), writeBerLength(inner.length, width), inner]);
}

export function serializeMcs(m: Mcs): Buffer {
  const w = new Writer();
  switch (m.kind) {
    case 'connect-initial':
    case 'connect-response': {
      const ud = Buffer.concat([Buffer.of(0x04), writeBerLength(m.userData.length, m.userDataLengthWidth), m.userData]);
      const result = m.kind === 'connect-response' ? Buffer.of(0x0a, 1, m.result) : Buffer.alloc(0);
      return connectBytes(m.kind === 'connect-initial' ? 0x65 : 0x66, Buffer.concat([result, m.head, ud]), m.lengthWidth);
    }
    case 'attach-user-request':
      return Buffer.of((DomainPdu.attachUserRequest << 2) | m.flags);
    case 'attach-user-confirm':
      w.u8((DomainPdu.attachUserConfirm << 2) | m.flags).u8(m.result);
      if (m.initiator !== null) w.u16be(m.initiator - MCS_BASE_CHANNEL);
      return w.done();
    case 'channel-join-request':
      return w.u8((DomainPdu.channelJoinRequest << 2) | m.flags).u16be(m.initiator - MCS_BASE_CHANNEL).u16be(m.channelId).done();
    case 'channel-join-confirm':
      w.u8((DomainPdu.channelJoinConfirm << 2) | m.flags).u8(m.result).u16be(m.initiator - MCS_BASE_CHANNEL).u16be(m.requested);
      if (m.channelId !== null) w.u16be(m.channelId);
      return w.done();
    case 'send-data-request':
    case 'send-data-indication': {
      const choice = m.kind === 'send-data-request' ? DomainPdu.sendDataRequest : DomainPdu.sendDataIndication;
      w.u8((choice << 2) | m.flags).u16be(m.initiator - MCS_BASE_CHANNEL).u16be(m.channelId).u8(m.priority);
      return w.bytes(writePerLength(m.userData.length, m.lengthWidth)).bytes(m.userData).done();
    }
    default:
      return w.u8((m.choice << 2) | m.flags).bytes(m.body).done();
  }
}
