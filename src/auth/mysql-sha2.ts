/**
 * caching_sha2_password, both sides (MySQL Source Code Documentation,
 * "Caching_sha2_password information" and "caching_sha2_password
 * authentication exchanges"; MariaDB Knowledge Base, "Connecting via
 * caching_sha2_password"):
 *   fast authentication: Scramble = XOR(SHA256(password), SHA256(SHA256(SHA256(password)) ‖ Nonce))
 *   the server's cache entry:      SHA256(SHA256(password))
 *   full authentication over TLS:  password ‖ NUL in clear
 * Full authentication without TLS encrypts the password under the server's RSA
 * key: mysql-rsa.ts.
 */
import { AuthError } from './auth-error.js';
import { asBuffer, bytesArg, type MysqlPassword, passwordBytes, sameBytes, sha256, SHA256_BYTES, xorRepeat } from './mysql-auth-bytes.js';
import { nonceArg } from './mysql-nonce.js';
import { parseSha2Verifier } from './mysql-verifiers.js';

/** Plugin names in handshake, handshake-response and auth-switch packets. */
export const CACHING_SHA2_PASSWORD = 'caching_sha2_password';
export const SHA256_PASSWORD = 'sha256_password';

/** Length of a caching_sha2_password fast-auth response (a SHA-256 digest). */
export const SHA2_SCRAMBLE_BYTES = 32;

/*
 * caching_sha2_password's single-byte messages after the first response. The
 * server wraps each of its own in an AuthMoreData packet, whose first payload
 * byte is AUTH_MORE_DATA: [0x01, 0x03] is "fast auth success", [0x01, 0x04]
 * "perform full authentication", [0x01, ...PEM] the public key. The client
 * sends its request byte bare, as the whole payload of its packet.
 */
/** First payload byte of an AuthMoreData packet (server to client). */
export const AUTH_MORE_DATA = 0x01;
/** caching_sha2_password, client to server: "send me your RSA public key". */
export const SHA2_REQUEST_PUBLIC_KEY = 0x02;
/** caching_sha2_password, server to client (in AuthMoreData): the scramble matched; an OK packet follows. */
export const SHA2_FAST_AUTH_SUCCESS = 0x03;
/** caching_sha2_password, server to client (in AuthMoreData): send the password (TLS: clear; else RSA). */
export const SHA2_PERFORM_FULL_AUTH = 0x04;
/** sha256_password (the older plugin), client to server: its public key request is 0x01, not 0x02. */
export const SHA256_PASSWORD_REQUEST_PUBLIC_KEY = 0x01;

/** Stands in for an unusable cached digest, so that failing costs what succeeding does. */
const DUMMY_SHA256 = Buffer.alloc(SHA256_BYTES, 0xa5);

/** SHA256(SHA256(pw)): the server's cache entry, and what a sha2 verifier holds. */
export function sha2Digest(password: MysqlPassword): Buffer {
  return sha256(sha256(passwordBytes(password)));
}

/**
 * Client side: the 32-byte fast-auth response,
 * XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)) ‖ nonce)). An empty password gives
 * an empty response (MySQL servers also take a single NUL as "no password").
 */
export function sha2Scramble(password: MysqlPassword, nonce: Uint8Array): Buffer {
  const n = nonceArg(nonce);
  const pw = passwordBytes(password);
  if (pw.length === 0) return Buffer.alloc(0);
  const stage1 = sha256(pw);
  return xorRepeat(stage1, sha256(sha256(stage1), n));
}

function digestArg(cached: Buffer | string): Buffer | null {
  if (typeof cached === 'string') return parseSha2Verifier(cached);
  if (cached instanceof Uint8Array) return cached.length === SHA256_BYTES ? asBuffer(cached) : null;
  return null;
}

/**
 * Server side, fast authentication: whether `response` answers `nonce` for the
 * cached SHA256(SHA256(pw)), given as 32 bytes or as a "$mysql-sha2$" verifier.
 * Recovers SHA256(pw) = response XOR SHA256(cached ‖ nonce) and compares
 * SHA256 of it with the cached digest in constant time. Returns false (never
 * throws) for a response that is not 32 bytes (empty included), a malformed
 * digest, or the wrong password.
 *
 * MySQL answers a 32-byte response that does not match with
 * SHA2_PERFORM_FULL_AUTH (it cannot tell a wrong password from a cold cache);
 * a server that always holds the digest may instead deny at once. Either way,
 * treat real and mock users alike.
 */
export function checkSha2Scramble(cachedDigest: Buffer | string, nonce: Uint8Array, response: Uint8Array): boolean {
  const n = nonceArg(nonce);
  const r = bytesArg(response, 'auth response');
  if (r.length !== SHA2_SCRAMBLE_BYTES) return false;
  const parsed = digestArg(cachedDigest);
  const stored = parsed ?? DUMMY_SHA256;
  const candidate = xorRepeat(r, sha256(stored, n));
  const match = sameBytes(sha256(candidate), stored);
  return match && parsed !== null;
}

/**
 * Server side, full authentication: whether the cleartext `password` (from
 * readCleartextPassword or rsaDecryptPassword) matches the cached digest, in
 * constant time. False for a malformed digest and for an empty password.
 */
export function checkSha2Password(cachedDigest: Buffer | string, password: MysqlPassword): boolean {
  const pw = passwordBytes(password);
  const parsed = digestArg(cachedDigest);
  const match = sameBytes(sha256(sha256(pw)), parsed ?? DUMMY_SHA256);
  return match && parsed !== null && pw.length > 0;
}

/** Full authentication frames the password as password ‖ NUL, so it cannot carry a NUL of its own. */
export function checkNoNul(pw: Buffer): void {
  if (pw.includes(0)) throw new AuthError('MySQL cannot carry a password that contains a NUL byte in full authentication');
}

/**
 * Client side, full authentication over TLS: the payload to send after
 * SHA2_PERFORM_FULL_AUTH, password ‖ NUL. Whoever terminates the TLS reads
 * it: send it only over TLS whose certificate was verified.
 */
export function cleartextPasswordPayload(password: MysqlPassword): Buffer {
  const pw = passwordBytes(password);
  checkNoNul(pw);
  return Buffer.concat([pw, Buffer.alloc(1)]);
}

/**
 * Server side, full authentication over TLS: the password in a client's
 * password ‖ NUL payload. Throws AuthError unless the payload ends in its only
 * NUL. An empty password comes back as an empty Buffer (checkSha2Password
 * refuses it).
 */
export function readCleartextPassword(payload: Uint8Array): Buffer {
  const bytes = bytesArg(payload, 'cleartext password payload');
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0 || bytes.indexOf(0) !== bytes.length - 1) {
    throw new AuthError('malformed MySQL cleartext password: expected the password and one terminating NUL');
  }
  return bytes.subarray(0, bytes.length - 1);
}
