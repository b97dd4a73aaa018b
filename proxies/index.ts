import type { ProxyModule } from '../src/daemon/proxy.js';

/** Every protocol proxy the gateway can start; each serves its `listen` key when configured. */
export const proxies: ProxyModule[] = [];
