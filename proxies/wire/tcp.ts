/**
 * The gateway's TCP connection to a target, and TLS over it as the
 * target's `tls` mode says, with the messages a person reads when either
 * fails: `recgate: cannot reach pg01: connection refused`.
 *
 * `verify-full` checks the chain (against `tlsCa` or the system's CAs) and
 * the host name; `require` and `prefer` encrypt without checking who answers.
 * A `tlsPin` is checked on top of either, after the handshake and before the
 * socket is handed on: nothing is written to a target whose certificate does
 * not match.
 */
import { readFileSync } from 'node:fs';
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { GatewayError } from '../../src/errors.js';
import type { TargetTls } from './tls-options.js';

export const CONNECT_TIMEOUT_MS = 10_000;

export class TargetUnreachable extends GatewayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('RG_ERR_PROTOCOL', message, options);
  }
}

export function openTargetSocket(target: { name: string; host: string; port: number }, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TargetUnreachable(`recgate: ${target.name} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? 'host not found' : err.message;
      reject(new TargetUnreachable(`recgate: cannot reach ${target.name}: ${why}`, { cause: err }));
    });
  });
}

/** TLS over an open target socket (after the protocol's own TLS request was accepted). */
export async function startTargetTls(target: { name: string; host: string }, options: TargetTls, socket: Socket): Promise<TLSSocket> {
  const verify = options.tls === 'verify-full';
  const tls = tlsConnect({
    socket,
    host: target.host,
    servername: isIP(target.host) ? undefined : target.host,
    ca: verify && options.tlsCa ? readFileSync(options.tlsCa) : undefined,
    // Node checks the host name only when rejectUnauthorized is set; without verify-full nothing is checked.
    rejectUnauthorized: verify,
  });
  await new Promise<void>((resolve, reject) => {
    tls.once('secureConnect', () => {
      tls.removeAllListeners('error');
      resolve();
    });
    tls.once('error', (err) => reject(new TargetUnreachable(`recgate: TLS to ${target.name} failed: ${err.message}`, { cause: err })));
  });
  if (options.tlsPin !== null) checkPin(target, options.tlsPin, tls);
  tls.setNoDelay(true);
  return tls;
}

/** The target's certificate must be the pinned one (its SHA-256 fingerprint, as openssl prints it). */
function checkPin(target: { name: string }, pin: string, tls: TLSSocket): void {
  const seen = tls.getPeerX509Certificate()?.fingerprint256 ?? null;
  if (seen === pin) return;
  tls.destroy();
  const what = seen === null ? 'presented no certificate' : `presented a certificate with SHA-256 fingerprint ${seen}`;
  throw new TargetUnreachable(`recgate: TLS to ${target.name} failed: the target ${what}, not the one pinned in tlsPin (${pin})`);
}
