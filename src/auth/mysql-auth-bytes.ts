/**
 * What every MySQL auth plugin here works on: a password as bytes (a string is
 * taken as UTF-8, what current clients send on a utf8mb4 connection),
 * arguments checked to be bytes, SHA digests over several parts, MySQL's
 * repeating XOR (xor_string) and constant-time comparison.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { AuthError } from './auth-error.js';

/** A password: bytes, or a string taken as UTF-8. */
export type MysqlPassword = string | Uint8Array;

export const SHA1_BYTES = 20;
export const SHA256_BYTES = 32;

export function sha1(...parts: Buffer[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** a XOR b over a's length, b repeated as needed (MySQL's xor_string pattern). */
export function xorRepeat(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!;
  return out;
}

export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function passwordBytes(password: MysqlPassword): Buffer {
  if (typeof password === 'string') return Buffer.from(password, 'utf8');
  if (password instanceof Uint8Array) return asBuffer(password);
  throw new AuthError('MySQL password must be a string or bytes');
}

export function bytesArg(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new AuthError(`MySQL ${what} must be bytes`);
  return asBuffer(value);
}
