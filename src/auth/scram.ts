/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, both sides, as PostgreSQL speaks them
 * inside its SASL authentication messages.
 *
 * Specifications followed:
 *   RFC 5802  Salted Challenge Response Authentication Mechanism (SCRAM)
 *   RFC 7677  SCRAM-SHA-256 and SCRAM-SHA-256-PLUS
 *   RFC 5929  channel binding type tls-server-end-point
 *   RFC 4013  SASLprep (a profile of RFC 3454 stringprep)
 *   PostgreSQL documentation, "SASL Authentication" (protocol-flow) and the
 *   SCRAM secret format stored in pg_authid:
 *     SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 *
 * The exchange (RFC 5802 §3, H = SHA-256, HMAC = HMAC-SHA-256):
 *   SaltedPassword  = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, i, 32)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key");  StoredKey = H(ClientKey)
 *   ServerKey       = HMAC(SaltedPassword, "Server Key")
 *   AuthMessage     = client-first-message-bare "," server-first-message ","
 *                     client-final-message-without-proof
 *   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(ServerKey, AuthMessage)
 *
 * Invariants:
 * - Everything this module throws is an AuthError (code RG_ERR_AUTH), and no
 *   message ever carries a password, proof, nonce, salt or key. Strings that
 *   came off the wire appear in a message only when they are short printable
 *   ASCII (mechanism and channel-binding names, a server's e= value).
 * - Every secret comparison is constant-time (crypto.timingSafeEqual).
 * - Each ScramServer / ScramClient runs one exchange, in order; a call out of
 *   order, or any call after one that threw, throws.
 * - Like PostgreSQL, the user name inside client-first-message is ignored: who
 *   is logging in comes from the startup packet. An authorization identity
 *   (a=) and the reserved m= extension are refused.
 * - An unknown user (or an unusable verifier) gets a mock exchange: a salt
 *   derived from the user name and a server secret, the same iteration count
 *   real verifiers get by default, the same proof computation, and a failure
 *   at the very end, so probing cannot tell it from a wrong password.
 * - Channel binding (tls-server-end-point only): a server given binding data
 *   offers -PLUS and refuses a client that claims "y" (it supports binding but
 *   thinks the server does not: a downgrade), as PostgreSQL does.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

import { GatewayError } from '../errors.js';
import { fromBase64 } from '../seal/encoding.js';

/** A SCRAM exchange that is malformed, out of order or cannot be carried out. */
export class AuthError extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_AUTH', message, options);
  }
}

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
/** PostgreSQL's default (scram_iterations) and RFC 7677's recommended minimum. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/** PostgreSQL's SCRAM_DEFAULT_SALT_LEN. */
export const SCRAM_DEFAULT_SALT_BYTES = 16;
/** Highest iteration count a ScramClient accepts from a server by default. */
export const SCRAM_MAX_CLIENT_ITERATIONS = 10_000_000;

const KEY_BYTES = 32;
/** Raw bytes behind a generated nonce (base64: 24 printable characters), as libpq and PostgreSQL use. */
const NONCE_BYTES = 18;
/** PostgreSQL's verifier iteration count is a C int. */
const MAX_VERIFIER_ITERATIONS = 2 ** 31 - 1;
/** PostgreSQL caps a SASL message at 64 KiB less one (PG_MAX_AUTH_TOKEN_LENGTH). */
const MAX_MESSAGE_BYTES = 65535;
const CHANNEL_BINDING_TYPE = 'tls-server-end-point';
const MOCK_SALT_DOMAIN = 'recgate scram mock salt\0';

// ---------------------------------------------------------------------------
// SASLprep (RFC 4013), exactly as PostgreSQL's src/common/saslprep.c applies it
// ---------------------------------------------------------------------------

/*
 * Code point tables of RFC 3454 (stringprep, Unicode 3.2), as inclusive hex
 * ranges "first-last" or single code points.
 *
 * PROHIBITED is the union of the tables SASLprep (RFC 4013 §2.3) prohibits,
 * C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9, with A.1 (code points
 * unassigned in Unicode 3.2, RFC 4013 §2.5), since either one leads to the same
 * outcome here. RANDAL is D.1 (bidirectional R/AL), L is D.2 (bidirectional L).
 */
