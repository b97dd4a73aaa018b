/**
 * How the PostgreSQL store reaches the database: every operation runs
 * through here, so a failure becomes one StoreError saying what was being
 * done, where (host:port/database, never the URL with its password) and
 * PostgreSQL's or the socket's own words; and the store's health follows
 * the outcome of the last operation.
 */
import type pg from 'pg';
import { GatewayError, StoreError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { StoreHealth } from '../types.js';

export class PgAccess {
  private down: string | undefined;

  constructor(
    readonly pool: pg.Pool,
    /** Where the store is, for messages: host:port/database. */
    readonly where: string,
    readonly log: Logger,
  ) {}

  health(): StoreHealth {
    return {
      state: this.down === undefined ? 'up' : 'down',
      spooledBytes: 0,
      spooledChunks: 0,
      drainedChunks: 0,
      detail: this.down === undefined ? `PostgreSQL ${this.where}` : `PostgreSQL ${this.where}: ${this.down}`,
    };
  }

  async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.up();
      return result;
    } catch (err) {
      throw this.failed(what, err);
    }
  }

  async transaction<T>(what: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.run(what, async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      // A connection that breaks while checked out reports it here as well as to the query: not a crash.
      const onError = (err: Error): void => void (broken = err);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        // A connection whose rollback failed is in an unknown state: the pool drops it.
        client.off('error', onError);
        client.release(broken);
      }
    });
  }

  private up(): void {
    if (this.down === undefined) return;
    this.log.info({ store: this.where }, 'PostgreSQL store reachable again');
    this.down = undefined;
  }

  private failed(what: string, err: unknown): GatewayError {
    // Our own refusals (a gap, a forged chunk, no such recording) pass through as they are.
    if (err instanceof GatewayError) return err;
    const reason = describeError(err);
    if (isConnectionError(err)) {
      if (this.down === undefined) this.log.warn({ store: this.where, error: reason }, 'PostgreSQL store unreachable');
      this.down = reason;
    }
    return new StoreError(`PostgreSQL store ${this.where}: ${what} failed: ${reason}`, { cause: err });
  }
}

/** PostgreSQL's message with its SQLSTATE, or the socket's error. */
export function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const message = e?.message || String(err);
  return typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? `${message} (SQLSTATE ${e.code})` : message;
}

/**
 * Errors that mean the server or the connection is gone rather than a
 * refused statement: socket errors, connection exceptions (08xxx), admin
 * shutdown and cancel (57P01..57P03), and the driver's own words.
 */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  if (/^(08|57P0)/.test(code) || /^E[A-Z]+$/.test(code)) return true;
  const message = (err as Error)?.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}
