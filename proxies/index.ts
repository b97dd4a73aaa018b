/**
 * The protocols this gateway serves. Each is a folder `proxies/<name>/` with
 * `spec.ts` (what it tells the configuration) and `index.ts` exporting
 * `proxy`, the ProxyModule the daemon starts. Adding a protocol is a folder
 * and one line here.
 */
import type { ProtocolSpec } from '../src/config/protocols.js';
import type { ProxyModule } from '../src/daemon/proxy.js';
import { mysqlSpec } from './mysql/spec.js';
import { postgresSpec } from './postgres/spec.js';
import { rdpSpec } from './rdp/spec.js';
import { sshSpec } from './ssh/spec.js';

export const protocols: readonly ProtocolSpec[] = [sshSpec, postgresSpec, mysqlSpec, rdpSpec];

/** The proxy serving `spec`, loaded when its listener is opened (the config needs only the specs). */
export async function loadProxy(spec: ProtocolSpec): Promise<ProxyModule> {
  const module = (await import(`./${spec.name}/index.js`)) as { proxy?: ProxyModule };
  if (module.proxy?.spec !== spec) throw new Error(`proxies/${spec.name}/index.ts does not export the proxy of its spec`);
  return module.proxy;
}