const MAP_TO_SPACE_TABLE = 'A0,1680,2000-200B,202F,205F,3000'; // C.1.2 non-ASCII space
const MAP_TO_NOTHING_TABLE = 'AD,34F,1806,180B-180D,200B-200D,2060,FE00-FE0F,FEFF'; // B.1
const PROHIBITED_TABLE =
  '0-1F,7F-A0,221,234-24F,2AE-2AF,2EF-2FF,340-341,350-35F,370-373,376-379,37B-37D,37F-383,38B,38D,3A2,' +
  '3CF,3F7-3FF,487,4CF,4F6-4F7,4FA-4FF,510-530,557-558,560,588,58B-590,5A2,5BA,5C5-5CF,5EB-5EF,5F5-60B,' +
  '60D-61A,61C-61E,620,63B-63F,656-65F,6DD,6EE-6EF,6FF,70E-70F,72D-72F,74B-77F,7B2-900,904,93A-93B,' +
  '94E-94F,955-957,971-980,984,98D-98E,991-992,9A9,9B1,9B3-9B5,9BA-9BB,9BD,9C5-9C6,9C9-9CA,9CE-9D6,' +
  '9D8-9DB,9DE,9E4-9E5,9FB-A01,A03-A04,A0B-A0E,A11-A12,A29,A31,A34,A37,A3A-A3B,A3D,A43-A46,A49-A4A,' +
  'A4E-A58,A5D,A5F-A65,A75-A80,A84,A8C,A8E,A92,AA9,AB1,AB4,ABA-ABB,AC6,ACA,ACE-ACF,AD1-ADF,AE1-AE5,' +
  'AF0-B00,B04,B0D-B0E,B11-B12,B29,B31,B34-B35,B3A-B3B,B44-B46,B49-B4A,B4E-B55,B58-B5B,B5E,B62-B65,' +
  'B71-B81,B84,B8B-B8D,B91,B96-B98,B9B,B9D,BA0-BA2,BA5-BA7,BAB-BAD,BB6,BBA-BBD,BC3-BC5,BC9,BCE-BD6,' +
  'BD8-BE6,BF3-C00,C04,C0D,C11,C29,C34,C3A-C3D,C45,C49,C4E-C54,C57-C5F,C62-C65,C70-C81,C84,C8D,C91,CA9,' +
  'CB4,CBA-CBD,CC5,CC9,CCE-CD4,CD7-CDD,CDF,CE2-CE5,CF0-D01,D04,D0D,D11,D29,D3A-D3D,D44-D45,D49,D4E-D56,' +
  'D58-D5F,D62-D65,D70-D81,D84,D97-D99,DB2,DBC,DBE-DBF,DC7-DC9,DCB-DCE,DD5,DD7,DE0-DF1,DF5-E00,E3B-E3E,' +
  'E5C-E80,E83,E85-E86,E89,E8B-E8C,E8E-E93,E98,EA0,EA4,EA6,EA8-EA9,EAC,EBA,EBE-EBF,EC5,EC7,ECE-ECF,' +
  'EDA-EDB,EDE-EFF,F48,F6B-F70,F8C-F8F,F98,FBD,FCD-FCE,FD0-FFF,1022,1028,102B,1033-1035,103A-103F,' +
  '105A-109F,10C6-10CF,10F9-10FA,10FC-10FF,115A-115E,11A3-11A7,11FA-11FF,1207,1247,1249,124E-124F,1257,' +
  '1259,125E-125F,1287,1289,128E-128F,12AF,12B1,12B6-12B7,12BF,12C1,12C6-12C7,12CF,12D7,12EF,130F,1311,' +
  '1316-1317,131F,1347,135B-1360,137D-139F,13F5-1400,1677-1680,169D-169F,16F1-16FF,170D,1715-171F,' +
  '1737-173F,1754-175F,176D,1771,1774-177F,17DD-17DF,17EA-17FF,180E-180F,181A-181F,1878-187F,18AA-1DFF,' +
  '1E9C-1E9F,1EFA-1EFF,1F16-1F17,1F1E-1F1F,1F46-1F47,1F4E-1F4F,1F58,1F5A,1F5C,1F5E,1F7E-1F7F,1FB5,1FC5,' +
  '1FD4-1FD5,1FDC,1FF0-1FF1,1FF5,1FFF-200F,2028-202F,2053-2056,2058-206F,2072-2073,208F-209F,20B2-20CF,' +
  '20EB-20FF,213B-213C,214C-2152,2184-218F,23CF-23FF,2427-243F,244B-245F,24FF,2614-2615,2618,267E-267F,' +
  '268A-2700,2705,270A-270B,2728,274C,274E,2753-2755,2757,275F-2760,2795-2797,27B0,27BF-27CF,27EC-27EF,' +
  '2B00-2E7F,2E9A,2EF4-2EFF,2FD6-3000,3040,3097-3098,3100-3104,312D-3130,318F,31B8-31EF,321D-321F,' +
  '3244-3250,327C-327E,32CC-32CF,32FF,3377-337A,33DE-33DF,33FF,4DB6-4DFF,9FA6-9FFF,A48D-A48F,A4C7-ABFF,' +
  'D7A4-F8FF,FA2E-FA2F,FA6B-FAFF,FB07-FB12,FB18-FB1C,FB37,FB3D,FB3F,FB42,FB45,FBB2-FBD2,FD40-FD4F,' +
  'FD90-FD91,FDC8-FDEF,FDFD-FDFF,FE10-FE1F,FE24-FE2F,FE47-FE48,FE53,FE67,FE6C-FE6F,FE75,FEFD-FF00,' +
  'FFBF-FFC1,FFC8-FFC9,FFD0-FFD1,FFD8-FFD9,FFDD-FFDF,FFE7,FFEF-102FF,1031F,10324-1032F,1034B-103FF,' +
  '10426-10427,1044E-1CFFF,1D0F6-1D0FF,1D127-1D129,1D173-1D17A,1D1DE-1D3FF,1D455,1D49D,1D4A0-1D4A1,' +
  '1D4A3-1D4A4,1D4A7-1D4A8,1D4AD,1D4BA,1D4BC,1D4C1,1D4C4,1D506,1D50B-1D50C,1D515,1D51D,1D53A,1D53F,' +
  '1D545,1D547-1D549,1D551,1D6A4-1D6A7,1D7CA-1D7CD,1D800-1FFFF,2A6D7-2F7FF,2FA1E-10FFFF,';
const RANDAL_TABLE =
  '5BE,5C0,5C3,5D0-5EA,5F0-5F4,61B,61F,621-63A,640-64A,66D-66F,671-6D5,6DD,6E5-6E6,6FA-6FE,700-70D,710,' +
  '712-72C,780-7A5,7B1,200F,FB1D,FB1F-FB28,FB2A-FB36,FB38-FB3C,FB3E,FB40-FB41,FB43-FB44,FB46-FBB1,' +
  'FBD3-FD3D,FD50-FD8F,FD92-FDC7,FDF0-FDFC,FE70-FE74,FE76-FEFC,';
