/**
 * caching_sha2_password's full authentication without TLS, both sides, and
 * sha256_password's, which encodes the password the same way (MySQL Source
 * Code Documentation, "caching_sha2_password authentication exchanges";
 * MySQL Reference Manual, "Caching SHA-2 Pluggable Authentication" and
 * "SHA-256 Pluggable Authentication"):
 *   RSA_PKCS1_OAEP_PADDING(server's public key, (password ‖ NUL) XOR Nonce-repeated)
 * The server sends its public key as SPKI PEM when asked.
 *
 * Not implemented: PKCS#1 v1.5 padding, used only by MySQL servers before 8.0.5.
 */
import { constants, createPrivateKey, createPublicKey, type KeyObject, privateDecrypt, publicEncrypt } from 'node:crypto';

import { AuthError } from './auth-error.js';
import { bytesArg, type MysqlPassword, passwordBytes, SHA1_BYTES, xorRepeat } from './mysql-auth-bytes.js';
import { nonceArg } from './mysql-nonce.js';
import { checkNoNul } from './mysql-sha2.js';

/** RSA-OAEP with SHA-1 spends 2 × 20 + 2 bytes of the modulus on padding (RFC 8017 §7.1.1). */
const OAEP_SHA1_OVERHEAD = 2 * SHA1_BYTES + 2;

/** An RSA key, as PEM text, PEM bytes or a KeyObject. */
export type RsaKeyInput = string | Buffer | KeyObject;

function rsaKey(key: RsaKeyInput, kind: 'public' | 'private'): KeyObject {
  let object: KeyObject;
  try {
    if (typeof key === 'string' || Buffer.isBuffer(key)) {
      object = kind === 'public' ? createPublicKey(key) : createPrivateKey(key);
    } else if (kind === 'public' && key.type === 'private') {
      object = createPublicKey(key);
    } else {
      object = key;
    }
  } catch (err) {
    throw new AuthError(`MySQL RSA ${kind} key cannot be read (expected PEM)`, { cause: err });
  }
  if (typeof object !== 'object' || object === null || object.type !== kind || object.asymmetricKeyType !== 'rsa') {
    throw new AuthError(`MySQL RSA ${kind} key must be an RSA ${kind} key`);
  }
  return object;
}

function modulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new AuthError('MySQL RSA key has no modulus length');
  return Math.ceil(bits / 8);
}

/**
 * Client side, full authentication without TLS: RSA-OAEP (SHA-1, MGF1-SHA-1:
 * OpenSSL's RSA_PKCS1_OAEP_PADDING, which MySQL ≥ 8.0.5 and MariaDB's
 * connectors use) of (password ‖ NUL) XOR the nonce repeated, under the
 * server's public key. A client should use a key it knows to be the
 * server's: one the server sends after SHA2_REQUEST_PUBLIC_KEY proves nothing,
 * since whoever answers can send its own. The same encoding serves sha256_password. Throws AuthError for
 * an unreadable or non-RSA key and for a password too long for the key
 * (password ‖ NUL must fit in modulus − 42 bytes).
 */
export function rsaEncryptPassword(password: MysqlPassword, nonce: Uint8Array, publicKey: RsaKeyInput): Buffer {
  const n = nonceArg(nonce);
  const pw = passwordBytes(password);
  checkNoNul(pw);
  const key = rsaKey(publicKey, 'public');
  const room = modulusBytes(key) - OAEP_SHA1_OVERHEAD;
  if (pw.length + 1 > room) {
    throw new AuthError(`MySQL password is too long for RSA encryption under this key (at most ${Math.max(room - 1, 0)} bytes)`);
  }
  const plain = xorRepeat(Buffer.concat([pw, Buffer.alloc(1)]), n);
  try {
    return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plain);
  } catch (err) {
    throw new AuthError('MySQL RSA password encryption failed', { cause: err });
  } finally {
    plain.fill(0);
  }
}

/**
 * Server side, full authentication without TLS: the password from an
 * rsaEncryptPassword ciphertext. Throws one AuthError, whatever went wrong (not
 * the key's length, does not decrypt, no single terminating NUL after the XOR),
 * so that failures do not tell an attacker which step refused.
 */
export function rsaDecryptPassword(encrypted: Uint8Array, nonce: Uint8Array, privateKey: RsaKeyInput): Buffer {
  const n = nonceArg(nonce);
  const cipher = bytesArg(encrypted, 'RSA-encrypted password');
  const key = rsaKey(privateKey, 'private');
  const fail = (cause?: unknown): AuthError =>
    new AuthError(
      'MySQL RSA-encrypted password is malformed or was not encrypted for this key and nonce',
      cause === undefined ? {} : { cause },
    );
  if (cipher.length !== modulusBytes(key)) throw fail();
  let plain: Buffer;
  try {
    plain = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, cipher);
  } catch (err) {
    throw fail(err);
  }
  const clear = xorRepeat(plain, n);
  plain.fill(0);
  if (clear.length === 0 || clear[clear.length - 1] !== 0 || clear.indexOf(0) !== clear.length - 1) {
    clear.fill(0);
    throw fail();
  }
  return clear.subarray(0, clear.length - 1);
}

/**
 * The SPKI PEM ("-----BEGIN PUBLIC KEY-----") of an RSA key, as a MySQL server
 * sends it in AuthMoreData after SHA2_REQUEST_PUBLIC_KEY.
 */
export function rsaPublicKeyPem(key: RsaKeyInput): string {
  return String(rsaKey(key, 'public').export({ type: 'spki', format: 'pem' }));
}
