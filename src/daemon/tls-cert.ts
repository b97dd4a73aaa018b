/**
 * A self-signed TLS server certificate for the gateway's listeners, built here
 * in DER (X.509 v3, RFC 5280) with a fresh ECDSA P-256 key:
 *
 *   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE {
 *     version [0] EXPLICIT INTEGER 2 (v3), serialNumber INTEGER,
 *     signature AlgorithmIdentifier, issuer Name, validity Validity, subject Name,
 *     subjectPublicKeyInfo, extensions [3] EXPLICIT SEQUENCE OF Extension }
 *
 * Invariants:
 * - issuer = subject = CN=<commonName>; signed ecdsa-with-SHA256 (RFC 5758
 *   §3.2: parameters absent), so tls-server-end-point channel binding hashes
 *   it with SHA-256.
 * - serial: 16 random bytes, positive and minimally encoded (RFC 5280 §4.1.2.2).
 * - validity: now - 1 h .. now + days; UTCTime through 2049, GeneralizedTime
 *   from 2050 (RFC 5280 §4.1.2.5), whole seconds, "Z".
 * - extensions: basicConstraints CA:FALSE (critical), keyUsage digitalSignature
 *   (critical), extendedKeyUsage serverAuth, subjectAltName of DNS names and
 *   IP addresses (RFC 5280 §4.2.1.6).
 * - the private key is returned as unencrypted PKCS#8 PEM: store it mode 0600.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

import { ConfigError } from '../errors.js';

export interface SelfSignedOptions {
  commonName: string;
  /** DNS names and IP addresses (v4 or v6); default localhost, 127.0.0.1, ::1. */
  altNames?: string[];
  /** Days of validity from now; default 3650. */
  days?: number;
}

export const DEFAULT_ALT_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];
export const DEFAULT_CERT_DAYS = 3650;

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

// ---------------------------------------------------------------------------
// A minimal DER writer (ITU-T X.690 §8, §10)
// ---------------------------------------------------------------------------

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let length: Buffer;
  if (n < 0x80) {
    length = Buffer.from([n]);
  } else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items);
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const derTrue = (): Buffer => tlv(0x01, Buffer.from([0xff]));

/** INTEGER from unsigned big-endian bytes: leading zeros dropped, a 0x00 added if the top bit is set. */
function integer(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  let body = unsigned.subarray(i);
  if (body.length === 0) body = Buffer.from([0]);
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const base128 = (v: number): void => {
    const chunk = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  };
  base128(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) base128(arc);
  return tlv(0x06, Buffer.from(out));
}

/** BIT STRING with no unused bits. */
const bitString = (bytes: Buffer): Buffer => tlv(0x03, Buffer.from([0]), bytes);

function time(date: Date): Buffer {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const year = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(pad(year % 100) + rest, 'ascii')); // UTCTime
  return tlv(0x18, Buffer.from(pad(year, 4) + rest, 'ascii')); // GeneralizedTime
}

// ---------------------------------------------------------------------------
// Certificate parts
// ---------------------------------------------------------------------------

function name(commonName: string): Buffer {
  // Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET OF AttributeTypeAndValue
  return seq(set(seq(oid(OID.commonName), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), derTrue(), octetString(value)) : seq(oid(id), octetString(value));
}

/** IPv4 or IPv6 text as its 4 or 16 network-order bytes. */
export function ipAddressBytes(address: string): Buffer {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) throw new ConfigError(`not an IP address: ${JSON.stringify(address)}`);
  let text = address.split('%')[0]!; // a zone index is not part of the address
  const words: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string?];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const headWords = parse(head);
  const tailWords = tail === undefined ? [] : parse(tail);
  words.push(...headWords);
  if (tail !== undefined) for (let i = headWords.length + tailWords.length; i < 8; i++) words.push(0);
  words.push(...tailWords);
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** LDH labels of 1..63 characters (underscores tolerated), dot-separated, an optional leading "*." wildcard. */
const DNS_NAME = /^(\*\.)?[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

function subjectAltNames(names: readonly string[]): Buffer {
  const general = names.map((n) => {
    if (isIP(n)) return tlv(0x87, ipAddressBytes(n)); // iPAddress [7] IMPLICIT OCTET STRING
    // dNSName [2] IMPLICIT IA5String: a host name in its ASCII (A-label) form, "*." allowed first
    if (!DNS_NAME.test(n) || n.length > 253) {
      throw new ConfigError(`subjectAltName ${JSON.stringify(n)} is neither an IP address nor an ASCII DNS name`);
    }
    return tlv(0x82, Buffer.from(n, 'ascii'));
  });
  return seq(...general);
}

/**
 * A new self-signed server certificate and its private key, both PEM. Throws
 * ConfigError for an empty common name, a bad alt name or a bad day count.
 */
export function generateSelfSignedCertificate(opts: SelfSignedOptions): { certPem: string; keyPem: string } {
  const commonName = opts.commonName;
  if (typeof commonName !== 'string' || commonName.length === 0 || commonName.length > 64) {
    throw new ConfigError('certificate common name must be 1 to 64 characters'); // ub-common-name, RFC 5280
  }
  const altNames = opts.altNames ?? DEFAULT_ALT_NAMES;
  if (altNames.length === 0) throw new ConfigError('certificate needs at least one subjectAltName');
  const days = opts.days ?? DEFAULT_CERT_DAYS;
  const now = Math.floor(Date.now() / 1000) * 1000;
  const notBefore = new Date(now - 3600_000);
  const notAfter = new Date(now + days * 86400_000);
  if (!Number.isSafeInteger(days) || days < 1 || !(notAfter.getUTCFullYear() <= 9999)) {
    throw new ConfigError('certificate validity must be a whole number of days, at least 1, ending before year 10000');
  }

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' }); // SubjectPublicKeyInfo, DER

  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive
  if (serial[0] === 0) serial[0] = 1; // and 16 bytes long, so minimal as it stands

  const signatureAlgorithm = seq(oid(OID.ecdsaWithSha256));
  const subject = name(commonName);
  const extensions = seq(
    extension(OID.basicConstraints, true, seq()), // cA DEFAULT FALSE, so empty
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x07, 0x80]))), // digitalSignature (bit 0), 7 unused bits
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
    extension(OID.subjectAltName, false, subjectAltNames(altNames)),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    signatureAlgorithm,
    subject, // issuer: self-signed
    seq(time(notBefore), time(notAfter)),
    subject,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey); // ECDSA-Sig-Value, DER
  const cert = seq(tbs, signatureAlgorithm, bitString(signature));

  const b64 = cert.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
