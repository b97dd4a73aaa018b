/**
 * mysql_native_password, both sides (MySQL Source Code Documentation, "Native
 * Authentication"):
 *   response = SHA1(password) XOR SHA1(nonce ‖ SHA1(SHA1(password)))
 *   mysql.user.authentication_string = "*" ‖ HEX(SHA1(SHA1(password)))
 */
import { bytesArg, type MysqlPassword, passwordBytes, sameBytes, sha1, SHA1_BYTES, xorRepeat } from './mysql-auth-bytes.js';
import { nonceArg } from './mysql-nonce.js';

/** The plugin's name in handshake, handshake-response and auth-switch packets. */
export const MYSQL_NATIVE_PASSWORD = 'mysql_native_password';
/** Length of a mysql_native_password response (a SHA-1 digest). */
export const NATIVE_SCRAMBLE_BYTES = 20;

const NATIVE_VERIFIER = /^\*[0-9A-Fa-f]{40}$/;
/** Stands in for an unusable stored verifier, so that failing costs what succeeding does. */
const DUMMY_SHA1 = Buffer.alloc(SHA1_BYTES, 0xa5);

/**
 * Client side: the 20-byte response to `nonce` for `password`,
 * SHA1(pw) XOR SHA1(nonce ‖ SHA1(SHA1(pw))). An empty password gives an empty
 * response, as MySQL clients send.
 */
export function nativeScramble(password: MysqlPassword, nonce: Uint8Array): Buffer {
  const n = nonceArg(nonce);
  const pw = passwordBytes(password);
  if (pw.length === 0) return Buffer.alloc(0);
  const stage1 = sha1(pw);
  return xorRepeat(stage1, sha1(n, sha1(stage1)));
}

/**
 * MySQL's stored form, as in mysql.user.authentication_string and PASSWORD():
 * "*" and 40 uppercase hex digits of SHA1(SHA1(pw)). An empty password gives
 * "" (MySQL's "no password"), which parseNativeVerifier refuses.
 */
export function makeNativeVerifier(password: MysqlPassword): string {
  const pw = passwordBytes(password);
  if (pw.length === 0) return '';
  return '*' + sha1(sha1(pw)).toString('hex').toUpperCase();
}

/**
 * SHA1(SHA1(pw)) from "*" and 40 hex digits (either case; makeNativeVerifier
 * writes uppercase), or null for anything else, "" included. Never throws.
 */
export function parseNativeVerifier(text: unknown): Buffer | null {
  if (typeof text !== 'string' || !NATIVE_VERIFIER.test(text)) return null;
  return Buffer.from(text.slice(1), 'hex');
}

/** True when `text` is a well-formed, non-empty mysql_native_password verifier. */
export function isNativeVerifier(text: unknown): boolean {
  return parseNativeVerifier(text) !== null;
}

export interface NativeCheckOptions {
  /**
   * Accept an empty response when the verifier is "" (MySQL's account without
   * a password). Default false: an empty verifier then accepts nothing.
   */
  allowEmptyPassword?: boolean;
}

/**
 * Server side: whether `response` answers `nonce` for the account whose stored
 * verifier is `verifier` ("*HEX"). Recovers SHA1(pw) = response XOR
 * SHA1(nonce ‖ stored) and compares SHA1 of it with the stored hash in
 * constant time. Returns false (never throws) for a response that is not 20
 * bytes, an empty response, a malformed verifier, or the wrong password.
 * Throws AuthError only if `nonce` is not 20 bytes or an argument is not bytes.
 */
export function checkNativeScramble(verifier: string, nonce: Uint8Array, response: Uint8Array, options: NativeCheckOptions = {}): boolean {
  const n = nonceArg(nonce);
  const r = bytesArg(response, 'auth response');
  if (r.length === 0) return options.allowEmptyPassword === true && verifier === '';
  if (r.length !== NATIVE_SCRAMBLE_BYTES) return false;
  const parsed = parseNativeVerifier(verifier);
  const stored = parsed ?? DUMMY_SHA1;
  const candidate = xorRepeat(r, sha1(n, stored));
  const match = sameBytes(sha1(candidate), stored);
  return match && parsed !== null;
}
