/**
 * What the MySQL proxy tells the configuration: `listen.mysql`, port 3306 on
 * targets, TLS with the gateway certificate towards clients, the database
 * TLS keys of its targets, and
 *
 *   auth          the authentication methods the gateway may use with the
 *                 target: mysql_native_password, caching_sha2_password,
 *                 client_ed25519 (the default: all three), and
 *                 mysql_clear_password (only when named, and only with
 *                 verified TLS: verify-full or a tlsPin)
 *   serverRsaKey  the target's RSA public key (PEM), as MySQL's
 *                 --server-public-key-path: caching_sha2_password full
 *                 authentication outside TLS encrypts the password to it.
 *                 Without it, and without verified TLS, full authentication
 *                 is refused (a key the server sends is never trusted)
 *   localInfile   let LOAD DATA LOCAL INFILE send files from the person's
 *                 machine to the target (default false)
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bool, optional, text, withDefault } from '../../src/config/fields.js';
import type { OptionsContext, ProtocolSpec } from '../../src/config/protocols.js';
import { authKey, checkAuth, resolveAuth, type AuthMethods, type AuthPolicy } from '../wire/auth-methods.js';
import { checkTargetTls, parsedTlsVerified, resolveTargetTls, targetTlsKeys, type TargetTls } from '../wire/tls-options.js';

export type MysqlTargetOptions = TargetTls &
  AuthPolicy & {
    /** The pinned RSA public key (SPKI PEM), or null. */
    readonly serverRsaKey: string | null;
    readonly localInfile: boolean;
  };

/** Plugin names, as MySQL and MariaDB servers ask for them. */
export const MYSQL_AUTH: AuthMethods = {
  names: ['mysql_native_password', 'caching_sha2_password', 'client_ed25519', 'mysql_clear_password'],
  exposing: ['mysql_clear_password'],
  // MySQL's own clients send a clear password only when told to (--enable-cleartext-plugin).
  optIn: ['mysql_clear_password'],
};

/** The RSA public key in the PEM file `written`, as SPKI PEM; a problem is reported at the key. */
function readRsaKey(written: string, ctx: OptionsContext): string | null {
  const file = ctx.file(written);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    ctx.problem('serverRsaKey', `cannot read ${file}: ${code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable')}`);
    return null;
  }
  if (/PRIVATE KEY-----/.test(pem)) {
    ctx.problem('serverRsaKey', `${file} holds a private key; give the server's public key (as its public_key.pem)`);
    return null;
  }
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`a ${key.asymmetricKeyType ?? 'non-RSA'} key`);
    return String(key.export({ type: 'spki', format: 'pem' }));
  } catch {
    ctx.problem('serverRsaKey', `${file} is not an RSA public key in PEM ("-----BEGIN PUBLIC KEY-----")`);
    return null;
  }
}

export const mysqlSpec: ProtocolSpec = {
  name: 'mysql',
  defaultPort: 3306,
  defaultListen: '127.0.0.1:3307',
  gatewayCertificate: true,
  targetOptions: {
    keys: { ...targetTlsKeys, auth: authKey(MYSQL_AUTH), serverRsaKey: optional(text), localInfile: withDefault(false, bool) },
    check: (parsed, ctx) => {
      checkTargetTls(parsed, ctx);
      checkAuth(MYSQL_AUTH, parsed, parsedTlsVerified(parsed), ctx);
    },
    resolve: (parsed, ctx): MysqlTargetOptions => {
      const written = parsed.serverRsaKey as string | undefined;
      return {
        ...resolveTargetTls(parsed, ctx),
        ...resolveAuth(MYSQL_AUTH, parsed, parsedTlsVerified(parsed)),
        serverRsaKey: written === undefined ? null : readRsaKey(written, ctx),
        localInfile: parsed.localInfile as boolean,
      };
    },
  },
};
