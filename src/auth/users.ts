/**
 * Gateway users: who may log in, with what, and which targets they reach.
 * A person names the target inside the login name: `alice+web01`.
 */
import type { Config, TargetConfig, UserConfig } from '../config/index.js';
import type { Sodium } from '../seal/sodium.js';
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

export type RouteRefusal = 'unknown-target' | 'not-allowed' | 'wrong-protocol';

export type Route = { ok: true; user: UserConfig; target: TargetConfig } | { ok: false; user: UserConfig; why: RouteRefusal; target: string };

/** The target an authenticated user asked for, if it exists, speaks `protocol` and the user may reach it. */
export function route(config: Config, user: UserConfig, targetName: string, protocol: string): Route {
  const target = config.targets.find((t) => t.name === targetName);
  if (!target) return { ok: false, user, why: 'unknown-target', target: targetName };
  if (target.protocol !== protocol) return { ok: false, user, why: 'wrong-protocol', target: targetName };
  if (!user.targets.includes('*') && !user.targets.includes(target.name)) return { ok: false, user, why: 'not-allowed', target: targetName };
  return { ok: true, user, target };
}

export function findUser(config: Config, name: string): UserConfig | undefined {
  return config.users.find((u) => u.name === name);
}

// A fixed hash to verify against when the user does not exist, so that an
// unknown name costs the same time as a wrong password.
let decoyHash: string | undefined;

/** True when `password` is the user's; the same work whether or not the user exists. */
export async function checkPassword(s: Sodium, user: UserConfig | undefined, password: string): Promise<boolean> {
  if (!user?.password) {
    decoyHash ??= hashPassword(s, 'recgate-decoy');
    await verifyPasswordAsync(s, decoyHash, password);
    return false;
  }
  return verifyPasswordAsync(s, user.password, password);
}

/** True when the OpenSSH key blob (algorithm + data, as on the wire) is one of the user's keys. */
export function hasSshKey(user: UserConfig, algo: string, blob: Uint8Array): boolean {
  const b64 = Buffer.from(blob).toString('base64');
  return user.sshKeys.some((line) => {
    const [keyAlgo, data] = line.trim().split(/\s+/);
    return data === b64 && (keyAlgo === algo || (algo.startsWith('rsa-sha2-') && keyAlgo === 'ssh-rsa'));
  });
}
