/**
 * Gateway user passwords: Argon2id encoded hashes (`$argon2id$v=19$m=..,t=..,p=1$salt$hash`),
 * as libsodium's crypto_pwhash_str writes them. Only hashes live in the config.
 */
import type { Sodium } from '../seal/sodium.js';

/** OWASP's Argon2id floor is 19 MiB, t=2; this sits above it at about 0.1 s per check on one core. */
const OPSLIMIT = 2;
const MEMLIMIT = 64 * 1024 * 1024;

export function hashPassword(s: Sodium, password: string): string {
  return s.pwhashStr(new TextEncoder().encode(password), OPSLIMIT, MEMLIMIT);
}

export function verifyPassword(s: Sodium, hash: string, password: string): boolean {
  return s.pwhashStrVerify(hash, new TextEncoder().encode(password));
}

/** As verifyPassword, off the event loop: what login paths use. */
export function verifyPasswordAsync(s: Sodium, hash: string, password: string): Promise<boolean> {
  return s.pwhashStrVerifyAsync(hash, new TextEncoder().encode(password));
}