const L_TABLE =
  '41-5A,61-7A,AA,B5,BA,C0-D6,D8-F6,F8-220,222-233,250-2AD,2B0-2B8,2BB-2C1,2D0-2D1,2E0-2E4,2EE,37A,386,' +
  '388-38A,38C,38E-3A1,3A3-3CE,3D0-3F5,400-482,48A-4CE,4D0-4F5,4F8-4F9,500-50F,531-556,559-55F,561-587,' +
  '589,903,905-939,93D-940,949-94C,950,958-961,964-970,982-983,985-98C,98F-990,993-9A8,9AA-9B0,9B2,' +
  '9B6-9B9,9BE-9C0,9C7-9C8,9CB-9CC,9D7,9DC-9DD,9DF-9E1,9E6-9F1,9F4-9FA,A05-A0A,A0F-A10,A13-A28,A2A-A30,' +
  'A32-A33,A35-A36,A38-A39,A3E-A40,A59-A5C,A5E,A66-A6F,A72-A74,A83,A85-A8B,A8D,A8F-A91,A93-AA8,AAA-AB0,' +
  'AB2-AB3,AB5-AB9,ABD-AC0,AC9,ACB-ACC,AD0,AE0,AE6-AEF,B02-B03,B05-B0C,B0F-B10,B13-B28,B2A-B30,B32-B33,' +
  'B36-B39,B3D-B3E,B40,B47-B48,B4B-B4C,B57,B5C-B5D,B5F-B61,B66-B70,B83,B85-B8A,B8E-B90,B92-B95,B99-B9A,' +
  'B9C,B9E-B9F,BA3-BA4,BA8-BAA,BAE-BB5,BB7-BB9,BBE-BBF,BC1-BC2,BC6-BC8,BCA-BCC,BD7,BE7-BF2,C01-C03,' +
  'C05-C0C,C0E-C10,C12-C28,C2A-C33,C35-C39,C41-C44,C60-C61,C66-C6F,C82-C83,C85-C8C,C8E-C90,C92-CA8,' +
  'CAA-CB3,CB5-CB9,CBE,CC0-CC4,CC7-CC8,CCA-CCB,CD5-CD6,CDE,CE0-CE1,CE6-CEF,D02-D03,D05-D0C,D0E-D10,' +
  'D12-D28,D2A-D39,D3E-D40,D46-D48,D4A-D4C,D57,D60-D61,D66-D6F,D82-D83,D85-D96,D9A-DB1,DB3-DBB,DBD,' +
  'DC0-DC6,DCF-DD1,DD8-DDF,DF2-DF4,E01-E30,E32-E33,E40-E46,E4F-E5B,E81-E82,E84,E87-E88,E8A,E8D,E94-E97,' +
  'E99-E9F,EA1-EA3,EA5,EA7,EAA-EAB,EAD-EB0,EB2-EB3,EBD,EC0-EC4,EC6,ED0-ED9,EDC-EDD,F00-F17,F1A-F34,F36,' +
  'F38,F3E-F47,F49-F6A,F7F,F85,F88-F8B,FBE-FC5,FC7-FCC,FCF,1000-1021,1023-1027,1029-102A,102C,1031,1038,' +
  '1040-1057,10A0-10C5,10D0-10F8,10FB,1100-1159,115F-11A2,11A8-11F9,1200-1206,1208-1246,1248,124A-124D,' +
  '1250-1256,1258,125A-125D,1260-1286,1288,128A-128D,1290-12AE,12B0,12B2-12B5,12B8-12BE,12C0,12C2-12C5,' +
  '12C8-12CE,12D0-12D6,12D8-12EE,12F0-130E,1310,1312-1315,1318-131E,1320-1346,1348-135A,1361-137C,' +
  '13A0-13F4,1401-1676,1681-169A,16A0-16F0,1700-170C,170E-1711,1720-1731,1735-1736,1740-1751,1760-176C,' +
  '176E-1770,1780-17B6,17BE-17C5,17C7-17C8,17D4-17DA,17DC,17E0-17E9,1810-1819,1820-1877,1880-18A8,' +
  '1E00-1E9B,1EA0-1EF9,1F00-1F15,1F18-1F1D,1F20-1F45,1F48-1F4D,1F50-1F57,1F59,1F5B,1F5D,1F5F-1F7D,' +
  '1F80-1FB4,1FB6-1FBC,1FBE,1FC2-1FC4,1FC6-1FCC,1FD0-1FD3,1FD6-1FDB,1FE0-1FEC,1FF2-1FF4,1FF6-1FFC,200E,' +
  '2071,207F,2102,2107,210A-2113,2115,2119-211D,2124,2126,2128,212A-212D,212F-2131,2133-2139,213D-213F,' +
  '2145-2149,2160-2183,2336-237A,2395,249C-24E9,3005-3007,3021-3029,3031-3035,3038-303C,3041-3096,' +
  '309D-309F,30A1-30FA,30FC-30FF,3105-312C,3131-318E,3190-31B7,31F0-321C,3220-3243,3260-327B,327F-32B0,' +
  '32C0-32CB,32D0-32FE,3300-3376,337B-33DD,33E0-33FE,3400-4DB5,4E00-9FA5,A000-A48C,AC00-D7A3,D800-FA2D,' +
  'FA30-FA6A,FB00-FB06,FB13-FB17,FF21-FF3A,FF41-FF5A,FF66-FFBE,FFC2-FFC7,FFCA-FFCF,FFD2-FFD7,FFDA-FFDC,' +
  '10300-1031E,10320-10323,10330-1034A,10400-10425,10428-1044D,1D000-1D0F5,1D100-1D126,1D12A-1D166,' +
  '1D16A-1D172,1D183-1D184,1D18C-1D1A9,1D1AE-1D1DD,1D400-1D454,1D456-1D49C,1D49E-1D49F,1D4A2,' +
  '1D4A5-1D4A6,1D4A9-1D4AC,1D4AE-1D4B9,1D4BB,1D4BD-1D4C0,1D4C2-1D4C3,1D4C5-1D505,1D507-1D50A,' +
  '1D50D-1D514,1D516-1D51C,1D51E-1D539,1D53B-1D53E,1D540-1D544,1D546,1D54A-1D550,1D552-1D6A3,' +
  '1D6A8-1D7C9,20000-2A6D6,2F800-2FA1D,F0000-FFFFD,100000-10FFFD,';

/** Parses a table into a sorted flat list of inclusive [first, last] pairs. */
function parseTable(table: string): Uint32Array {
  const items = table.split(',').filter((item) => item.length > 0);
  const out = new Uint32Array(items.length * 2);
  items.forEach((item, i) => {
    const [first, last = first] = item.split('-') as [string, string?];
    out[2 * i] = parseInt(first, 16);
    out[2 * i + 1] = parseInt(last, 16);
  });
  return out;
}

