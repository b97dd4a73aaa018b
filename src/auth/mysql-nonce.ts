/**
 * The server's nonce (MySQL's 20-byte scramble): a fresh one for the
 * gateway's Handshake v10 and AuthSwitchRequest, and the one a target sent,
 * read from its auth-plugin data (MySQL Source Code Documentation,
 * "Protocol::HandshakeV10" and "Protocol::AuthSwitchRequest"). Also the
 * responses a server takes as "no password".
 */
import { randomInt } from 'node:crypto';

import { AuthError } from './auth-error.js';
import { bytesArg } from './mysql-auth-bytes.js';

/** Length of the server's nonce (MySQL's SCRAMBLE_LENGTH). */
export const MYSQL_NONCE_BYTES = 20;

export function nonceArg(nonce: unknown): Buffer {
  const bytes = bytesArg(nonce, 'nonce');
  if (bytes.length !== MYSQL_NONCE_BYTES) throw new AuthError(`MySQL nonce must be ${MYSQL_NONCE_BYTES} bytes, not ${bytes.length}`);
  return bytes;
}

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
