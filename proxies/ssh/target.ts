/**
 * The gateway's leg to the target: an ssh2 client that checks the target's
 * host key against its pin and logs in with the injected credentials.
 * Failures come back as TargetError with the words the person will read.
 */
import type { Socket } from 'node:net';
import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import { targetOptions, type TargetConfig } from '../../src/config/index.js';
import { GatewayError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { ALGORITHMS } from './algorithms.js';
import { fingerprint, TRUST_ON_FIRST_USE, type TargetPins } from '../wire/target-pins.js';
import { coalesceWrites } from './coalesce.js';
import { readLoggedInIntoSlabs } from './socket-reads.js';
import { poolPadding } from './padding-pool.js';
import type { SshTargetOptions } from './spec.js';

export type TargetFailure = 'target-down' | 'host-key-mismatch' | 'host-key-unpinned' | 'login-failed';

export class TargetError extends GatewayError {
  constructor(
    readonly failure: TargetFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('RG_ERR_AUTH', message, options);
  }
}

const CONNECT_TIMEOUT_MS = 10_000;

export function connectTarget(target: TargetConfig, pins: TargetPins, log: Logger): Promise<Client> {
  const { hostKey } = targetOptions<SshTargetOptions>(target);
  const expected = pins.expected(target.name, hostKey);
  let seen: string | undefined;
  let mismatch = false;
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.login.user ?? '',
    algorithms: ALGORITHMS,
    readyTimeout: CONNECT_TIMEOUT_MS,
    keepaliveInterval: 30_000,
    keepaliveCountMax: 3,
    hostVerifier: (key: Buffer): boolean => {
      seen = fingerprint(key);
      // No pin yet: only a trust-on-first-use target may go on (and gets pinned).
      if (expected === null) return hostKey === TRUST_ON_FIRST_USE;
      mismatch = seen !== expected;
      return !mismatch;
    },
  };
  if (target.login.password) config.password = target.login.password.reveal();
  if (target.login.privateKey) config.privateKey = target.login.privateKey.reveal();
  if (target.login.passphrase) config.passphrase = target.login.passphrase.reveal();

  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => {
      if (expected === null && seen) {
        log.warn({ target: target.name, hostKey: seen }, 'trusting the target host key on first use and pinning it');
        pins.learn(target.name, seen).catch((err: unknown) => log.error({ err }, 'cannot save the pinned target host key'));
      }
      readLoggedInIntoSlabs((client as unknown as { _sock?: Socket })._sock);
      resolve(client);
    });
    client.once('error', (err: Error & { level?: string; code?: string }) => {
      client.end();
      reject(classify(target, err, mismatch, seen, expected));
    });
    client.connect(config);
    coalesceWrites((client as unknown as { _sock?: Socket })._sock);
    poolPadding(client);
  });
}

function classify(target: TargetConfig, err: Error & { level?: string; code?: string }, mismatch: boolean, seen?: string, expected?: string | null): TargetError {
  const name = target.name;
  if (mismatch) {
    return new TargetError('host-key-mismatch', `the host key of ${name} has changed (${seen}, expected ${expected}); refusing to connect`, { cause: err });
  }
  if (err.level === 'client-authentication') {
    return new TargetError('login-failed', `the gateway could not log in to ${name} with its configured credentials`, { cause: err });
  }
  if (err.level === 'client-socket' || err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || /timed out/i.test(err.message)) {
    return new TargetError('target-down', `${name} is not reachable (${err.code ?? err.message})`, { cause: err });
  }
  if (/host key verification failed|Handshake failed: host key/i.test(err.message)) {
    return new TargetError('host-key-unpinned', `the host key of ${name} is not pinned; refusing to connect`, { cause: err });
  }
  return new TargetError('target-down', `cannot connect to ${name}: ${err.message}`, { cause: err });
}