function inTable(table: Uint32Array, code: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (code < table[2 * mid]!) hi = mid - 1;
    else if (code > table[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

const MAP_TO_SPACE = parseTable(MAP_TO_SPACE_TABLE);
const MAP_TO_NOTHING = parseTable(MAP_TO_NOTHING_TABLE);
const PROHIBITED = parseTable(PROHIBITED_TABLE);
const RANDAL = parseTable(RANDAL_TABLE);
const L_CAT = parseTable(L_TABLE);

const ASCII_ONLY = /^[\x00-\x7f]*$/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The SASLprep form of `password`, or null where PostgreSQL would give up on
 * SASLprep and hash the password's raw bytes instead (a prohibited or
 * unassigned character, a bidirectional-rule violation, or nothing left after
 * mapping). As PostgreSQL does:
 * - pure ASCII is returned unchanged, unchecked;
 * - mapping (C.1.2 to SPACE first, then B.1 to nothing) comes before NFKC;
 * - the prohibited, unassigned and bidirectional checks look at the mapped
 *   string before normalisation (PostgreSQL's saslprep.c checks that string,
 *   and its verifiers are what must match).
 * NFKC results for code points assigned in Unicode 3.2 are frozen by Unicode's
 * normalisation stability policy, and later ones are refused as unassigned, so
 * the runtime's newer Unicode tables give PostgreSQL's result.
 */
export function saslprep(password: string): string | null {
  if (ASCII_ONLY.test(password)) return password;
  if (LONE_SURROGATE.test(password)) return null;
  const mapped: number[] = [];
  for (const ch of password) {
    const code = ch.codePointAt(0)!;
    if (inTable(MAP_TO_SPACE, code)) mapped.push(0x20);
    else if (!inTable(MAP_TO_NOTHING, code)) mapped.push(code);
  }
  if (mapped.length === 0) return null;
  if (mapped.some((code) => inTable(PROHIBITED, code))) return null;
  if (mapped.some((code) => inTable(RANDAL, code))) {
    if (mapped.some((code) => inTable(L_CAT, code))) return null;
    if (!inTable(RANDAL, mapped[0]!) || !inTable(RANDAL, mapped[mapped.length - 1]!)) return null;
  }
  return mapped
    .map((code) => String.fromCodePoint(code))
    .join('')
    .normalize('NFKC');
}

/** The bytes PBKDF2 hashes: SASLprep'd UTF-8, or the raw UTF-8 where SASLprep gives up. */
function passwordBytes(password: string): Buffer {
  if (typeof password !== 'string') throw new AuthError('SCRAM password must be a string');
  // Lone surrogates have no UTF-8 form; encoding them would silently replace
  // them and make different passwords equal.
  if (LONE_SURROGATE.test(password)) throw new AuthError('SCRAM password is not well-formed Unicode (lone surrogate)');
  return Buffer.from(saslprep(password) ?? password, 'utf8');
}

// ---------------------------------------------------------------------------
// Key derivation and verifiers
// ---------------------------------------------------------------------------

function hmac(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Keys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

function keysFrom(saltedPassword: Buffer): Keys {
  const clientKey = hmac(saltedPassword, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(saltedPassword, 'Server Key') };
}

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  /** H(ClientKey), 32 bytes. */
  storedKey: Buffer;
  /** HMAC(SaltedPassword, "Server Key"), 32 bytes. */
  serverKey: Buffer;
}

/**
 * A PostgreSQL SCRAM secret for `password`:
 * `SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>`.
 * Defaults: 4096 iterations, a fresh 16-byte random salt.
 */
export function makeScramVerifier(password: string, options: { iterations?: number; salt?: Buffer } = {}): string {
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_VERIFIER_ITERATIONS) {
    throw new AuthError(`SCRAM iteration count must be an integer from 1 to ${MAX_VERIFIER_ITERATIONS}`);
  }
  const salt = options.salt ?? randomBytes(SCRAM_DEFAULT_SALT_BYTES);
  if (!Buffer.isBuffer(salt) || salt.length === 0) throw new AuthError('SCRAM salt must be a non-empty Buffer');
  const keys = keysFrom(pbkdf2Sync(passwordBytes(password), salt, iterations, KEY_BYTES, 'sha256'));
  return `${SCRAM_SHA_256}$${iterations}:${salt.toString('base64')}$${keys.storedKey.toString('base64')}:${keys.serverKey.toString('base64')}`;
}

const VERIFIER = /^SCRAM-SHA-256\$([0-9]{1,10}):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

function decodeBase64(text: string): Buffer | null {
  const bytes = fromBase64(text);
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
}

/**
 * The parts of a PostgreSQL SCRAM-SHA-256 secret, or null when `text` is not a
 * well-formed one (never throws). Well-formed: iterations 1..2^31-1, a
 * non-empty salt, 32-byte StoredKey and ServerKey, canonical padded base64.
 */
export function parseScramVerifier(text: string): ScramVerifier | null {
  if (typeof text !== 'string') return null;
  const m = VERIFIER.exec(text);
  if (!m) return null;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > MAX_VERIFIER_ITERATIONS) return null;
  const salt = decodeBase64(m[2]!);
  const storedKey = decodeBase64(m[3]!);
  const serverKey = decodeBase64(m[4]!);
  if (!salt || salt.length === 0 || storedKey?.length !== KEY_BYTES || serverKey?.length !== KEY_BYTES) return null;
  return { iterations, salt, storedKey, serverKey };
}

/** True when `text` is a well-formed PostgreSQL SCRAM-SHA-256 secret. */
export function isScramVerifier(text: unknown): boolean {
  return typeof text === 'string' && parseScramVerifier(text) !== null;
}

// ---------------------------------------------------------------------------
// Message syntax (RFC 5802 §7)
// ---------------------------------------------------------------------------

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** printable = %x21-2B / %x2D-7E (no comma). */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** An extension attribute: ALPHA "=" value. */
const EXTENSION = /^[A-Za-z]=/;

/** `value` quoted, if it is short printable ASCII; otherwise a placeholder. Wire strings go in messages only this way. */
function shown(value: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(value) ? JSON.stringify(value) : '(not shown)';
}

function malformed(what: string, detail: string): AuthError {
  return new AuthError(`malformed SCRAM ${what}: ${detail}`);
}

function messageText(message: Uint8Array, what: string): string {
  if (!(message instanceof Uint8Array)) throw malformed(what, 'expected bytes');
  if (message.length === 0) throw malformed(what, 'empty message');
  if (message.length > MAX_MESSAGE_BYTES) throw malformed(what, `longer than ${MAX_MESSAGE_BYTES} bytes`);
  let text: string;
  try {
    text = strictUtf8.decode(message);
  } catch {
    throw malformed(what, 'not valid UTF-8');
  }
  if (text.includes('\0')) throw malformed(what, 'contains a NUL byte');
  return text;
}

/** The value of attribute `name` in `part`, which must be `name=value`. */
function attribute(part: string | undefined, name: string, what: string): string {
  if (part === undefined || part.length < 2 || part[0] !== name || part[1] !== '=') {
    throw malformed(what, `expected attribute "${name}"`);
  }
  return part.slice(2);
}

