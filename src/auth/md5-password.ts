/**
 * PostgreSQL's md5 password authentication (AuthenticationMD5Password, as the
 * PostgreSQL protocol documentation describes it), for logging in to a target
 * that still asks for it:
 *
 *   stored hash = "md5" ‖ md5hex(password ‖ user)            (what pg_authid holds)
 *   response    = "md5" ‖ md5hex(md5hex(password ‖ user) ‖ salt)
 *
 * where md5hex is the lowercase hex MD5 digest and salt is the 4 random bytes
 * the server sent. PostgreSQL hashes whatever bytes the client sends; before
 * login there is no client_encoding, so strings are encoded as UTF-8 here.
 * MD5 is PostgreSQL's wire format, not a choice: a captured exchange gives an
 * offline guessing attack on the password, so prefer SCRAM (scram.ts).
 *
 * Invariant: errors never carry the password, user name or salt.
 */
import { createHash } from 'node:crypto';

import { AuthError } from './auth-error.js';

/** Length of the salt in AuthenticationMD5Password. */
export const MD5_SALT_BYTES = 4;

function md5hex(...parts: (string | Buffer)[]): string {
  const hash = createHash('md5');
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  return hash.digest('hex');
}

/** The "md5..." hash PostgreSQL stores for `user` with `password`. */
export function md5PasswordHash(user: string, password: string): string {
  return 'md5' + md5hex(password, user);
}

/** The PasswordMessage body answering AuthenticationMD5Password with `salt` (4 bytes). */
export function md5PasswordResponse(user: string, password: string, salt: Buffer): string {
  if (!(salt instanceof Uint8Array) || salt.length !== MD5_SALT_BYTES) {
    throw new AuthError(`md5 password salt must be ${MD5_SALT_BYTES} bytes`);
  }
  return 'md5' + md5hex(md5hex(password, user), Buffer.from(salt));
}
