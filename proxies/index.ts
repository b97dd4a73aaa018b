import type { ProxyModule } from '../src/daemon/proxy.js';
import { mysqlProxy } from './mysql/index.js';
import { postgresProxy } from './postgres/index.js';
import { sshProxy } from './ssh/index.js';

/** Every protocol proxy the gateway can start; each serves its `listen` key when configured. */
export const proxies: ProxyModule[] = [sshProxy, postgresProxy, mysqlProxy];
