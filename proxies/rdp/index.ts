/**
 * The RDP proxy: `xfreerdp /v:gateway /u:alice+win01 /p:...`. A man in the
 * middle of RDP with TLS security on both legs (CredSSP towards targets that
 * require NLA): the person authenticates with their gateway password in the
 * Client Info PDU, the gateway logs in to the target with injected
 * credentials, and relays PDU by PDU, recording the screen and input.
 */
import type { GatewayContext, ProxyModule, RunningProxy } from '../../src/daemon/proxy.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { gatewayTlsContext } from '../wire/listener.js';
import { TargetPins } from '../wire/target-pins.js';
import { serveConnection, type ListenerDeps } from './connection.js';
import { rdpSpec } from './spec.js';

export const proxy: ProxyModule = {
  spec: rdpSpec,
  async listen(gateway: GatewayContext, at: { host: string; port: number }): Promise<RunningProxy> {
    const log = gateway.log.child({ proto: 'rdp' });
    const { context, cert } = gatewayTlsContext(gateway);
    const deps: ListenerDeps = {
      gateway,
      sodium: defaultSodium(),
      log,
      tls: context,
      certificate: cert,
      pins: new TargetPins(gateway.config.gateway.dataDir, 'rdp-known-targets.json'),
    };
    return gateway.listen(at, log, (socket, place) => {
      serveConnection(socket, place, deps).catch((err: unknown) => {
        log.error({ err }, 'connection failed');
        socket.destroy();
      });
    });
  },
};