function checkExtensions(parts: string[], what: string): void {
  for (const part of parts) if (!EXTENSION.test(part)) throw malformed(what, 'expected an attribute=value extension');
}

function nonceValue(part: string | undefined, what: string): string {
  const nonce = attribute(part, 'r', what);
  if (!PRINTABLE.test(nonce)) throw malformed(what, 'nonce is empty or not printable');
  return nonce;
}

function base64Value(part: string | undefined, name: string, what: string, label: string): Buffer {
  const bytes = decodeBase64(attribute(part, name, what));
  if (!bytes) throw malformed(what, `${label} is not valid base64`);
  return bytes;
}

/** saslname (RFC 5802 §7): "," and "=" are written =2C and =3D. */
function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function checkNonceOption(nonce: string | undefined): string {
  if (nonce === undefined) return randomBytes(NONCE_BYTES).toString('base64');
  if (typeof nonce !== 'string' || !PRINTABLE.test(nonce)) throw new AuthError('SCRAM nonce option must be printable ASCII without ","');
  return nonce;
}

// ---------------------------------------------------------------------------
// Server side: the gateway authenticating a person
// ---------------------------------------------------------------------------

export interface ScramServerOptions {
  /** The user's stored SCRAM secret; null for an unknown user (a mock exchange that fails at the end). */
  verifier: string | null;
  /** The user name from the startup packet (the mock salt is derived from it). */
  user: string;
  /** A server secret (at least 16 bytes), stable across restarts, for mock salts. */
  mockSecret: Buffer;
  /** tls-server-end-point hash of the gateway's certificate (tlsServerEndPoint), when on TLS. */
  channelBinding?: Buffer;
  /** Iteration count a mock exchange announces; default 4096, as new verifiers get. */
  mockIterations?: number;
  /** For tests: the server's part of the nonce (printable, no ","). */
  nonce?: string;
}

export type ScramServerResult = { ok: true; serverFinal: Buffer } | { ok: false; reason: string };

type ServerState = 'start' | 'sent-first' | 'done';

/**
 * One server-side exchange. Protocol errors throw AuthError (send the client an
 * error and close); a well-formed exchange that fails returns ok: false with a
 * reason for the gateway's log only (tell the client just "authentication failed").
 */
export class ScramServer {
  private state: ServerState = 'start';
  private readonly salt: Buffer;
  private readonly iterations: number;
  private readonly storedKey: Buffer;
  private readonly serverKey: Buffer;
  /** Why a mock exchange will fail, or null for a real one. */
  private readonly doomed: string | null;
  private readonly channelBinding: Buffer | undefined;
  private readonly serverNonce: string;
  private gs2Header = '';
  private cbindFlag: 'n' | 'y' | 'p' = 'n';
  private clientFirstBare = '';
  private nonce = '';
  private serverFirstMessage = '';

  constructor(opts: ScramServerOptions) {
    if (typeof opts.user !== 'string') throw new AuthError('SCRAM server needs the user name');
    if (!Buffer.isBuffer(opts.mockSecret) || opts.mockSecret.length < 16) {
      throw new AuthError('SCRAM mock secret must be a Buffer of at least 16 bytes');
    }
    if (opts.channelBinding !== undefined && (!Buffer.isBuffer(opts.channelBinding) || opts.channelBinding.length === 0)) {
      throw new AuthError('SCRAM channel binding data must be a non-empty Buffer');
    }
    const mockIterations = opts.mockIterations ?? SCRAM_DEFAULT_ITERATIONS;
    if (!Number.isSafeInteger(mockIterations) || mockIterations < 1 || mockIterations > MAX_VERIFIER_ITERATIONS) {
      throw new AuthError(`SCRAM mock iteration count must be an integer from 1 to ${MAX_VERIFIER_ITERATIONS}`);
    }
    this.channelBinding = opts.channelBinding;
    this.serverNonce = checkNonceOption(opts.nonce);
    const parsed = opts.verifier === null ? null : parseScramVerifier(opts.verifier);
    if (parsed) {
      this.doomed = null;
      this.salt = parsed.salt;
      this.iterations = parsed.iterations;
      this.storedKey = parsed.storedKey;
      this.serverKey = parsed.serverKey;
    } else {
      // PostgreSQL's mock authentication: a salt that is the same every time
      // for this name but unpredictable without the secret, and random keys
      // that no proof can match.
      this.doomed = opts.verifier === null ? 'unknown user' : 'invalid verifier';
      this.salt = createHmac('sha256', opts.mockSecret)
        .update(MOCK_SALT_DOMAIN)
        .update(opts.user, 'utf8')
        .digest()
        .subarray(0, SCRAM_DEFAULT_SALT_BYTES);
      this.iterations = mockIterations;
      this.storedKey = randomBytes(KEY_BYTES);
      this.serverKey = randomBytes(KEY_BYTES);
    }
  }

