/**
 * `recgate sessions list | terminate` when the gateways share a PostgreSQL
 * store: the sessions of every node, and a terminate carried to the node that
 * holds the session (src/cluster/directory.ts), over a pool opened for the
 * command and closed after it.
 */
import type { Pool } from 'pg';
import { listClusterSessions, terminateInCluster, type ClusterSessionInfo, type TerminateRequest } from '../cluster/directory.js';
import type { Config } from '../config/index.js';
import { GatewayError } from '../errors.js';
import { silentLogger } from '../log.js';
import { describeUrl, openPool } from '../store/postgres/pool.js';
import type { ControlResponse } from '../daemon/control.js';

export async function listAllNodes(config: Config): Promise<ClusterSessionInfo[]> {
  return withPool(config, (pool) => listClusterSessions(pool, config.store.heartbeatTimeout));
}

export async function terminateOnNode(config: Config, request: TerminateRequest): Promise<{ node: string; response: Extract<ControlResponse, { ok: true }> }> {
  const store = config.store;
  if (store.kind !== 'postgres') throw new Error('terminateOnNode needs store.kind postgres');
  return withPool(config, (pool) => terminateInCluster(pool, store.url, store.heartbeatTimeout, request, silentLogger()));
}

async function withPool<T>(config: Config, work: (pool: Pool) => Promise<T>): Promise<T> {
  const store = config.store;
  if (store.kind !== 'postgres') throw new Error('needs store.kind postgres');
  const pool = openPool(store.url, silentLogger(), { max: 2, applicationName: 'recgate-cli' });
  try {
    return await work(pool);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    const e = err as NodeJS.ErrnoException;
    // The table is missing until a node has started once against this database.
    if ((e as { code?: string }).code === '42P01') throw new GatewayError('RG_ERR_STORE', `no gateway node has registered in the store ${describeUrl(store.url)} yet (start one with recgate start)`);
    throw new GatewayError('RG_ERR_STORE', `cannot read the live sessions from the store ${describeUrl(store.url)}: ${e.message}`, { cause: err });
  } finally {
    await pool.end().catch(() => undefined);
  }
}
