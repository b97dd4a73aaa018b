/**
 * What the MySQL authentication tests share: passwords and nonces to try,
 * byte helpers, and an independent route to the digests the plugins compute.
 * Imported by tests only.
 */
import { webcrypto } from 'node:crypto';

import fc from 'fast-check';

import { AuthError } from './auth-error.js';

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
export const nonce20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));
export const password = fc.oneof(
  fc.string({ minLength: 1, unit: 'grapheme' }),
  fc.uint8Array({ minLength: 1, maxLength: 80 }).map((a) => Buffer.from(a)),
);
export const NONCE = Buffer.from('0123456789abcdefghij');

export function isAuthError(e: unknown): boolean {
  return e instanceof AuthError && e.code === 'RG_ERR_AUTH';
}

// An independent route to the same values: WebCrypto digests and a plain XOR loop.
export async function digest(alg: 'SHA-1' | 'SHA-256', ...parts: Uint8Array[]): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.digest(alg, Buffer.concat(parts)));
}
export function xorBytes(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((x, i) => x ^ b[i % b.length]!));
}
