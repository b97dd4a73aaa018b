/**
 * The connection pool to the PostgreSQL store (node-postgres: the maintained
 * driver, pure JavaScript, with binary `bytea` parameters and LISTEN/NOTIFY).
 *
 * The URL is a secret (it usually holds a password): it goes to the driver
 * and nowhere else; what is logged names the host and database only. An idle
 * connection that breaks (server restart, pg_terminate_backend) is reported
 * as a log line instead of crashing the process; the pool opens a new one on
 * the next query.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Secret } from '../../config/secret.js';
import type { Logger } from '../../log.js';

export interface PoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * The driver, loaded when a pool is first opened: a gateway or a CLI command on the
 * local store does not wait for it (it takes a tenth of a second to load).
 */
export const driver = (() => {
  let loaded: typeof pg | undefined;
  return (): typeof pg => (loaded ??= createRequire(import.meta.url)('pg') as typeof pg);
})();

export function openPool(url: Secret, log: Logger, options: PoolOptions = {}): pg.Pool {
  const pool = new (driver().Pool)({
    connectionString: url.reveal(),
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'recgate',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  pool.on('error', (err) => log.warn({ store: describeUrl(url), error: err.message }, 'PostgreSQL store: an idle connection failed; the next query opens a new one'));
  return pool;
}

/** "db.example:5432/recgate": where the store is, without user or password. */
export function describeUrl(url: Secret): string {
  try {
    const u = new URL(url.reveal());
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}
