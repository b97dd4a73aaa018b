/**
 * What a login that cannot succeed (an unknown user, or one with no secret
 * for this protocol) looks like from outside: the same steps as some real
 * user's. Each protocol authenticates users along a few paths (PostgreSQL
 * over TLS: SCRAM or a password; MySQL: mysql_native_password or
 * caching_sha2_password); a name that takes no real path is given one,
 * stable for that name, in the proportion the configured users take them,
 * so the path a name gets does not tell whether it exists.
 */
import { createHmac } from 'node:crypto';
import type { UserConfig } from '../config/index.js';

export function decoyPath<P extends string>(
  secret: Buffer,
  loginName: string,
  users: readonly UserConfig[],
  pathOf: (user: UserConfig) => P | null,
  fallback: P,
): P {
  const counts = new Map<P, number>();
  let total = 0;
  for (const user of users) {
    const path = pathOf(user);
    if (path === null) continue;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    total++;
  }
  if (total === 0) return fallback;
  let pick = createHmac('sha256', secret).update(`decoy\0${loginName}`).digest().readUInt32BE(0) % total;
  for (const [path, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (pick < n) return path;
    pick -= n;
  }
  return fallback;
}

/** The path `user` takes, or a decoy one when it takes none (unknown, or no secret for it). */
export function loginPath<P extends string>(
  user: UserConfig | undefined,
  pathOf: (user: UserConfig) => P | null,
  decoy: { secret: Buffer; loginName: string; users: readonly UserConfig[]; fallback: P },
): { path: P; real: boolean } {
  const own = user ? pathOf(user) : null;
  if (own !== null) return { path: own, real: true };
  return { path: decoyPath(decoy.secret, decoy.loginName, decoy.users, pathOf, decoy.fallback), real: false };
}
