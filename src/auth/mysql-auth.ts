/**
 * MySQL / MariaDB password authentication, both sides: the gateway checking a
 * person's client (server side) and the gateway logging in to a target with
 * injected credentials (client side). Pure computations, no I/O; the packet
 * framing (Handshake v10, HandshakeResponse41, AuthSwitchRequest,
 * AuthMoreData) is the proxy's business.
 *
 * Specifications followed:
 *   MySQL Source Code Documentation, "Native Authentication"
 *     (page_protocol_connection_phase_authentication_methods_native_password_authentication):
 *       response = SHA1(password) XOR SHA1(nonce ‖ SHA1(SHA1(password)))
 *       mysql.user.authentication_string = "*" ‖ HEX(SHA1(SHA1(password)))
 *   MySQL Source Code Documentation, "Caching_sha2_password information" and
 *     "caching_sha2_password authentication exchanges"
 *     (page_caching_sha2_authentication_exchanges):
 *       Scramble   = XOR(SHA256(password), SHA256(SHA256(SHA256(password)) ‖ Nonce))
 *       Hash entry = SHA256(SHA256(password))
 *       full authentication: password ‖ NUL in clear over TLS, or
 *       RSA_PKCS1_OAEP_PADDING(public key, (password ‖ NUL) XOR Nonce-repeated)
 *   MySQL Reference Manual, "Caching SHA-2 Pluggable Authentication" and
 *     "SHA-256 Pluggable Authentication" (RSA key pair, public key request).
 *   MariaDB Knowledge Base, "Connecting via caching_sha2_password" and
 *     "mysql_native_password" (client/server protocol reference).
 *   MariaDB Knowledge Base, "Authentication Plugin - ed25519": the server
 *     sends a 32-byte message, the client answers with its Ed25519 signature
 *     (RFC 8032, section 5.1.6) made with the expanded secret SHA-512(password)
 *     instead of SHA-512(32-byte seed); the server keeps the public key,
 *     base64 without padding, in authentication_string.
 *
 * Nonce: 20 bytes (SCRAMBLE_LENGTH). Servers send it as 8 + 12 bytes in the
 * handshake, or as 20 bytes and a NUL in an AuthSwitchRequest; the NUL is not
 * part of it (nonceFromAuthData strips it).
 *
 * Passwords are bytes: a string is encoded as UTF-8 (what current clients send
 * with a utf8mb4 connection). MySQL hashes whatever bytes the client sends.
 *
 * Invariants:
 * - Everything this module throws is an AuthError (code RG_ERR_AUTH), and no
 *   message carries a password, nonce, response, digest or key.
 * - Server-side checks return false for any response they cannot accept
 *   (wrong length included) and throw only for the gateway's own mistakes (a
 *   nonce that is not 20 bytes, an argument that is not bytes).
 * - Every comparison of secret-derived bytes is constant-time
 *   (crypto.timingSafeEqual); a malformed stored verifier costs the same
 *   computation as a real one and then fails.
 * - An empty password is never accepted by the server-side checks unless the
 *   caller opts in (checkNativeScramble's allowEmptyPassword); the gateway's own
 *   verifiers cannot encode one.
 *
 * client_ed25519 is client side only (the gateway logs in to MariaDB targets
 * with it): its secret key is SHA-512 of an arbitrary-length password, which
 * node:crypto's Ed25519 cannot take, so the signature is built from
 * libsodium's constant-time point and scalar operations.
 *
 * Not implemented: the pre-4.1 mysql_old_password, and PKCS#1 v1.5 padding for the RSA path (used
 * only by MySQL servers before 8.0.5).
 */
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';

import { fromBase64 } from '../seal/encoding.js';
import { loadAddon } from '../seal/sodium-native.js';
import { AuthError } from './scram.js';

export { AuthError };

/** Plugin names as they appear in handshake, handshake-response and auth-switch packets. */
export const MYSQL_NATIVE_PASSWORD = 'mysql_native_password';
export const CLIENT_ED25519 = 'client_ed25519';
export const CACHING_SHA2_PASSWORD = 'caching_sha2_password';
export const SHA256_PASSWORD = 'sha256_password';

/** Length of the server's nonce (MySQL's SCRAMBLE_LENGTH). */
export const MYSQL_NONCE_BYTES = 20;
/** Length of a mysql_native_password response (a SHA-1 digest). */
export const NATIVE_SCRAMBLE_BYTES = 20;
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

