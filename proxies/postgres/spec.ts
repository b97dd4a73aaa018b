/**
 * What the PostgreSQL proxy tells the configuration: `listen.postgres`,
 * port 5432 on targets, TLS with the gateway certificate towards clients,
 * the database TLS keys of its targets, and
 *
 *   auth             the password exchanges the gateway may use with the
 *                    target, as libpq's require_auth: scram-sha-256, md5,
 *                    password. Default: scram-sha-256, and md5 and password
 *                    too when the target's TLS is verified (verify-full or
 *                    a tlsPin); md5 and password need verified TLS.
 *   startupOptions   let clients set `options` (-c name=value), `role` or
 *                    `session_authorization` in their startup packet
 *                    (default false: refused; when allowed, recorded)
 */
import { bool, withDefault } from '../../src/config/fields.js';
import type { ProtocolSpec } from '../../src/config/protocols.js';
import { authKey, checkAuth, resolveAuth, type AuthMethods, type AuthPolicy } from '../wire/auth-methods.js';
import { checkTargetTls, parsedTlsVerified, resolveTargetTls, targetTlsKeys, type TargetTls } from '../wire/tls-options.js';

export type PostgresTargetOptions = TargetTls & AuthPolicy & { readonly startupOptions: boolean };

/** libpq's require_auth names for the exchanges the gateway speaks. */
export const POSTGRES_AUTH: AuthMethods = {
  names: ['scram-sha-256', 'md5', 'password'],
  // md5 gives the server a fast, barely salted hash to guess from; password gives it the password.
  exposing: ['md5', 'password'],
};

export const postgresSpec: ProtocolSpec = {
  name: 'postgres',
  defaultPort: 5432,
  defaultListen: '127.0.0.1:6432',
  gatewayCertificate: true,
  targetOptions: {
    keys: { ...targetTlsKeys, auth: authKey(POSTGRES_AUTH), startupOptions: withDefault(false, bool) },
    check: (parsed, ctx) => {
      checkTargetTls(parsed, ctx);
      checkAuth(POSTGRES_AUTH, parsed, parsedTlsVerified(parsed), ctx);
    },
    resolve: (parsed, ctx): PostgresTargetOptions => ({
      ...resolveTargetTls(parsed, ctx),
      ...resolveAuth(POSTGRES_AUTH, parsed, parsedTlsVerified(parsed)),
      startupOptions: parsed.startupOptions as boolean,
    }),
  },
};
