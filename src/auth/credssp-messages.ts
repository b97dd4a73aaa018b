/**
 * CredSSP messages (MS-CSSP 2.2.1): TSRequest, TSCredentials, TSPasswordCreds,
 * encoded and decoded as DER. Pure: bytes in, messages out.
 *
 *   TSRequest ::= SEQUENCE {
 *     version    [0] INTEGER,
 *     negoTokens [1] SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING } OPTIONAL,
 *     authInfo   [2] OCTET STRING OPTIONAL,
 *     pubKeyAuth [3] OCTET STRING OPTIONAL,
 *     errorCode  [4] INTEGER OPTIONAL,        -- version 3 and later
 *     clientNonce [5] OCTET STRING OPTIONAL } -- version 5 and later
 */
import { ProtocolError } from '../errors.js';
import { context, elementSize, expect, explicit, integer, octetString, readAll, readTlv, readUint32, sequence, Tag } from './der.js';

export interface TsRequest {
  version: number;
  negoTokens?: Buffer[];
  authInfo?: Buffer;
  pubKeyAuth?: Buffer;
  errorCode?: number;
  clientNonce?: Buffer;
}

/** MS-CSSP 2.2.1.2: the credentials the client delegates. */
export interface PasswordCreds {
  domain: string;
  user: string;
  password: string;
}

/** The largest TSRequest accepted: NTLM tokens and sealed credentials are a few KiB. */
export const MAX_TS_REQUEST = 64 * 1024;

const fail = (message: string): never => {
  throw new ProtocolError(['credssp'], message);
};

export function encodeTsRequest(m: TsRequest): Buffer {
  const parts = [explicit(0, integer(m.version))];
  if (m.negoTokens?.length) parts.push(explicit(1, sequence(...m.negoTokens.map((t) => sequence(explicit(0, octetString(t)))))));
  if (m.authInfo) parts.push(explicit(2, octetString(m.authInfo)));
  if (m.pubKeyAuth) parts.push(explicit(3, octetString(m.pubKeyAuth)));
  if (m.errorCode !== undefined) parts.push(explicit(4, integer(m.errorCode)));
  if (m.clientNonce) parts.push(explicit(5, octetString(m.clientNonce)));
  return sequence(...parts);
}

/** How many bytes the TSRequest at the start of `buf` takes, or null until its header arrived. */
export function tsRequestSize(buf: Buffer): number | null {
  if (buf.length > 0 && buf[0] !== Tag.Sequence) {
    fail(`expected a TSRequest (a DER SEQUENCE), got a byte 0x${buf[0]!.toString(16)}`);
  }
  return elementSize(buf, MAX_TS_REQUEST);
}

export function decodeTsRequest(buf: Buffer): TsRequest {
  const outer = readTlv(buf);
  if (outer.size !== buf.length) fail('bytes after the TSRequest');
  const fields = readAll(expect(outer, Tag.Sequence, 'TSRequest'));
  const byTag = new Map<number, Buffer>();
  let last = -1;
  for (const f of fields) {
    const n = f.tag & 0x1f;
    if ((f.tag & 0xe0) !== 0xa0 || n > 5) fail(`unexpected field 0x${f.tag.toString(16)} in TSRequest`);
    if (n <= last) fail('TSRequest fields out of order or repeated');
    last = n;
    byTag.set(n, f.value);
  }
  const one = (n: number, tag: number, what: string): Buffer | undefined => {
    const v = byTag.get(n);
    return v === undefined ? undefined : expect(readTlv(v), tag, what);
  };
  const m: TsRequest = { version: readUint32(one(0, Tag.Integer, 'version') ?? fail('TSRequest without version'), 'version') };
  const nego = one(1, Tag.Sequence, 'negoTokens');
  if (nego) m.negoTokens = readAll(nego).map((item) => expect(readAll(expect(item, Tag.Sequence, 'NegoData'))[0], context(0), 'negoToken')).map((t) => Buffer.from(expect(readTlv(t), Tag.OctetString, 'negoToken')));
  const authInfo = one(2, Tag.OctetString, 'authInfo');
  if (authInfo) m.authInfo = Buffer.from(authInfo);
  const pubKeyAuth = one(3, Tag.OctetString, 'pubKeyAuth');
  if (pubKeyAuth) m.pubKeyAuth = Buffer.from(pubKeyAuth);
  const errorCode = one(4, Tag.Integer, 'errorCode');
  if (errorCode) m.errorCode = readUint32(errorCode, 'errorCode');
  const nonce = one(5, Tag.OctetString, 'clientNonce');
  if (nonce) {
    if (nonce.length !== 32) fail(`clientNonce of ${nonce.length} bytes, not 32`);
    m.clientNonce = Buffer.from(nonce);
  }
  return m;
}

const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');

/** TSCredentials { credType [0] 1 (password), credentials [1] TSPasswordCreds } (MS-CSSP 2.2.1.2). */
export function encodeTsCredentials(c: PasswordCreds): Buffer {
  const creds = sequence(explicit(0, octetString(utf16(c.domain))), explicit(1, octetString(utf16(c.user))), explicit(2, octetString(utf16(c.password))));
  return sequence(explicit(0, integer(1)), explicit(1, octetString(creds)));
}

export function decodeTsCredentials(buf: Buffer): PasswordCreds {
  const outer = readTlv(buf);
  const [type, body] = readAll(expect(outer, Tag.Sequence, 'TSCredentials'));
  const credType = readUint32(expect(readTlv(expect(type, context(0), 'credType')), Tag.Integer, 'credType'), 'credType');
  if (credType !== 1) fail(`credentials of type ${credType} (smart card or remote guard) are not supported; send a password`);
  const creds = expect(readTlv(expect(body, context(1), 'credentials')), Tag.OctetString, 'credentials');
  const fields = readAll(expect(readTlv(creds), Tag.Sequence, 'TSPasswordCreds'));
  const text = (n: number, what: string): string => {
    const v = expect(fields[n], context(n), what);
    const s = expect(readTlv(v), Tag.OctetString, what);
    if (s.length % 2 !== 0) fail(`${what} is not UTF-16`);
    return s.toString('utf16le');
  };
  return { domain: text(0, 'domainName'), user: text(1, 'userName'), password: text(2, 'password') };
}