/** A password: bytes, or a string taken as UTF-8. */
export type MysqlPassword = string | Uint8Array;

const SHA1_BYTES = 20;
const SHA256_BYTES = 32;
/** RSA-OAEP with SHA-1 spends 2 × 20 + 2 bytes of the modulus on padding (RFC 8017 §7.1.1). */
const OAEP_SHA1_OVERHEAD = 2 * SHA1_BYTES + 2;
const SHA2_VERIFIER_PREFIX = '$mysql-sha2$';
const NATIVE_VERIFIER = /^\*[0-9A-Fa-f]{40}$/;
const MOCK_NATIVE_DOMAIN = 'recgate mysql mock native\0';
const MOCK_SHA2_DOMAIN = 'recgate mysql mock sha2\0';
/** Stand-ins for unusable stored verifiers, so that failing costs what succeeding does. */
const DUMMY_SHA1 = Buffer.alloc(SHA1_BYTES, 0xa5);
const DUMMY_SHA256 = Buffer.alloc(SHA256_BYTES, 0xa5);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function sha1(...parts: Buffer[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** a XOR b over a's length, b repeated as needed (MySQL's xor_string pattern). */
function xorRepeat(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!;
  return out;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function passwordBytes(password: MysqlPassword): Buffer {
  if (typeof password === 'string') return Buffer.from(password, 'utf8');
  if (password instanceof Uint8Array) return asBuffer(password);
  throw new AuthError('MySQL password must be a string or bytes');
}

function bytesArg(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new AuthError(`MySQL ${what} must be bytes`);
  return asBuffer(value);
}

function nonceArg(nonce: unknown): Buffer {
  const bytes = bytesArg(nonce, 'nonce');
  if (bytes.length !== MYSQL_NONCE_BYTES) throw new AuthError(`MySQL nonce must be ${MYSQL_NONCE_BYTES} bytes, not ${bytes.length}`);
  return bytes;
}

// ---------------------------------------------------------------------------
// Nonces
// ---------------------------------------------------------------------------

/**
 * A fresh 20-byte nonce for the gateway's Handshake v10 / AuthSwitchRequest.
 * Bytes are printable ASCII 0x21..0x7e except "$": inside both what MySQL's
 * generate_user_salt (0x01..0x7f, no NUL, no "$") and MariaDB's
 * create_random_string (0x21..0x7e) produce, so no client that reads the
 * nonce as a NUL-terminated string or as text trips over it. 93 symbols a
 * byte: about 130 bits in all.
 */
export function makeMysqlNonce(): Buffer {
  const out = Buffer.alloc(MYSQL_NONCE_BYTES);
  for (let i = 0; i < out.length; i++) {
    let byte = randomInt(0x21, 0x7e); // 0x21..0x7d; "$" is mapped to 0x7e
    if (byte === 0x24) byte = 0x7e;
    out[i] = byte;
  }
  return out;
}

/**
 * The 20-byte nonce from auth-plugin data a server sent: exactly 20 bytes, or
 * 21 whose last is the NUL servers append (AuthSwitchRequest, AuthMoreData
 * replays). For the handshake, concatenate auth-plugin-data-part-1 (8 bytes)
 * and part-2 (12 bytes and its NUL) first.
 */
export function nonceFromAuthData(data: Uint8Array): Buffer {
  const bytes = bytesArg(data, 'auth-plugin data');
  if (bytes.length === MYSQL_NONCE_BYTES + 1 && bytes[MYSQL_NONCE_BYTES] === 0) return bytes.subarray(0, MYSQL_NONCE_BYTES);
  if (bytes.length === MYSQL_NONCE_BYTES) return bytes;
  throw new AuthError(`MySQL auth-plugin data must be a ${MYSQL_NONCE_BYTES}-byte nonce (and an optional NUL), not ${bytes.length} bytes`);
}

/**
 * True for the responses MySQL servers take as "no password": empty, or a
 * single NUL (what libmysqlclient's caching_sha2_password sends). The gateway
 * refuses them for its own users; a target may accept them.
 */
export function isEmptyPasswordResponse(response: Uint8Array): boolean {
  const bytes = bytesArg(response, 'auth response');
  return bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0);
}

// ---------------------------------------------------------------------------
// mysql_native_password
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// caching_sha2_password
// ---------------------------------------------------------------------------

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

function checkNoNul(pw: Buffer): void {
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

// ---------------------------------------------------------------------------
// client_ed25519 (MariaDB)
// ---------------------------------------------------------------------------

/** The message a MariaDB server signs with: 32 random bytes. */
export const ED25519_MESSAGE_BYTES = 32;
const ED25519_SCALAR_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * The 32-byte message from a client_ed25519 AuthSwitchRequest: exactly 32
 * bytes, or 33 whose last is a NUL.
 */
export function ed25519MessageFromAuthData(data: Uint8Array): Buffer {
  const bytes = bytesArg(data, 'auth-plugin data');
  if (bytes.length === ED25519_MESSAGE_BYTES + 1 && bytes[ED25519_MESSAGE_BYTES] === 0) return bytes.subarray(0, ED25519_MESSAGE_BYTES);
  if (bytes.length === ED25519_MESSAGE_BYTES) return bytes;
  throw new AuthError(`MariaDB client_ed25519 data must be a ${ED25519_MESSAGE_BYTES}-byte message, not ${bytes.length} bytes`);
}

/** RFC 8032, 5.1.5 with SHA-512(password) as the expanded key: the secret scalar a (reduced mod L) and the nonce prefix. */
function ed25519Secret(password: MysqlPassword): { scalar: Buffer; prefix: Buffer } {
  const pw = passwordBytes(password);
  if (pw.length === 0) throw new AuthError('MariaDB client_ed25519 needs a password');
  const h = createHash('sha512').update(pw).digest();
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  return { scalar: scalarReduce(Buffer.concat([h.subarray(0, ED25519_SCALAR_BYTES), Buffer.alloc(ED25519_SCALAR_BYTES)])), prefix: h.subarray(ED25519_SCALAR_BYTES) };
}

/** x mod L for a 64-byte little-endian x (libsodium, constant time). */
function scalarReduce(wide: Buffer): Buffer {
  const out = Buffer.alloc(ED25519_SCALAR_BYTES);
  loadAddon().crypto_core_ed25519_scalar_reduce(out, wide);
  return out;
}

/** n·B, the point's 32-byte encoding, for a reduced non-zero scalar n. */
function basePoint(scalar: Buffer): Buffer {
  const out = Buffer.alloc(ED25519_SCALAR_BYTES);
  loadAddon().crypto_scalarmult_ed25519_base_noclamp(out, scalar);
  return out;
}

/**
 * h·a + r as a 64-byte little-endian integer, for scalarReduce: schoolbook
 * multiplication on bytes with a fixed number of steps and no branch on the
 * values (libsodium-native exposes no scalar multiplication).
 */
function mulAdd(h: Buffer, a: Buffer, r: Buffer): Buffer {
  const acc = new Array<number>(2 * ED25519_SCALAR_BYTES).fill(0);
  for (let i = 0; i < ED25519_SCALAR_BYTES; i++) {
    acc[i]! += r[i]!;
    for (let j = 0; j < ED25519_SCALAR_BYTES; j++) acc[i + j]! += h[i]! * a[j]!;
  }
  const out = Buffer.alloc(2 * ED25519_SCALAR_BYTES);
  let carry = 0;
  for (let k = 0; k < acc.length; k++) {
    const v = acc[k]! + carry;
    out[k] = v & 0xff;
    carry = v >>> 8;
  }
  return out;
}

/** The public key a MariaDB server stores for `password` (authentication_string is its base64). */
export function ed25519PublicKey(password: MysqlPassword): Buffer {
  return basePoint(ed25519Secret(password).scalar);
}

/**
 * Client side: the 64-byte answer to a client_ed25519 message, the Ed25519
 * signature R ‖ S of `message` (RFC 8032, 5.1.6) under the key derived from
 * `password`, as MariaDB's client plugin makes it.
 */
export function ed25519Signature(password: MysqlPassword, message: Uint8Array): Buffer {
  const m = bytesArg(message, 'client_ed25519 message');
  const { scalar, prefix } = ed25519Secret(password);
  const publicKey = basePoint(scalar);
  const r = scalarReduce(createHash('sha512').update(prefix).update(m).digest());
  const R = basePoint(r);
  const k = scalarReduce(createHash('sha512').update(R).update(publicKey).update(m).digest());
  const S = scalarReduce(mulAdd(k, scalar, r));
  const signature = Buffer.concat([R, S], ED25519_SIGNATURE_BYTES);
  scalar.fill(0);
  r.fill(0);
  return signature;
}

// ---------------------------------------------------------------------------
// Gateway users' verifiers
// ---------------------------------------------------------------------------

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