  /** The mechanisms to offer in AuthenticationSASL, in order of preference. */
  mechanisms(): string[] {
    return this.channelBinding ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256];
  }

  /** Reads client-first-message (SASLInitialResponse data) for `mechanism`; returns server-first-message. */
  clientFirst(mechanism: string, message: Buffer): Buffer {
    const what = 'client-first-message';
    if (this.state !== 'start') throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done'; // until it succeeds: a throw ends the exchange
    if (typeof mechanism !== 'string' || !this.mechanisms().includes(mechanism)) {
      throw new AuthError(`unsupported SASL mechanism ${shown(String(mechanism))}`);
    }
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    const text = messageText(message, what);

    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const comma1 = text.indexOf(',');
    const comma2 = comma1 < 0 ? -1 : text.indexOf(',', comma1 + 1);
    if (comma2 < 0) throw malformed(what, 'incomplete GS2 header');
    const flag = text.slice(0, comma1);
    const authzid = text.slice(comma1 + 1, comma2);
    if (flag === 'n' || flag === 'y') {
      if (plus) throw new AuthError(`client selected ${SCRAM_SHA_256_PLUS} but sent no channel binding`);
      if (flag === 'y' && this.channelBinding) {
        throw new AuthError('SCRAM channel binding downgrade: the client supports channel binding but thinks the server does not');
      }
      this.cbindFlag = flag;
    } else if (flag.startsWith('p=')) {
      if (!plus) throw new AuthError(`client selected ${SCRAM_SHA_256} (without -PLUS) but asked for channel binding`);
      if (flag.slice(2) !== CHANNEL_BINDING_TYPE) throw new AuthError(`unsupported SCRAM channel binding type ${shown(flag.slice(2))}`);
      this.cbindFlag = 'p';
    } else {
      throw malformed(what, 'unexpected channel-binding flag');
    }
    if (authzid !== '') {
      if (authzid.startsWith('a=')) throw new AuthError('SCRAM authorization identity (a=) is not supported');
      throw malformed(what, 'unexpected GS2 authorization field');
    }

    // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    const bare = text.slice(comma2 + 1);
    const parts = bare.split(',');
    if (parts[0]?.startsWith('m=')) throw new AuthError('client requires an unsupported SCRAM extension (m=)');
    attribute(parts[0], 'n', what); // ignored, as PostgreSQL does: the user comes from the startup packet
    const clientNonce = nonceValue(parts[1], what);
    checkExtensions(parts.slice(2), what);

    this.gs2Header = text.slice(0, comma2 + 1);
    this.clientFirstBare = bare;
    this.nonce = clientNonce + this.serverNonce;
    this.serverFirstMessage = `r=${this.nonce},s=${this.salt.toString('base64')},i=${this.iterations}`;
    this.state = 'sent-first';
    return Buffer.from(this.serverFirstMessage, 'utf8');
  }

  /** Reads client-final-message; on success returns server-final-message (send it in AuthenticationSASLFinal). */
  clientFinal(message: Buffer): ScramServerResult {
    const what = 'client-final-message';
    if (this.state !== 'sent-first') throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done';
    const text = messageText(message, what);

    // client-final-message = channel-binding "," nonce ["," extensions] "," proof
    const parts = text.split(',');
    if (parts.length < 3) throw malformed(what, 'too few attributes');
    const cbind = base64Value(parts[0], 'c', what, 'channel binding');
    const nonce = nonceValue(parts[1], what);
    const proof = base64Value(parts[parts.length - 1], 'p', what, 'proof');
    if (proof.length !== KEY_BYTES) throw malformed(what, 'proof has the wrong length');
    checkExtensions(parts.slice(2, -1), what);
    const withoutProof = parts.slice(0, -1).join(',');

    // c= must carry exactly the GS2 header the client sent first, plus the
    // binding data when it chose -PLUS.
    const expectedCbind = Buffer.concat([
      Buffer.from(this.gs2Header, 'utf8'),
      this.cbindFlag === 'p' && this.channelBinding ? this.channelBinding : Buffer.alloc(0),
    ]);
    const cbindOk = sameBytes(cbind, expectedCbind);
    const nonceOk = nonce === this.nonce;

    // The proof is checked in every case, mock exchanges included, so that all
    // failures cost the same.
    const authMessage = `${this.clientFirstBare},${this.serverFirstMessage},${withoutProof}`;
    const clientKey = xor(proof, hmac(this.storedKey, authMessage));
    const proofOk = sameBytes(sha256(clientKey), this.storedKey);

    if (!cbindOk) return { ok: false, reason: 'channel binding mismatch' };
    if (!nonceOk) return { ok: false, reason: 'nonce mismatch' };
    if (this.doomed !== null) return { ok: false, reason: this.doomed };
    if (!proofOk) return { ok: false, reason: 'wrong password' };
    const serverSignature = hmac(this.serverKey, authMessage);
    return { ok: true, serverFinal: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8') };
  }
}

// ---------------------------------------------------------------------------
// Client side: the gateway logging in to a target
// ---------------------------------------------------------------------------

export interface ScramClientOptions {
  password: string;
  /** tls-server-end-point hash of the target's certificate (tlsServerEndPoint), when on TLS. */
  channelBinding?: Buffer;
  /** Name sent in client-first-message; default "" as libpq sends (PostgreSQL ignores it). */
  user?: string;
  /** Highest iteration count accepted from the server; default 10,000,000. */
  maxIterations?: number;
  /** For tests: the client nonce (printable, no ","). */
  nonce?: string;
}

type ClientState = 'start' | 'chosen' | 'sent-first' | 'sent-final' | 'done';

/**
 * One client-side exchange: mechanism(), clientFirst(), serverFirst() (or
 * serverFirstAsync()), serverFinal(). The target is authenticated only once
 * serverFinal() has returned (`completed`); an AuthenticationOk before that
 * must be refused, or a server that skips the exchange goes unnoticed.
 */
export class ScramClient {
  private state: ClientState = 'start';
  private readonly password: Buffer;
  private readonly channelBinding: Buffer | undefined;
  private readonly user: string;
  private readonly maxIterations: number;
  private readonly clientNonce: string;
  private chosen = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;
  private verified = false;

  constructor(opts: ScramClientOptions) {
    this.password = passwordBytes(opts.password);
    if (opts.channelBinding !== undefined && (!Buffer.isBuffer(opts.channelBinding) || opts.channelBinding.length === 0)) {
      throw new AuthError('SCRAM channel binding data must be a non-empty Buffer');
    }
    this.channelBinding = opts.channelBinding;
    this.user = opts.user ?? '';
    if (typeof this.user !== 'string') throw new AuthError('SCRAM user name must be a string');
    this.maxIterations = opts.maxIterations ?? SCRAM_MAX_CLIENT_ITERATIONS;
    if (!Number.isSafeInteger(this.maxIterations) || this.maxIterations < 1) {
      throw new AuthError('SCRAM maxIterations must be a positive integer');
    }
    this.clientNonce = checkNonceOption(opts.nonce);
  }

  /** True once the server's signature has been verified. */
  get completed(): boolean {
    return this.verified;
  }

