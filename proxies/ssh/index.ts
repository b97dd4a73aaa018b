/**
 * The SSH proxy: `ssh -p 2222 alice+web01@gateway`. A server towards the
 * person (ssh2 Server with the gateway's host key) and a client towards the
 * target (ssh2 Client with injected credentials) per connection.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { LoginRateLimiter } from '../../src/auth/rate-limit.js';
import { ConfigError } from '../../src/errors.js';
import type { GatewayContext, ProxyModule, RunningProxy } from '../../src/daemon/proxy.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { ALGORITHMS } from './algorithms.js';
import { SshConnection } from './connection.js';
import { HostPins } from './host-pins.js';

export const sshProxy: ProxyModule = {
  name: 'ssh',
  listenKey: 'ssh',
  async listen(gateway: GatewayContext, at: { host: string; port: number }): Promise<RunningProxy> {
    const log = gateway.log.child({ proto: 'ssh' });
    let hostKey: Buffer;
    try {
      hostKey = readFileSync(gateway.config.gateway.hostKey);
    } catch (err) {
      throw new ConfigError(`cannot read the SSH host key ${gateway.config.gateway.hostKey}: ${(err as Error).message}`);
    }
    const deps = {
      gateway,
      sodium: defaultSodium(),
      pins: new HostPins(gateway.config.gateway.dataDir),
      limiter: new LoginRateLimiter(),
      log,
    };
    const server = new ssh2.Server(
      { hostKeys: [hostKey], algorithms: ALGORITHMS, ident: 'recgate', keepaliveInterval: 30_000, keepaliveCountMax: 3 },
      (conn, info) => new SshConnection(conn, info, deps),
    );
    hostKey.fill(0);
    server.on('error', (err: Error) => log.error({ err }, 'ssh server error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => resolve());
    });
    return {
      address: server.address() as AddressInfo,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },
};
