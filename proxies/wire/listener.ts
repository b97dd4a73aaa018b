/**
 * A database proxy's TCP listener and the TLS it offers clients that ask:
 * each connection is served by the proxy's `serve`, and a listener that
 * closes destroys the connections still in their handshake (sessions end
 * the others, with their message). TLS uses the gateway's certificate.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { GatewayContext, RunningProxy } from '../../src/daemon/proxy.js';
import { ConfigError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { PeerClosedError } from './socket-reader.js';

/** The gateway's certificate and key, as a TLS context for the database listeners. */
export function gatewayTlsContext(gateway: GatewayContext): { context: SecureContext; cert: Buffer } {
  const { tlsCert, tlsKey } = gateway.config.gateway;
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(tlsCert);
    key = readFileSync(tlsKey);
  } catch (err) {
    throw new ConfigError(`cannot read the gateway's TLS certificate or key: ${(err as Error).message}`);
  }
  try {
    return { context: createSecureContext({ cert, key, minVersion: 'TLSv1.2' }), cert };
  } catch (err) {
    throw new ConfigError(`the gateway's TLS certificate ${tlsCert} or key ${tlsKey} is not usable: ${(err as Error).message}`);
  } finally {
    key.fill(0);
  }
}

/** The server side of TLS on a client socket whose protocol asked for it. */
export function acceptTls(raw: Socket, context: SecureContext): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
    tls.once('secure', () => {
      tls.removeAllListeners('error');
      tls.on('error', () => undefined);
      resolve(tls);
    });
    tls.once('error', (err) => reject(new PeerClosedError(`TLS handshake with the client failed: ${err.message}`, { cause: err })));
  });
}

/**
 * Listens at `at`; `serve` gets each connection and the set of sockets still
 * in their handshake, from which it removes a socket once it relays.
 */
export async function listenForClients(
  at: { host: string; port: number },
  log: Logger,
  serve: (socket: Socket, handshakes: Set<Socket>) => Promise<void>,
): Promise<RunningProxy> {
  const handshakes = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    handshakes.add(socket);
    socket.once('close', () => handshakes.delete(socket));
    serve(socket, handshakes).catch((err: unknown) => {
      log.error({ err }, 'connection failed');
      socket.destroy();
    });
  });
  server.on('error', (err) => log.error({ err }, 'listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of handshakes) socket.destroy();
      }),
  };
}
