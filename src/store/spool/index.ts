/**
 * The spool in front of a store that can be unreachable: `withSpool` wraps
 * the store the daemon writes to (PostgreSQL) in a SpoolingStore; the local
 * store is on the same disk as a spool would be, so it is used as it is.
 */
import type { Config } from '../../config/index.js';
import type { Logger } from '../../log.js';
import { openStore } from '../index.js';
import type { RecordingStore } from '../types.js';
import { SpoolingStore } from './spooling-store.js';

export { SpoolingStore } from './spooling-store.js';
export { isUnreachable, StoreUnreachableError } from './unreachable.js';

export async function withSpool(store: RecordingStore, config: Config, log: Logger): Promise<RecordingStore> {
  if (config.store.kind === 'local') return store;
  const { dir, maxBytes } = config.store.spool;
  log.debug({ spoolDir: dir, maxBytes }, 'writes spool to local disk while the store is unreachable');
  return SpoolingStore.open(store, { dir, maxBytes, log, startupStore: () => openStore(config, log) });
}
