/**
 * The TLS a database proxy offers clients that ask, with the gateway's
 * certificate, and the deadline its handshake must meet.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { GatewayContext } from '../../src/daemon/proxy.js';
import { ConfigError } from '../../src/errors.js';
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

/**
 * The server side of TLS on a client socket whose protocol asked for it; a
 * handshake not finished within `timeoutMs` closes the connection.
 */
export function acceptTls(raw: Socket, context: SecureContext, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
    const timer = setTimeout(() => {
      tls.destroy();
      raw.destroy();
      reject(new PeerClosedError(`TLS handshake with the client did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    timer.unref();
    tls.once('secure', () => {
      clearTimeout(timer);
      tls.removeAllListeners('error');
      tls.on('error', () => undefined);
      resolve(tls);
    });
    tls.once('error', (err) => {
      clearTimeout(timer);
      reject(new PeerClosedError(`TLS handshake with the client failed: ${err.message}`, { cause: err }));
    });
  });
}
