/**
 * tls-server-end-point channel binding data (RFC 5929 §4): a certificate's
 * hash under the hash function of its own signature algorithm. Reads just
 * enough of the certificate's DER (ITU-T X.690) to find that algorithm:
 *
 *   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
 *   AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }
 *
 * Everything it throws is an AuthError, as for the SCRAM exchange it binds.
 */
import { createHash } from 'node:crypto';

import { AuthError } from './auth-error.js';

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
