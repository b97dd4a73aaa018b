/**
 * The PostgreSQL proxy: `psql "host=gateway port=6432 user=alice+pg01"`.
 * A man in the middle of the PostgreSQL v3 protocol: TLS terminated with the
 * gateway's certificate, the person authenticated as a gateway user, the
 * target logged in to with injected credentials, every message relayed
 * unchanged and observed on the side for the transcript and query events.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { LoginRateLimiter } from '../../src/auth/rate-limit.js';
import { tlsServerEndPoint } from '../../src/auth/scram.js';
import type { GatewayContext, ProxyModule, RunningProxy } from '../../src/daemon/proxy.js';
import { ConfigError } from '../../src/errors.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { CancelKeys } from './cancel.js';
import { serveConnection, type ListenerDeps } from './connection.js';

function loadTls(gateway: GatewayContext): ListenerDeps['tls'] {
  const { tlsCert, tlsKey } = gateway.config.gateway;
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(tlsCert);
    key = readFileSync(tlsKey);
  } catch (err) {
    throw new ConfigError(`cannot read the gateway's TLS certificate or key: ${(err as Error).message}`);
  }
  let context;
  try {
    context = createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    throw new ConfigError(`the gateway's TLS certificate ${tlsCert} or key ${tlsKey} is not usable: ${(err as Error).message}`);
  } finally {
    key.fill(0);
  }
  let channelBinding: Buffer | undefined;
  try {
    channelBinding = tlsServerEndPoint(new X509Certificate(cert).raw);
  } catch (err) {
    // A certificate whose signature hash cannot be bound (Ed25519): SCRAM-SHA-256-PLUS is not offered.
    gateway.log.warn({ err, cert: tlsCert }, 'the gateway certificate supports no channel binding; SCRAM-SHA-256-PLUS is not offered');
  }
  return { context, channelBinding };
}

export const postgresProxy: ProxyModule = {
  name: 'postgres',
  listenKey: 'postgres',
  async listen(gateway: GatewayContext, at: { host: string; port: number }): Promise<RunningProxy> {
    const log = gateway.log.child({ proto: 'postgres' });
    const deps: ListenerDeps = {
      gateway,
      sodium: defaultSodium(),
      limiter: new LoginRateLimiter(),
      cancelKeys: new CancelKeys(),
      log,
      tls: loadTls(gateway),
      mockSecret: gateway.secret('postgres-scram-mock'),
      handshakes: new Set<Socket>(),
    };
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      deps.handshakes.add(socket);
      socket.once('close', () => deps.handshakes.delete(socket));
      serveConnection(socket, deps).catch((err: unknown) => {
        log.error({ err }, 'connection failed');
        socket.destroy();
      });
    });
    server.on('error', (err) => log.error({ err }, 'postgres listener error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
    return {
      address: server.address() as AddressInfo,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Connections still in their handshake have no session that would end them.
          for (const socket of deps.handshakes) socket.destroy();
        }),
    };
  },
};
