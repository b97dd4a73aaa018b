/**
 * NTLM messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE and AUTHENTICATE, with
 * the AV pairs of the target information (2.2.2.1). Pure: bytes in, messages out.
 * Every variable field is a (Len, MaxLen, BufferOffset) triple pointing into the
 * payload after the fixed part.
 */
import { ProtocolError } from '../errors.js';

export const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/** NegotiateFlags (MS-NLMP 2.2.2.5). */
export const Flag = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  N128: 0x20000000,
  KEY_EXCH: 0x40000000,
  N56: 0x80000000,
} as const;

/** AvId values (MS-NLMP 2.2.2.1). */
export const Av = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  SingleHost: 8,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const AV_FLAG_MIC = 0x2;

export type AvPairs = Array<{ id: number; value: Buffer }>;

/** Windows 10.0 build 17763, NTLMSSP revision 15 (MS-NLMP 2.2.2.10). */
export const VERSION = Buffer.from('0a0063450000000f', 'hex');

export interface Negotiate {
  flags: number;
}

export interface Challenge {
  flags: number;
  serverChallenge: Buffer;
  targetName: Buffer;
  targetInfo: Buffer;
}

export interface Authenticate {
  flags: number;
  lmResponse: Buffer;
  ntResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedSessionKey: Buffer;
  /** The 16-byte MIC field, present when the message is long enough to hold one. */
  mic: Buffer | null;
  /** Offset of the MIC in the raw message, for zeroing it when checking. */
  micOffset: number;
}

const fail = (message: string): never => {
  throw new ProtocolError(['ntlm'], message);
};

function header(buf: Buffer, type: number, minLength: number): void {
  if (buf.length < minLength) fail(`message of ${buf.length} bytes is shorter than ${minLength}`);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) fail('not an NTLM message (no NTLMSSP signature)');
  const t = buf.readUInt32LE(8);
  if (t !== type) fail(`message type ${t} where ${type} belongs`);
}

/** The bytes a (Len, MaxLen, BufferOffset) field at `at` points to. */
function field(buf: Buffer, at: number, what: string): Buffer {
  const len = buf.readUInt16LE(at);
  const offset = buf.readUInt32LE(at + 4);
  if (len === 0) return Buffer.alloc(0);
  if (offset + len > buf.length) fail(`${what} points past the end of the message`);
  return Buffer.from(buf.subarray(offset, offset + len));
}

/** Writes the fixed part with field triples for `payloads`, then the payloads, in order. */
function assemble(fixed: Buffer, fieldOffsets: number[], payloads: Buffer[]): Buffer {
  let at = fixed.length;
  fieldOffsets.forEach((o, i) => {
    const p = payloads[i]!;
    fixed.writeUInt16LE(p.length, o);
    fixed.writeUInt16LE(p.length, o + 2);
    fixed.writeUInt32LE(at, o + 4);
    at += p.length;
  });
  return Buffer.concat([fixed, ...payloads]);
}

export function encodeNegotiate(m: Negotiate): Buffer {
  const fixed = Buffer.alloc(40);
  SIGNATURE.copy(fixed);
  fixed.writeUInt32LE(1, 8);
  fixed.writeUInt32LE(m.flags >>> 0, 12);
  VERSION.copy(fixed, 32);
  return assemble(fixed, [16, 24], [Buffer.alloc(0), Buffer.alloc(0)]);
}

export function decodeNegotiate(buf: Buffer): Negotiate {
  header(buf, 1, 16);
  return { flags: buf.readUInt32LE(12) };
}

/*
 * CHALLENGE: Signature(8) Type=2(4) TargetNameFields(8)@12 NegotiateFlags(4)@20
 * ServerChallenge(8)@24 Reserved(8)@32 TargetInfoFields(8)@40 Version(8)@48, payload @56
 */