  /**
   * Picks a mechanism from the server's AuthenticationSASL list: -PLUS when we
   * have binding data and it is offered, else SCRAM-SHA-256 (GS2 flag "y" when
   * we have binding data the server did not ask for, "n" when we have none).
   */
  mechanism(offered: readonly string[]): string {
    if (this.state !== 'start') throw new AuthError('SCRAM mechanism already chosen');
    this.state = 'done';
    if (!Array.isArray(offered)) throw new AuthError('SCRAM offered mechanisms must be a list');
    if (this.channelBinding && offered.includes(SCRAM_SHA_256_PLUS)) {
      this.chosen = SCRAM_SHA_256_PLUS;
      this.gs2Header = `p=${CHANNEL_BINDING_TYPE},,`;
    } else if (offered.includes(SCRAM_SHA_256)) {
      this.chosen = SCRAM_SHA_256;
      this.gs2Header = this.channelBinding ? 'y,,' : 'n,,';
    } else {
      const plusOnly = offered.includes(SCRAM_SHA_256_PLUS);
      throw new AuthError(
        plusOnly
          ? `server offers only ${SCRAM_SHA_256_PLUS}, and there is no TLS channel binding data`
          : `server offers no SASL mechanism we support (${offered.map((m) => shown(String(m))).join(', ') || 'none'})`,
      );
    }
    this.state = 'chosen';
    return this.chosen;
  }

  /** client-first-message, the data of SASLInitialResponse. */
  clientFirst(): Buffer {
    if (this.state !== 'chosen') throw new AuthError('SCRAM client-first-message out of order (choose the mechanism first)');
    this.clientFirstBare = `n=${escapeSaslName(this.user)},r=${this.clientNonce}`;
    this.state = 'sent-first';
    return Buffer.from(this.gs2Header + this.clientFirstBare, 'utf8');
  }

  /** Reads server-first-message; returns client-final-message. PBKDF2 runs on this thread. */
  serverFirst(message: Buffer): Buffer {
    const first = this.readServerFirst(message);
    return this.finish(first, pbkdf2Sync(this.password, first.salt, first.iterations, KEY_BYTES, 'sha256'));
  }

  /** As serverFirst, with PBKDF2 on libuv's thread pool rather than the event loop. */
  async serverFirstAsync(message: Buffer): Promise<Buffer> {
    const first = this.readServerFirst(message);
    const salted = await new Promise<Buffer>((resolve, reject) => {
      pbkdf2(this.password, first.salt, first.iterations, KEY_BYTES, 'sha256', (err, key) => {
        if (err) reject(new AuthError('SCRAM key derivation failed', { cause: err }));
        else resolve(key);
      });
    });
    return this.finish(first, salted);
  }

  /** Reads server-final-message; throws if the server sent e=... or its signature is wrong. */
  serverFinal(message: Buffer): void {
    const what = 'server-final-message';
    if (this.state !== 'sent-final' || !this.expectedServerSignature) throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done';
    const expected = this.expectedServerSignature;
    const text = messageText(message, what);
    const parts = text.split(',');
    if (parts[0]?.startsWith('e=')) throw new AuthError(`server rejected SCRAM authentication: ${shown(parts[0].slice(2))}`);
    const signature = base64Value(parts[0], 'v', what, 'server signature');
    checkExtensions(parts.slice(1), what);
    if (!sameBytes(signature, expected)) {
      throw new AuthError('SCRAM server signature is wrong: the server does not hold this password, or the exchange was tampered with');
    }
    this.verified = true;
  }

  private readServerFirst(message: Buffer): { text: string; nonce: string; salt: Buffer; iterations: number } {
    const what = 'server-first-message';
    if (this.state !== 'sent-first') throw new AuthError(`SCRAM ${what} out of order`);
    this.state = 'done';
    const text = messageText(message, what);

    // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
    const parts = text.split(',');
    if (parts[0]?.startsWith('m=')) throw new AuthError('server requires an unsupported SCRAM extension (m=)');
    if (parts[0]?.startsWith('e=')) throw new AuthError(`server rejected SCRAM authentication: ${shown(parts[0].slice(2))}`);
    const nonce = nonceValue(parts[0], what);
    if (nonce.length <= this.clientNonce.length || !nonce.startsWith(this.clientNonce)) {
      throw new AuthError('SCRAM nonce mismatch: the server nonce does not extend ours');
    }
    const salt = base64Value(parts[1], 's', what, 'salt');
    if (salt.length === 0) throw malformed(what, 'empty salt');
    const iterationText = attribute(parts[2], 'i', what);
    if (!/^[0-9]{1,10}$/.test(iterationText)) throw malformed(what, 'iteration count is not a number');
    const iterations = Number(iterationText);
    if (iterations < 1 || iterations > this.maxIterations) {
      throw new AuthError(`SCRAM iteration count ${iterations} is outside 1..${this.maxIterations}`);
    }
    checkExtensions(parts.slice(3), what);
    return { text, nonce, salt, iterations };
  }

  private finish(first: { text: string; nonce: string }, saltedPassword: Buffer): Buffer {
    const keys = keysFrom(saltedPassword);
    const cbindInput = Buffer.concat([
      Buffer.from(this.gs2Header, 'utf8'),
      this.chosen === SCRAM_SHA_256_PLUS && this.channelBinding ? this.channelBinding : Buffer.alloc(0),
    ]);
    const withoutProof = `c=${cbindInput.toString('base64')},r=${first.nonce}`;
    const authMessage = `${this.clientFirstBare},${first.text},${withoutProof}`;
    const proof = xor(keys.clientKey, hmac(keys.storedKey, authMessage));
    this.expectedServerSignature = hmac(keys.serverKey, authMessage);
    this.state = 'sent-final';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }
}

// ---------------------------------------------------------------------------
// tls-server-end-point (RFC 5929 §4)
// ---------------------------------------------------------------------------

/*
 * RFC 5929 §4.1: hash the certificate (DER) with the hash function of its
 * signatureAlgorithm, except that MD5 and SHA-1 become SHA-256. For algorithms
 * with no single hash (Ed25519, Ed448) or none we recognise, RFC 5929 leaves
 * the value undefined; PostgreSQL (be_tls_get_certificate_hash, and libpq's
 * peer-side twin) refuses channel binding then, and so does this: it throws.
 */
