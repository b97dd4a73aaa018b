/**
 * openStore: the RecordingStore the config names. The PostgreSQL store opens
 * its pool at once and its schema at first use, so this stays synchronous.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { LocalStore } from './local.js';
import { describeUrl } from './postgres/pool.js';
import { PostgresStore } from './postgres/store.js';
import type { RecordingStore } from './types.js';

export type { RecordingStore, RecordingSummary, ListFilter, StoredChunk } from './types.js';
export { PostgresStore } from './postgres/store.js';

/** Opens the store the config names. */
export function openStore(config: Config, log: Logger): RecordingStore {
  const store = config.store;
  switch (store.kind) {
    case 'local': {
      const local = new LocalStore(config.gateway.dataDir, { log, sync: store.sync });
      // What `auto` chose, once: syncfs writes back the whole filesystem the data directory is on.
      log.info({ dataDir: config.gateway.dataDir, sync: store.sync, syncing: local.syncMode }, 'local store open');
      return local;
    }
    case 'postgres':
      log.info({ store: describeUrl(store.url), nodeId: config.gateway.nodeId }, 'opening PostgreSQL store');
      return new PostgresStore(store.url, { nodeId: config.gateway.nodeId, log });
  }
}
