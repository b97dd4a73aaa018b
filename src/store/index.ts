import type { Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { LocalStore } from './local.js';
import type { RecordingStore } from './types.js';

export type { RecordingStore, RecordingSummary, ListFilter, StoredChunk } from './types.js';

/** Opens the store the config names. */
export function openStore(config: Config, log: Logger): RecordingStore {
  switch (config.store.kind) {
    case 'local':
      log.debug({ dataDir: config.gateway.dataDir }, 'opening local store');
      return new LocalStore(config.gateway.dataDir);
    default:
      throw new ConfigError(`store.kind ${JSON.stringify(config.store.kind)} is not available in this version; use "local"`);
  }
}
