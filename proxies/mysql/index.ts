/**
 * The MySQL / MariaDB proxy: `mariadb -h gateway -P 3307 -u alice+my01 -p`.
 * A man in the middle of the MySQL client/server protocol: the gateway's
 * own greeting and TLS, the person authenticated as a gateway user, the
 * target logged in to with injected credentials, packets relayed unchanged
 * and observed on the side for the transcript and query events.
 *
 * Compression is never offered (CLIENT_COMPRESS would rewrap every packet),
 * nor LOAD DATA LOCAL INFILE (CLIENT_LOCAL_FILES).
 */
import { generateKeyPairSync } from 'node:crypto';
import { rsaPublicKeyPem } from '../../src/auth/mysql-auth.js';
import type { GatewayContext, ProxyModule, RunningProxy } from '../../src/daemon/proxy.js';
import { mysqlSpec } from './spec.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { gatewayTlsContext } from '../wire/listener.js';
import { serveMysqlConnection, type ListenerDeps } from './connection.js';
import { ThreadIds } from './threads.js';
import { TargetIdentities } from './identity.js';

export const proxy: ProxyModule = {
  spec: mysqlSpec,
  async listen(gateway: GatewayContext, at: { host: string; port: number }): Promise<RunningProxy> {
    const log = gateway.log.child({ proto: 'mysql' });
    // caching_sha2_password outside TLS: clients encrypt the password to this key (kept in memory only).
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const deps: ListenerDeps = {
      gateway,
      sodium: defaultSodium(),
      log,
      tls: gatewayTlsContext(gateway).context,
      rsa: { privateKey, publicKeyPem: rsaPublicKeyPem(publicKey) },
      mockSecret: gateway.secret('mysql-auth-mock'),
      threads: new ThreadIds(),
      identities: new TargetIdentities(() => gateway.config.targets, log),
    };
    // Learn the targets' greetings before the first client comes.
    void deps.identities.identity();
    return gateway.listen(at, log, (socket, place) => {
      serveMysqlConnection(socket, place, deps).catch((err: unknown) => {
        log.error({ err }, 'connection failed');
        socket.destroy();
      });
    });
  },
};
