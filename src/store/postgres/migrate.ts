/**
 * Versioned schema migrations for the PostgreSQL store and the node registry.
 *
 * Each component (`store`, `cluster`, ...) keeps its own version in
 * `recgate_schema`; its steps are SQL scripts applied in order, each in its
 * own transaction with the version bump, under an advisory lock so that
 * several nodes starting at once migrate one after the other. A database
 * newer than this recgate (more steps applied than it knows) is refused.
 */
import type { Pool, PoolClient } from 'pg';
import { GatewayError } from '../../errors.js';

/** pg_advisory_xact_lock key held while migrating ("recgate" as a number). */
const MIGRATION_LOCK = 0x7265_6367;

export async function migrate(pool: Pool, component: string, steps: readonly string[]): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    let from = -1;
    for (;;) {
      const done = await inTransaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query('CREATE TABLE IF NOT EXISTS recgate_schema (component text PRIMARY KEY, version integer NOT NULL)');
        const row = await client.query<{ version: number }>('SELECT version FROM recgate_schema WHERE component = $1', [component]);
        const version = row.rows[0]?.version ?? 0;
        if (from < 0) from = version;
        if (version > steps.length) {
          throw new GatewayError('RG_ERR_STORE', `the database's ${component} schema is version ${version}, newer than this recgate knows (${steps.length}): upgrade recgate`);
        }
        if (version === steps.length) return true;
        await client.query(steps[version]!);
        await client.query(
          'INSERT INTO recgate_schema (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version',
          [component, version + 1],
        );
        return false;
      });
      if (done) return { from, to: steps.length };
    }
  } finally {
    client.release();
  }
}

export async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
