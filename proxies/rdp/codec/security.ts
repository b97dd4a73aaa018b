/**
 * The security layer with TLS or NLA (no RDP encryption), MS-RDPBCGR:
 *
 *   basic security header (2.2.8.1.1.2.1): flags:u16le | flagsHi:u16le
 *   Client Info PDU (2.2.1.11.1.1, TS_INFO_PACKET):
 *     codePage:u32 | flags:u32 | cbDomain | cbUserName | cbPassword | cbAlternateShell | cbWorkingDir (u16 each,
 *     byte counts without the terminator) | Domain | UserName | Password | AlternateShell | WorkingDir
 *     (each followed by a NUL: 2 bytes with INFO_UNICODE, 1 without) | extraInfo (2.2.1.11.1.1.1, verbatim)
 *   licensing (2.2.1.12): preamble bMsgType:u8 | flags:u8 | wMsgSize:u16le, recognised and passed through.
 *
 * The Client Info is where the gateway injects the target's credentials.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

export const SecFlag = {
  EXCHANGE_PKT: 0x0001,
  TRANSPORT_REQ: 0x0002,
  TRANSPORT_RSP: 0x0004,
  ENCRYPT: 0x0008,
  RESET_SEQNO: 0x0010,
  IGNORE_SEQNO: 0x0020,
  INFO_PKT: 0x0040,
  LICENSE_PKT: 0x0080,
  LICENSE_ENCRYPT_CS: 0x0100,
  LICENSE_ENCRYPT_SC: 0x0200,
  REDIRECTION_PKT: 0x0400,
  SECURE_CHECKSUM: 0x0800,
  AUTODETECT_REQ: 0x1000,
  AUTODETECT_RSP: 0x2000,
  HEARTBEAT: 0x4000,
  FLAGSHI_VALID: 0x8000,
} as const;

export interface Secured {
  flags: number;
  flagsHi: number;
  body: Buffer;
}

export function parseSecurityHeader(data: Buffer): Secured {
  const r = new Reader(data, 'security');
  const flags = r.u16le('flags');
  const flagsHi = r.u16le('flagsHi');
  if (flags & SecFlag.ENCRYPT) throw codecError(['security'], 'an RDP-encrypted PDU: only TLS and NLA security are relayed');
  return { flags, flagsHi, body: r.rest() };
}

export function serializeSecurityHeader(s: Secured): Buffer {
  return new Writer().u16le(s.flags).u16le(s.flagsHi).bytes(s.body).done();
}

/** TS_INFO_PACKET flags (2.2.1.11.1.1). */
export const InfoFlag = {
  MOUSE: 0x1,
  DISABLECTRLALTDEL: 0x2,
  AUTOLOGON: 0x8,
  UNICODE: 0x10,
  MAXIMIZESHELL: 0x20,
  LOGONNOTIFY: 0x40,
  COMPRESSION: 0x80,
  ENABLEWINDOWSKEY: 0x100,
  COMPRESSION_TYPE_MASK: 0x1e00,
  REMOTECONSOLEAUDIO: 0x2000,
  FORCE_ENCRYPTED_CS_PDU: 0x4000,
  RAIL: 0x8000,
  LOGONERRORS: 0x10000,
  MOUSE_HAS_WHEEL: 0x20000,
  PASSWORD_IS_SC_PIN: 0x40000,
  NOAUDIOPLAYBACK: 0x80000,
  USING_SAVED_CREDS: 0x100000,
  AUDIOCAPTURE: 0x200000,
  VIDEO_DISABLE: 0x400000,
  HIDEF_RAIL_SUPPORTED: 0x2000000,
} as const;

export interface ClientInfo {
  codePage: number;
  flags: number;
  domain: string;
  userName: string;
  password: string;
  alternateShell: string;
  workingDir: string;
  /** TS_EXTENDED_INFO_PACKET and anything after it, verbatim. */
  extra: Buffer;
}

const STRINGS = ['domain', 'userName', 'password', 'alternateShell', 'workingDir'] as const;
/** Largest byte counts TS_INFO_PACKET allows (domain 512, user 512, password 512, shell 512, dir 512). */
const MAX_FIELD = 512;

export function parseClientInfo(body: Buffer): ClientInfo {
  const r = new Reader(body, 'client-info');
  const codePage = r.u32le('codePage');
  const flags = r.u32le('flags');
  const unicode = (flags & InfoFlag.UNICODE) !== 0;
  const sizes = STRINGS.map((name) => {
    const n = r.u16le(`cb ${name}`);
    if (n > MAX_FIELD) throw codecError(['client-info'], `${name} of ${n} bytes, more than ${MAX_FIELD}`);
    return n;
  });
  const text: string[] = sizes.map((n, i) => {
    const raw = r.bytes(n + (unicode ? 2 : 1), STRINGS[i]!);
    return unicode ? raw.subarray(0, n).toString('utf16le') : raw.subarray(0, n).toString('latin1');
  });
  return { codePage, flags, domain: text[0]!, userName: text[1]!, password: text[2]!, alternateShell: text[3]!, workingDir: text[4]!, extra: r.rest() };
}

export function serializeClientInfo(info: ClientInfo): Buffer {
  const unicode = (info.flags & InfoFlag.UNICODE) !== 0;
  const encoded = STRINGS.map((k) => Buffer.from(info[k], unicode ? 'utf16le' : 'latin1'));
  const w = new Writer().u32le(info.codePage).u32le(info.flags);
  for (const e of encoded) {
    if (e.length > MAX_FIELD) throw codecError(['client-info'], `a field of ${e.length} bytes, more than ${MAX_FIELD}`);
    w.u16le(e.length);
  }
  for (const e of encoded) w.bytes(e).bytes(Buffer.alloc(unicode ? 2 : 1));
  return w.bytes(info.extra).done();
}

/** The Client Info with the target's credentials in place of what the client sent, auto-logon on. */
export function injectCredentials(info: ClientInfo, creds: { domain?: string; userName: string; password: string }): ClientInfo {
  return { ...info, domain: creds.domain ?? '', userName: creds.userName, password: creds.password, flags: info.flags | InfoFlag.AUTOLOGON };
}

/** Licensing message types (2.2.1.12.1.1, LICENSE_PREAMBLE bMsgType). */
export const LICENSE_MESSAGES: Record<number, string> = {
  0x01: 'license-request',
  0x02: 'platform-challenge',
  0x03: 'new-license',
  0x04: 'upgrade-license',
  0x12: 'license-info',
  0x13: 'new-license-request',
  0x15: 'platform-challenge-response',
  0xff: 'error-alert',
};

export interface LicensingPdu {
  msgType: number;
  name: string;
  flags: number;
  /** The whole licensing PDU (preamble included), passed through as it came. */
  raw: Buffer;
}

export function recogniseLicensing(body: Buffer): LicensingPdu {
  const r = new Reader(body, 'licensing');
  const msgType = r.u8('bMsgType');
  const flags = r.u8('flags');
  const size = r.u16le('wMsgSize');
  if (size !== body.length) throw codecError(['licensing'], `wMsgSize ${size} is not the ${body.length} bytes of the PDU`);
  return { msgType, name: LICENSE_MESSAGES[msgType] ?? 'unknown', flags, raw: Buffer.from(body) };
}
