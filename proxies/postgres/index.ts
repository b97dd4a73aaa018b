/**
 * The PostgreSQL proxy: `psql "host=gateway port=6432 user=alice+pg01"`.
 * A man in the middle of the PostgreSQL v3 protocol: TLS terminated with the
 * gateway's certificate, the person authenticated as a gateway user, the
 * target logged in to with injected credentials, every message relayed
 * unchanged and observed on the side for the transcript and query events.
 */
import { X509Certificate } from 'node:crypto';
import { tlsServerEndPoint } from '../../src/auth/scram.js';
import type { GatewayContext, ProxyModule, RunningProxy } from '../../src/daemon/proxy.js';
import { postgresSpec } from './spec.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { gatewayTlsContext } from '../wire/listener.js';
import { CancelKeys } from './cancel.js';
import { serveConnection, type ListenerDeps } from './connection.js';

export const proxy: ProxyModule = {
  spec: postgresSpec,
  async listen(gateway: GatewayContext, at: { host: string; port: number }): Promise<RunningProxy> {
    const log = gateway.log.child({ proto: 'postgres' });
    const { context, cert } = gatewayTlsContext(gateway);
    let channelBinding: Buffer | undefined;
    try {
      channelBinding = tlsServerEndPoint(new X509Certificate(cert).raw);
    } catch (err) {
      // A certificate whose signature hash cannot be bound (Ed25519): SCRAM-SHA-256-PLUS is not offered.
      log.warn({ err, cert: gateway.config.gateway.tlsCert }, 'the gateway certificate supports no channel binding; SCRAM-SHA-256-PLUS is not offered');
    }
    const deps: ListenerDeps = {
      gateway,
      sodium: defaultSodium(),
      cancelKeys: new CancelKeys(),
      log,
      tls: { context, channelBinding },
      mockSecret: gateway.secret('postgres-scram-mock'),
    };
    return gateway.listen(at, log, (socket, place) => {
      serveConnection(socket, place, deps).catch((err: unknown) => {
        log.error({ err }, 'connection failed');
        socket.destroy();
      });
    });
  },
};
