/**
 * The SSH proxy: `ssh -p 2222 alice+web01@gateway`. A server towards the
 * person (ssh2 Server with the gateway's host key) and a client towards the
 * target (ssh2 Client with injected credentials) per connection.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import ssh2, { type Connection } from 'ssh2';
import type { PreLogin } from '../../src/admission/guard.js';
import { ConfigError } from '../../src/errors.js';
import type { GatewayContext, ProxyModule, RunningProxy } from '../../src/daemon/proxy.js';
import { sshSpec } from './spec.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { ALGORITHMS } from './algorithms.js';
import { SshConnection } from './connection.js';
import { TargetPins } from '../wire/target-pins.js';

function socketOf(conn: Connection): Socket {
  return (conn as unknown as { _sock: Socket })._sock;
}

export const proxy: ProxyModule = {
  spec: sshSpec,
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
      pins: new TargetPins(gateway.config.gateway.dataDir, 'ssh-known-targets.json'),
      log,
    };
    // The gateway's listener admits each connection (caps, login grace time) and hands it to ssh2.
    const places = new WeakMap<Socket, PreLogin>();
    const server = new ssh2.Server(
      { hostKeys: [hostKey], algorithms: ALGORITHMS, ident: 'recgate', keepaliveInterval: 30_000, keepaliveCountMax: 3 },
      (conn, info) => new SshConnection(conn, info, deps, places.get(socketOf(conn))),
    );
    hostKey.fill(0);
    server.on('error', (err: Error) => log.error({ err }, 'ssh server error'));
    return gateway.listen(at, log, (socket, place) => {
      places.set(socket, place);
      server.injectSocket(socket);
      socket.resume();
    });
  },
};