const SIGNATURE_HASHES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.4', 'sha256'], // md5WithRSAEncryption (MD5 -> SHA-256)
  ['1.2.840.113549.1.1.5', 'sha256'], // sha1WithRSAEncryption (SHA-1 -> SHA-256)
  ['1.2.840.113549.1.1.14', 'sha224'], // sha224WithRSAEncryption
  ['1.2.840.113549.1.1.11', 'sha256'], // sha256WithRSAEncryption
  ['1.2.840.113549.1.1.12', 'sha384'], // sha384WithRSAEncryption
  ['1.2.840.113549.1.1.13', 'sha512'], // sha512WithRSAEncryption
  ['1.2.840.10045.4.1', 'sha256'], // ecdsa-with-SHA1 (SHA-1 -> SHA-256)
  ['1.2.840.10045.4.3.1', 'sha224'], // ecdsa-with-SHA224
  ['1.2.840.10045.4.3.2', 'sha256'], // ecdsa-with-SHA256
  ['1.2.840.10045.4.3.3', 'sha384'], // ecdsa-with-SHA384
  ['1.2.840.10045.4.3.4', 'sha512'], // ecdsa-with-SHA512
  ['1.2.840.10040.4.3', 'sha256'], // dsa-with-sha1 (SHA-1 -> SHA-256)
  ['2.16.840.1.101.3.4.3.1', 'sha224'], // dsa-with-sha224
  ['2.16.840.1.101.3.4.3.2', 'sha256'], // dsa-with-sha256
  ['2.16.840.1.101.3.4.3.9', 'sha3-224'], // id-ecdsa-with-sha3-224
  ['2.16.840.1.101.3.4.3.10', 'sha3-256'], // id-ecdsa-with-sha3-256
  ['2.16.840.1.101.3.4.3.11', 'sha3-384'], // id-ecdsa-with-sha3-384
  ['2.16.840.1.101.3.4.3.12', 'sha3-512'], // id-ecdsa-with-sha3-512
  ['2.16.840.1.101.3.4.3.13', 'sha3-224'], // id-rsassa-pkcs1-v1_5-with-sha3-224
  ['2.16.840.1.101.3.4.3.14', 'sha3-256'], // id-rsassa-pkcs1-v1_5-with-sha3-256
  ['2.16.840.1.101.3.4.3.15', 'sha3-384'], // id-rsassa-pkcs1-v1_5-with-sha3-384
  ['2.16.840.1.101.3.4.3.16', 'sha3-512'], // id-rsassa-pkcs1-v1_5-with-sha3-512
]);

/** Hash algorithm identifiers, for RSASSA-PSS parameters (RFC 4055 §3.1). */
const HASH_OIDS: ReadonlyMap<string, string> = new Map([
  ['1.3.14.3.2.26', 'sha256'], // id-sha1 (SHA-1 -> SHA-256)
  ['2.16.840.1.101.3.4.2.4', 'sha224'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
  ['2.16.840.1.101.3.4.2.7', 'sha3-224'],
  ['2.16.840.1.101.3.4.2.8', 'sha3-256'],
  ['2.16.840.1.101.3.4.2.9', 'sha3-384'],
  ['2.16.840.1.101.3.4.2.10', 'sha3-512'],
]);

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const NO_HASH_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.3.101.112', 'Ed25519'],
  ['1.3.101.113', 'Ed448'],
]);

interface Tlv {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

/** One DER TLV at `offset` (single-byte tags, definite lengths), within `limit`. */
function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  const bad = (): AuthError => new AuthError('certificate is not valid DER');
  if (offset + 2 > limit) throw bad();
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) throw bad();
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw bad();
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  if (start + length > limit) throw bad();
  return { tag, start, end: start + length };
}

function expectTlv(der: Buffer, offset: number, limit: number, tag: number): Tlv {
  const tlv = readTlv(der, offset, limit);
  if (tlv.tag !== tag) throw new AuthError('certificate is not valid DER: unexpected structure');
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER's content bytes. */
function oidText(bytes: Buffer): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new AuthError('certificate is not valid DER: oversized OID arc');
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  if (bytes.length === 0 || bytes[bytes.length - 1]! & 0x80) throw new AuthError('certificate is not valid DER: bad OID');
  const first = arcs.shift()!;
  const [a, b] = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [a, b, ...arcs].join('.');
}

/** Reads AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } at `tlv`. */
function algorithmIdentifier(der: Buffer, tlv: Tlv): { oid: string; params: Tlv | null } {
  const oid = expectTlv(der, tlv.start, tlv.end, 0x06);
  const params = oid.end < tlv.end ? readTlv(der, oid.end, tlv.end) : null;
  return { oid: oidText(der.subarray(oid.start, oid.end)), params };
}

/** The hash RSASSA-PSS-params names: hashAlgorithm [0] HashAlgorithm DEFAULT sha1. */
function pssHash(der: Buffer, params: Tlv | null): string | undefined {
  if (!params || params.tag !== 0x30) return undefined;
  if (params.start === params.end) return HASH_OIDS.get('1.3.14.3.2.26');
  const first = readTlv(der, params.start, params.end);
  if (first.tag !== 0xa0) return HASH_OIDS.get('1.3.14.3.2.26');
  const hashAlg = expectTlv(der, first.start, first.end, 0x30);
  return HASH_OIDS.get(algorithmIdentifier(der, hashAlg).oid);
}

/**
 * tls-server-end-point channel binding data (RFC 5929 §4.1) for a certificate
 * in DER: its hash under the hash of its signatureAlgorithm (MD5 and SHA-1
 * upgraded to SHA-256). Throws AuthError for malformed DER and for signature
 * algorithms with no usable hash (Ed25519, Ed448, unknown): the caller must
 * then not offer or use -PLUS, which is what PostgreSQL does too.
 */
export function tlsServerEndPoint(certDer: Buffer): Buffer {
  if (!(certDer instanceof Uint8Array)) throw new AuthError('certificate must be DER bytes');
  const der = Buffer.from(certDer.buffer, certDer.byteOffset, certDer.byteLength);
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
  const cert = expectTlv(der, 0, der.length, 0x30);
  if (cert.end !== der.length) throw new AuthError('certificate is not valid DER: trailing bytes');
  const tbs = expectTlv(der, cert.start, cert.end, 0x30);
  const sigAlg = expectTlv(der, tbs.end, cert.end, 0x30);
  const { oid, params } = algorithmIdentifier(der, sigAlg);
  const hash = oid === RSASSA_PSS ? pssHash(der, params) : SIGNATURE_HASHES.get(oid);
  if (!hash) {
    const name = NO_HASH_ALGORITHMS.get(oid);
    throw new AuthError(
      name
        ? `no tls-server-end-point channel binding for a certificate signed with ${name} (its signature has no hash to reuse)`
        : `no tls-server-end-point channel binding for certificate signature algorithm ${oid}`,
    );
  }
  return createHash(hash).update(der).digest();
}
