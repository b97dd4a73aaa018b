/**
 * What every command needs: the loaded config, a logger, libsodium, and (on
 * demand) the store and the auditor's key.
 *
 * With an archive tier (`retention.archive`) the store is the hot store with
 * the archive behind it (TieredStore), so recordings retention moved there
 * are listed, exported, played, searched, verified and rotated like the rest.
 */
import { loadConfig, resolveConfigPath, type Config } from '../config/index.js';
import { NotFoundError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import type { AuditorKeyPair } from '../seal/keys.js';
import { defaultSodium, type Sodium } from '../seal/sodium.js';
import { trustedSignerKeys } from '../daemon/gateway-keys.js';
import { openArchiveStore } from '../store/archive.js';
import { openStore } from '../store/index.js';
import { TieredStore } from '../store/tiered.js';
import { describeUrl } from '../store/postgres/pool.js';
import type { RecordingStore, RecordingSummary } from '../store/types.js';
import { openAuditorKey } from './auditor-key.js';

export interface GlobalOptions {
  config?: string;
}

export class CliContext {
  private storeInstance: RecordingStore | undefined;

  private constructor(
    readonly configPath: string,
    readonly config: Config,
    readonly log: Logger,
    readonly sodium: Sodium,
  ) {}

  static open(options: GlobalOptions): CliContext {
    const configPath = resolveConfigPath(options.config);
    // Auditor and operator commands never log in to a target: its secrets need not be set here.
    const config = loadConfig(configPath, process.env, { targetSecrets: 'defer' });
    // Commands talk on stdout; only warnings and worse go to stderr.
    const log = createLogger({ level: 'warn' });
    return new CliContext(configPath, config, log, defaultSodium());
  }

  store(): RecordingStore {
    if (this.storeInstance === undefined) {
      const hot = openStore(this.config, this.log);
      const archive = this.config.retention.archive;
      try {
        this.storeInstance = archive === null ? hot : new TieredStore(hot, openArchiveStore(archive, this.log, this.config.gateway.nodeId));
      } catch (err) {
        void hot.close().catch(() => undefined);
        throw err;
      }
    }
    return this.storeInstance;
  }

  async recording(id: string): Promise<RecordingSummary> {
    const summary = await this.store().get(id);
    if (!summary) throw new NotFoundError(`no recording ${id} in ${this.storeName()}`);
    return summary;
  }

  /** Where recordings are, for messages: the data directory, or the PostgreSQL store's host and database (never its URL). */
  storeName(): string {
    const store = this.config.store;
    return store.kind === 'postgres' ? `the PostgreSQL store ${describeUrl(store.url)}` : this.config.gateway.dataDir;
  }

  /** Opens an auditor key file; the passphrase comes from RECGATE_PASSPHRASE or a prompt (Argon2id runs off the main thread). */
  async auditorKey(path: string): Promise<AuditorKeyPair> {
    return openAuditorKey(this.sodium, path);
  }

  /** The gateway signing public keys that recordings and the log must be signed by (see trustedSignerKeys). */
  async trustedSigners(): Promise<Uint8Array[]> {
    const { keys, notice } = await trustedSignerKeys(this.sodium, this.config);
    if (notice !== undefined) process.stderr.write(`recgate: ${notice}\n`);
    return keys;
  }

  async close(): Promise<void> {
    await this.storeInstance?.close();
  }
}

export async function withContext<T>(options: GlobalOptions, fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = CliContext.open(options);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