export function encodeChallenge(m: Challenge): Buffer {
  const fixed = Buffer.alloc(56);
  SIGNATURE.copy(fixed);
  fixed.writeUInt32LE(2, 8);
  fixed.writeUInt32LE(m.flags >>> 0, 20);
  m.serverChallenge.copy(fixed, 24);
  VERSION.copy(fixed, 48);
  return assemble(fixed, [12, 40], [m.targetName, m.targetInfo]);
}

export function decodeChallenge(buf: Buffer): Challenge {
  header(buf, 2, 48);
  const flags = buf.readUInt32LE(20);
  return {
    flags,
    serverChallenge: Buffer.from(buf.subarray(24, 32)),
    targetName: field(buf, 12, 'TargetName'),
    targetInfo: flags & Flag.TARGET_INFO ? field(buf, 40, 'TargetInfo') : Buffer.alloc(0),
  };
}

/*
 * AUTHENTICATE: Signature(8) Type=3(4) LmChallengeResponseFields@12 NtChallengeResponseFields@20
 * DomainNameFields@28 UserNameFields@36 WorkstationFields@44 EncryptedRandomSessionKeyFields@52
 * NegotiateFlags@60 Version@64 MIC(16)@72, payload @88
 */
export const MIC_OFFSET = 72;

export function encodeAuthenticate(m: Omit<Authenticate, 'micOffset'>): Buffer {
  const fixed = Buffer.alloc(88);
  SIGNATURE.copy(fixed);
  fixed.writeUInt32LE(3, 8);
  fixed.writeUInt32LE(m.flags >>> 0, 60);
  VERSION.copy(fixed, 64);
  m.mic?.copy(fixed, MIC_OFFSET);
  const u = (s: string): Buffer => Buffer.from(s, 'utf16le');
  return assemble(fixed, [28, 36, 44, 12, 20, 52], [u(m.domain), u(m.user), u(m.workstation), m.lmResponse, m.ntResponse, m.encryptedSessionKey]);
}

export function decodeAuthenticate(buf: Buffer): Authenticate {
  header(buf, 3, 64);
  const flags = buf.readUInt32LE(60);
  if (!(flags & Flag.UNICODE)) fail('the client does not speak Unicode');
  const text = (at: number, what: string): string => {
    const b = field(buf, at, what);
    if (b.length % 2) fail(`${what} is not UTF-16`);
    return b.toString('utf16le');
  };
  // The MIC sits before the payload: present when the first payload starts at 88 or later.
  const firstPayload = Math.min(...[12, 20, 28, 36, 44, 52].map((o) => (buf.readUInt16LE(o) ? buf.readUInt32LE(o + 4) : buf.length)));
  const hasMic = firstPayload >= MIC_OFFSET + 16 && buf.length >= MIC_OFFSET + 16;
  return {
    flags,
    lmResponse: field(buf, 12, 'LmChallengeResponse'),
    ntResponse: field(buf, 20, 'NtChallengeResponse'),
    domain: text(28, 'DomainName'),
    user: text(36, 'UserName'),
    workstation: text(44, 'Workstation'),
    encryptedSessionKey: field(buf, 52, 'EncryptedRandomSessionKey'),
    mic: hasMic ? Buffer.from(buf.subarray(MIC_OFFSET, MIC_OFFSET + 16)) : null,
    micOffset: MIC_OFFSET,
  };
}

/** AV_PAIR list (MS-NLMP 2.2.2.1): AvId(2) AvLen(2) Value, ending with MsvAvEOL. */
export function decodeAvPairs(buf: Buffer): AvPairs {
  const out: AvPairs = [];
  for (let at = 0; ; ) {
    if (at + 4 > buf.length) return fail('target information without its end marker');
    const id = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (id === Av.EOL) return out;
    if (at + 4 + len > buf.length) fail('an AV pair runs past the target information');
    out.push({ id, value: Buffer.from(buf.subarray(at + 4, at + 4 + len)) });
    at += 4 + len;
  }
}

export function encodeAvPairs(pairs: AvPairs): Buffer {
  const parts: Buffer[] = [];
  for (const { id, value } of pairs) {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(id);
    h.writeUInt16LE(value.length, 2);
    parts.push(h, value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}
