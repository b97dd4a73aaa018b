/**
 * SCRAM message syntax (RFC 5802 §7), shared by ScramServer and ScramClient:
 * reading attribute=value lists off the wire, the mechanism names of RFC 7677,
 * and the GS2 channel-binding type (RFC 5929 tls-server-end-point).
 *
 * Invariant: a string that came off the wire reaches an error message only
 * through shown(), that is, when it is short printable ASCII.
 */
import { randomBytes } from 'node:crypto';

import { fromBase64 } from '../seal/encoding.js';
import { AuthError } from './auth-error.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';

/** Raw bytes behind a generated nonce (base64: 24 printable characters), as libpq and PostgreSQL use. */
const NONCE_BYTES = 18;
/** PostgreSQL caps a SASL message at 64 KiB less one (PG_MAX_AUTH_TOKEN_LENGTH). */
const MAX_MESSAGE_BYTES = 65535;
export const CHANNEL_BINDING_TYPE = 'tls-server-end-point';

export function decodeBase64(text: string): Buffer | null {
  const bytes = fromBase64(text);
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** printable = %x21-2B / %x2D-7E (no comma). */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** An extension attribute: ALPHA "=" value. */
const EXTENSION = /^[A-Za-z]=/;

/** `value` quoted, if it is short printable ASCII; otherwise a placeholder. Wire strings go in messages only this way. */
export function shown(value: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(value) ? JSON.stringify(value) : '(not shown)';
}

export function malformed(what: string, detail: string): AuthError {
  return new AuthError(`malformed SCRAM ${what}: ${detail}`);
}

export function messageText(message: Uint8Array, what: string): string {
  if (!(message instanceof Uint8Array)) throw malformed(what, 'expected bytes');
  if (message.length === 0) throw malformed(what, 'empty message');
  if (message.length > MAX_MESSAGE_BYTES) throw malformed(what, `longer than ${MAX_MESSAGE_BYTES} bytes`);
  let text: string;
  try {
    text = strictUtf8.decode(message);
  } catch {
    throw malformed(what, 'not valid UTF-8');
  }
  if (text.includes('\0')) throw malformed(what, 'contains a NUL byte');
  return text;
}

/** The value of attribute `name` in `part`, which must be `name=value`. */
export function attribute(part: string | undefined, name: string, what: string): string {
  if (part === undefined || part.length < 2 || part[0] !== name || part[1] !== '=') {
    throw malformed(what, `expected attribute "${name}"`);
  }
  return part.slice(2);
}

export function checkExtensions(parts: string[], what: string): void {
  for (const part of parts) if (!EXTENSION.test(part)) throw malformed(what, 'expected an attribute=value extension');
}

export function nonceValue(part: string | undefined, what: string): string {
  const nonce = attribute(part, 'r', what);
  if (!PRINTABLE.test(nonce)) throw malformed(what, 'nonce is empty or not printable');
  return nonce;
}

export function base64Value(part: string | undefined, name: string, what: string, label: string): Buffer {
  const bytes = decodeBase64(attribute(part, name, what));
  if (!bytes) throw malformed(what, `${label} is not valid base64`);
  return bytes;
}

/** saslname (RFC 5802 §7): "," and "=" are written =2C and =3D. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export function checkNonceOption(nonce: string | undefined): string {
  if (nonce === undefined) return randomBytes(NONCE_BYTES).toString('base64');
  if (typeof nonce !== 'string' || !PRINTABLE.test(nonce)) throw new AuthError('SCRAM nonce option must be printable ASCII without ","');
  return nonce;
}
