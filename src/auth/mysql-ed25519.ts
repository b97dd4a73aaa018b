/**
 * MariaDB's client_ed25519, client side: the gateway logging in to a MariaDB
 * target (MariaDB Knowledge Base, "Authentication Plugin - ed25519"). The
 * server sends a 32-byte message; the client answers with its Ed25519
 * signature (RFC 8032, section 5.1.6) made with the expanded secret
 * SHA-512(password) instead of SHA-512(32-byte seed); the server keeps the
 * public key, base64 without padding, in authentication_string.
 *
 * That secret is SHA-512 of an arbitrary-length password, which node:crypto's
 * Ed25519 cannot take, so the signature is built from libsodium's
 * constant-time point and scalar operations.
 */
import { createHash } from 'node:crypto';

import { loadAddon } from '../seal/sodium-native.js';
import { AuthError } from './auth-error.js';
import { bytesArg, type MysqlPassword, passwordBytes } from './mysql-auth-bytes.js';

/** The plugin's name in handshake, handshake-response and auth-switch packets. */
export const CLIENT_ED25519 = 'client_ed25519';

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
