/**
 * What the MySQL proxy tells the configuration: `listen.mysql`, port 3306 on
 * targets, TLS with the gateway certificate towards clients, the database
 * TLS keys of its targets, and
 *
 *   localInfile   let LOAD DATA LOCAL INFILE send files from the person's
 *                 machine to the target (default false)
 */
import { bool, withDefault } from '../../src/config/fields.js';
import type { ProtocolSpec } from '../../src/config/protocols.js';
import { checkTargetTls, resolveTargetTls, targetTlsKeys, type TargetTls } from '../wire/tls-options.js';

export type MysqlTargetOptions = TargetTls & { readonly localInfile: boolean };

export const mysqlSpec: ProtocolSpec = {
  name: 'mysql',
  defaultPort: 3306,
  defaultListen: '127.0.0.1:3307',
  gatewayCertificate: true,
  targetOptions: {
    keys: { ...targetTlsKeys, localInfile: withDefault(false, bool) },
    check: checkTargetTls,
    resolve: (parsed, ctx): MysqlTargetOptions => ({ ...resolveTargetTls(parsed, ctx), localInfile: parsed.localInfile as boolean }),
  },
};
