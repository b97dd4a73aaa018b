/**
 * The cluster of gateway nodes sharing a PostgreSQL store: started by
 * `recgate start` when `store.kind` is postgres (nothing to do otherwise).
 */
import type { Config } from '../config/index.js';
import type { Gateway } from '../daemon/gateway.js';
import type { Logger } from '../log.js';
import { ClusterNode } from './node.js';
import { storeRecoverer } from './reaper.js';

export { ClusterNode } from './node.js';

export async function startCluster(gateway: Gateway, config: Config, log: Logger): Promise<ClusterNode | undefined> {
  if (config.store.kind !== 'postgres') return undefined;
  const recoverer = storeRecoverer(
    gateway.store,
    async (found) => {
      try {
        await gateway.journal.recovered(found);
      } catch (err) {
        log.error({ err, recording: found.id }, 'cannot log the recovery of a dead node\'s recording; it is left for the next try');
        throw err;
      }
    },
    log,
  );
  const node = await ClusterNode.start(gateway, recoverer, config, log);
  gateway.cluster = node;
  return node;
}
