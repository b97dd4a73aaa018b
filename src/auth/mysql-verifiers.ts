/**
 * The MySQL-protocol verifiers of the gateway's own users, and mock ones for
 * users that do not exist, so that probing cannot tell the two apart.
 */
import { createHmac } from 'node:crypto';

import { fromBase64 } from '../seal/encoding.js';
import { AuthError } from './auth-error.js';
import { type MysqlPassword, passwordBytes, SHA1_BYTES, sha256, SHA256_BYTES } from './mysql-auth-bytes.js';
import { makeNativeVerifier } from './mysql-native.js';

const SHA2_VERIFIER_PREFIX = '$mysql-sha2$';
const MOCK_NATIVE_DOMAIN = 'recgate mysql mock native\0';
const MOCK_SHA2_DOMAIN = 'recgate mysql mock sha2\0';

/*
 * A gateway user's MySQL-protocol login is checked against two verifiers, kept
 * in the config beside the Argon2id hash, parallel to SCRAM-SHA-256 secrets:
 *
 *   native  "*" ‖ 40 uppercase hex of SHA1(SHA1(pw))
 *           (exactly MySQL's mysql_native_password authentication_string)
 *   sha2    "$mysql-sha2$" ‖ canonical padded base64 (44 characters) of
 *           SHA256(SHA256(pw)), caching_sha2_password's cache entry. The
 *           prefix names the scheme; it is not MySQL's own stored form
 *           ("$A$005$..."), which holds a salted SHA-crypt the fast path cannot
 *           use.
 *
 * Both are password-equivalent for the MySQL protocol, as MySQL's own are: a
 * client that knows SHA1(SHA1(pw)) and sees one exchange, or knows
 * SHA256(SHA256(pw)) at all, can log in without the password; both are also
 * fast unsalted hashes, open to guessing. They belong in the config with the
 * same protection as the rest of its secrets, never in logs or recordings.
 */

export interface MysqlVerifiers {
  /** mysql_native_password: "*" and 40 uppercase hex digits. */
  native: string;
  /** caching_sha2_password: "$mysql-sha2$" and base64 of SHA256(SHA256(pw)). */
  sha2: string;
}

function formatSha2Verifier(digest: Buffer): string {
  return SHA2_VERIFIER_PREFIX + digest.toString('base64');
}

/** The "$mysql-sha2$..." verifier for a non-empty password. */
export function makeSha2Verifier(password: MysqlPassword): string {
  const pw = passwordBytes(password);
  if (pw.length === 0) throw new AuthError('a MySQL verifier needs a non-empty password');
  return formatSha2Verifier(sha256(sha256(pw)));
}

/** SHA256(SHA256(pw)) from a "$mysql-sha2$" verifier, or null when malformed. Never throws. */
export function parseSha2Verifier(text: unknown): Buffer | null {
  if (typeof text !== 'string' || !text.startsWith(SHA2_VERIFIER_PREFIX)) return null;
  const bytes = fromBase64(text.slice(SHA2_VERIFIER_PREFIX.length));
  if (!bytes || bytes.length !== SHA256_BYTES) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when `text` is a well-formed "$mysql-sha2$" verifier. */
export function isSha2Verifier(text: unknown): boolean {
  return parseSha2Verifier(text) !== null;
}

/** Both verifiers for a gateway user's password; refuses an empty password. */
export function makeMysqlVerifiers(password: MysqlPassword): MysqlVerifiers {
  const pw = passwordBytes(password);
  if (pw.length === 0) throw new AuthError('a MySQL verifier needs a non-empty password');
  return { native: makeNativeVerifier(pw), sha2: makeSha2Verifier(pw) };
}

/**
 * Verifiers for a user that does not exist (or has none): well-formed, the same
 * every time for this name, unpredictable without `secret`, derived by
 * HMAC-SHA-256 under domain-separated labels. Checking against them takes the
 * same path as checking against real ones and fails (finding a password for
 * them means inverting SHA-1 or SHA-256); the caller must still refuse the
 * login whatever a check returns, and must offer the same plugin, nonce
 * handling and full-authentication steps as for a real user, so that probing
 * cannot tell "no such user" from "wrong password".
 */
export function mockMysqlVerifiers(secret: Buffer, user: string): MysqlVerifiers {
  if (!Buffer.isBuffer(secret) || secret.length < 16) throw new AuthError('MySQL mock secret must be a Buffer of at least 16 bytes');
  if (typeof user !== 'string') throw new AuthError('MySQL mock verifiers need the user name');
  const derive = (domain: string): Buffer => createHmac('sha256', secret).update(domain).update(user, 'utf8').digest();
  return {
    native: '*' + derive(MOCK_NATIVE_DOMAIN).subarray(0, SHA1_BYTES).toString('hex').toUpperCase(),
    sha2: formatSha2Verifier(derive(MOCK_SHA2_DOMAIN)),
  };
}
