/**
 * CredSSP public-key binding (MS-CSSP 3.1.5): each side proves, under the
 * NTLM seal, that it saw the same TLS server key, so a man in the middle
 * with another certificate is caught.
 *   version 2-4: client seals SubjectPublicKey; server seals it with its first byte + 1.
 *   version 5+:  client seals SHA256("CredSSP Client-To-Server Binding Hash\0" + nonce + key),
 *                server SHA256("CredSSP Server-To-Client Binding Hash\0" + nonce + key).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { expect, readAll, readTlv, Tag } from './der.js';

const CLIENT_MAGIC = Buffer.from('CredSSP Client-To-Server Binding Hash\0', 'latin1');
const SERVER_MAGIC = Buffer.from('CredSSP Server-To-Client Binding Hash\0', 'latin1');

/** The CredSSP version both sides speak: the lower of the two. */
export const OUR_VERSION = 6;

export function clientBinding(version: number, publicKey: Buffer, nonce: Buffer | undefined): Buffer {
  if (version < 5) return publicKey;
  return createHash('sha256').update(CLIENT_MAGIC).update(nonce ?? Buffer.alloc(0)).update(publicKey).digest();
}

export function serverBinding(version: number, publicKey: Buffer, nonce: Buffer | undefined): Buffer {
  if (version < 5) {
    const echo = Buffer.from(publicKey);
    echo[0] = (echo[0]! + 1) & 0xff;
    return echo;
  }
  return createHash('sha256').update(SERVER_MAGIC).update(nonce ?? Buffer.alloc(0)).update(publicKey).digest();
}

/**
 * The SubjectPublicKey of a certificate: the contents of the subjectPublicKey
 * BIT STRING of its SubjectPublicKeyInfo (RFC 5280 4.1), without the
 * unused-bits byte; for RSA the RSAPublicKey DER, for EC the point.
 */
export function certificatePublicKey(cert: X509Certificate | Buffer | string): Buffer {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  const [, bits] = readAll(expect(readTlv(spki), Tag.Sequence, 'SubjectPublicKeyInfo'));
  const value = expect(bits, Tag.BitString, 'subjectPublicKey');
  return Buffer.from(value.subarray(1));
}
