/**
 * Which password exchanges the gateway may use to log in to a database
 * target: the target key `auth`, a list of method names after libpq's
 * `require_auth`, and the rule behind its default.
 *
 * The rule: the target's password is never sent in a form the server can
 * read (in clear, as a fast unsalted hash, or encrypted to a key nobody
 * pinned) unless the target's TLS is verified (tls: verify-full, or a
 * tlsPin): otherwise whoever answers on the target's address would get it.
 * Proofs that keep the password (SCRAM, MySQL's scrambles, MariaDB's
 * Ed25519 signature) are allowed over any transport; a server impersonator
 * that receives one can only guess passwords against it offline.
 *
 * Without `auth` a target allows every method of its protocol that is safe
 * with its TLS. A method that exposes the password, named in `auth` without
 * verified TLS, is a config error.
 */
import { describe, Invalid, oneOf } from '../../src/config/fields.js';
import type { OptionsCheck } from '../../src/config/protocols.js';

export interface AuthMethods {
  /** Every method the protocol's proxy can use, in the order of the default list. */
  readonly names: readonly string[];
  /** Methods that let the server read the password: allowed only with verified TLS. */
  readonly exposing: readonly string[];
  /** Methods never in the default list, used only when `auth` names them. */
  readonly optIn?: readonly string[];
}

/** What one target allows, as its proxy reads it. */
export type AuthPolicy = {
  /** The methods this target's login may use. */
  readonly auth: readonly string[];
  /** Whether its TLS is verified (verify-full or a pin). */
  readonly verified: boolean;
};

/** The parser of `auth`: a non-empty list of the protocol's method names. */
export function authKey(methods: AuthMethods): (value: unknown) => readonly string[] | undefined {
  const method = oneOf(methods.names, 'authentication method');
  return (value) => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw new Invalid(`expected a list of authentication methods (${methods.names.join(', ')}), got ${describe(value)}`);
    if (value.length === 0) throw new Invalid('must name at least one authentication method');
    const names = value.map((item, index) => {
      try {
        return method(item);
      } catch (err) {
        throw err instanceof Invalid ? new Invalid(err.message, [index]) : err;
      }
    });
    return [...new Set(names)];
  };
}

/** The methods a target allows when its config names none. */
export function defaultAuth(methods: AuthMethods, verified: boolean): readonly string[] {
  return methods.names.filter((name) => !methods.optIn?.includes(name) && (verified || !methods.exposing.includes(name)));
}

/** `auth` may name a password-exposing method only where the target's TLS is verified. */
export function checkAuth(methods: AuthMethods, parsed: Readonly<Record<string, unknown>>, verified: boolean, ctx: OptionsCheck): void {
  const named = parsed.auth as readonly string[] | undefined;
  if (named === undefined || verified) return;
  for (const method of named.filter((name) => methods.exposing.includes(name))) {
    ctx.problem('auth', `${method} sends the password in a form the server can read; allow it only with tls: verify-full or a tlsPin`);
  }
}

export function resolveAuth(methods: AuthMethods, parsed: Readonly<Record<string, unknown>>, verified: boolean): AuthPolicy {
  return { auth: (parsed.auth as readonly string[] | undefined) ?? defaultAuth(methods, verified), verified };
}

/**
 * Why the gateway will not answer `method`, in words for the person and the
 * log: what the method would give away, and what to configure.
 */
export function methodRefused(target: string, method: string, methods: AuthMethods, policy: AuthPolicy): string {
  const exposing = methods.exposing.includes(method);
  if (exposing && !policy.verified) {
    return `recgate: ${target} asks for ${method} authentication, which would let it read the password; refused: the gateway sends it only when the target's TLS is verified (tls: verify-full or a tlsPin) and its auth allows ${method}`;
  }
  return `recgate: ${target} asks for ${method} authentication, which the target's auth setting does not allow (auth: [${policy.auth.join(', ')}]); refused`;
}
