/**
 * SCRAM-SHA-256 key derivation (RFC 5802 §3, RFC 7677) and the secret
 * PostgreSQL stores for it in pg_authid:
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 *
 *   SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, i, 32)
 *   ClientKey      = HMAC(SaltedPassword, "Client Key");  StoredKey = H(ClientKey)
 *   ServerKey      = HMAC(SaltedPassword, "Server Key")
 *
 * Passwords go through SASLprep (RFC 4013) as PostgreSQL applies it.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

import { AuthError } from './auth-error.js';
import { LONE_SURROGATE, saslprep } from './saslprep.js';
import { decodeBase64, SCRAM_SHA_256 } from './scram-messages.js';

/** PostgreSQL's default (scram_iterations) and RFC 7677's recommended minimum. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/** PostgreSQL's SCRAM_DEFAULT_SALT_LEN. */
export const SCRAM_DEFAULT_SALT_BYTES = 16;

export const KEY_BYTES = 32;
/** PostgreSQL's verifier iteration count is a C int. */
export const MAX_VERIFIER_ITERATIONS = 2 ** 31 - 1;

/** The bytes PBKDF2 hashes: SASLprep'd UTF-8, or the raw UTF-8 where SASLprep gives up. */
export function passwordBytes(password: string): Buffer {
  if (typeof password !== 'string') throw new AuthError('SCRAM password must be a string');
  // Lone surrogates have no UTF-8 form; encoding them would silently replace
  // them and make different passwords equal.
  if (LONE_SURROGATE.test(password)) throw new AuthError('SCRAM password is not well-formed Unicode (lone surrogate)');
  return Buffer.from(saslprep(password) ?? password, 'utf8');
}

export function hmac(key: Buffer, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Keys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function keysFrom(saltedPassword: Buffer): Keys {
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
