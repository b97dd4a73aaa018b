/**
 * What the PostgreSQL proxy tells the configuration: `listen.postgres`,
 * port 5432 on targets, TLS with the gateway certificate towards clients,
 * the database TLS keys of its targets, and
 *
 *   startupOptions   let clients set `options` (-c name=value), `role` or
 *                    `session_authorization` in their startup packet
 *                    (default false: refused; when allowed, recorded)
 */
import { bool, withDefault } from '../../src/config/fields.js';
import type { ProtocolSpec } from '../../src/config/protocols.js';
import { checkTargetTls, resolveTargetTls, targetTlsKeys, type TargetTls } from '../wire/tls-options.js';

export type PostgresTargetOptions = TargetTls & { readonly startupOptions: boolean };

export const postgresSpec: ProtocolSpec = {
  name: 'postgres',
  defaultPort: 5432,
  defaultListen: '127.0.0.1:6432',
  gatewayCertificate: true,
  targetOptions: {
    keys: { ...targetTlsKeys, startupOptions: withDefault(false, bool) },
    check: checkTargetTls,
    resolve: (parsed, ctx): PostgresTargetOptions => ({ ...resolveTargetTls(parsed, ctx), startupOptions: parsed.startupOptions as boolean }),
  },
};
