/**
 * Gateway users: who may log in, with what, and which targets they reach.
 * A person names the target inside the login name: `alice+web01`.
 */
import type { Config, UserConfig } from '../config/index.js';
import type { Sodium } from '../seal/sodium.js';
import { Semaphore } from '../semaphore.js';
import { hashPassword, verifyPasswordAsync } from './passwords.js';

export interface LoginName {
  user: string;
  target: string;
}

/** Splits `alice+web01` at its first '+'; null when either part is missing. */
export function parseLoginName(name: string): LoginName | null {
  const plus = name.indexOf('+');
  if (plus <= 0 || plus === name.length - 1) return null;
  return { user: name.slice(0, plus), target: name.slice(plus + 1) };
}

export function findUser(config: Pick<Config, 'users'>, name: string): UserConfig | undefined {
  return config.users.find((u) => u.name === name);
}

// A fixed hash to verify against when the user does not exist, so that an
// unknown name costs the same time as a wrong password.
let decoyHash: string | undefined;

/**
 * Argon2id checks at once, at most. Each takes 64 MiB and a thread of libuv's
 * pool (which file writes share): a flood of guesses waits its turn instead of
 * taking the memory and the recordings' disk writes with it.
 */
const PASSWORD_CHECKS = new Semaphore(2);

/** True when `password` is the user's; the same work whether or not the user exists. */
export async function checkPassword(s: Sodium, user: UserConfig | undefined, password: string): Promise<boolean> {
  const hash = user?.password ?? (decoyHash ??= hashPassword(s, 'recgate-decoy'));
  const ok = await PASSWORD_CHECKS.run(() => verifyPasswordAsync(s, hash, password));
  return ok && user?.password !== null && user?.password !== undefined;
}

/** True when the OpenSSH key blob (algorithm + data, as on the wire) is one of the user's keys. */
export function hasSshKey(user: UserConfig, algo: string, blob: Uint8Array): boolean {
  const b64 = Buffer.from(blob).toString('base64');
  return user.sshKeys.some((line) => {
    const [keyAlgo, data] = line.trim().split(/\s+/);
    return data === b64 && (keyAlgo === algo || (algo.startsWith('rsa-sha2-') && keyAlgo === 'ssh-rsa'));
  });
}

/**
 * The NT hash lookup NLA needs (users[].rdpNtHash): the person signs in as
 * `alice+win01`, optionally `DOMAIN\alice+win01`; the hash is alice's. Null for
 * a user without one, who can still sign in with TLS security and the Argon2id password.
 */
export function ntHashLookup(config: Pick<Config, 'users'>): (login: string) => Buffer | null {
  return (login) => {
    const name = parseLoginName(login)?.user ?? login;
    const hex = findUser(config, name)?.rdpNtHash;
    return hex ? Buffer.from(hex, 'hex') : null;
  };
}
