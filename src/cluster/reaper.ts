/**
 * Taking over dead nodes. A node whose heartbeat is older than
 * `store.heartbeatTimeout` (on the database's clock) is claimed by exactly one
 * live node: the claim is one `UPDATE ... WHERE` on the dead node's row, which
 * PostgreSQL's row lock makes race-free (a second claimer re-reads the row
 * after the first commits and no longer matches). The claimer marks the dead
 * node's open recordings interrupted through the store (each entered in the
 * gateway's log first, as at start), removes its live sessions, fails the
 * requests still queued for it, and logs it. A claim that is not finished
 * within the timeout (the claimer died too) lapses and another node claims.
 */
import type { Pool } from 'pg';
import type { Logger } from '../log.js';
import type { InterruptedRecording } from '../store/types.js';

/** Marks other nodes' recordings interrupted: the store's recoverNodes, with the gateway log's entry first. */
export interface Recoverer {
  recoverNodes(nodeIds: string[]): Promise<string[]>;
}

/** A store that can recover other nodes' recordings (the PostgreSQL store). */
export interface NodeRecoveringStore {
  recoverNodes(nodeIds: string[], beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]>;
}

export function storeRecoverer(store: object, beforeMark: (found: InterruptedRecording) => Promise<void>, log: Logger): Recoverer {
  const recovering = store as Partial<NodeRecoveringStore>;
  return {
    recoverNodes: async (nodeIds) => {
      if (typeof recovering.recoverNodes !== 'function') {
        log.error({ nodes: nodeIds }, 'cluster: this store cannot recover other nodes\' recordings; they stay open until those nodes restart');
        return [];
      }
      return recovering.recoverNodes(nodeIds, beforeMark);
    },
  };
}

/** Finished requests are kept this long for operators to read, then removed. */
const KEEP_DONE_COMMANDS_MS = 60 * 60 * 1000;

export class Reaper {
  constructor(
    private readonly pool: Pool,
    private readonly nodeId: string,
    private readonly timeoutMs: number,
    private readonly recoverer: Recoverer,
    private readonly log: Logger,
  ) {}

  /** Claims and takes over every node whose heartbeat lapsed; returns the nodes taken over. */
  async reap(): Promise<string[]> {
    const claimed = await this.pool.query<{ node_id: string; heartbeat_at: Date }>(
      `UPDATE cluster_nodes SET claimed_by = $1, claimed_at = now()
       WHERE node_id <> $1 AND stopped_at IS NULL AND dead_at IS NULL
         AND heartbeat_at < now() - make_interval(secs => $2::double precision / 1000)
         AND (claimed_by IS NULL OR claimed_at < now() - make_interval(secs => $2::double precision / 1000))
       RETURNING node_id, heartbeat_at`,
      [this.nodeId, this.timeoutMs],
    );
    const taken: string[] = [];
    for (const row of claimed.rows) {
      if (await this.takeOver(row.node_id, row.heartbeat_at)) taken.push(row.node_id);
    }
    await this.pool.query(`DELETE FROM cluster_commands WHERE done_at < now() - make_interval(secs => $1::double precision / 1000)`, [KEEP_DONE_COMMANDS_MS]);
    return taken;
  }

  private async takeOver(dead: string, lastHeartbeat: Date): Promise<boolean> {
    const log = this.log.child({ deadNode: dead });
    log.warn({ lastHeartbeat: lastHeartbeat.toISOString(), heartbeatTimeout: this.timeoutMs }, 'cluster: node missed its heartbeats past store.heartbeatTimeout: taking it for dead');
    let recordings: string[];
    try {
      recordings = await this.recoverer.recoverNodes([dead]);
    } catch (err) {
      // The claim lapses after the timeout and the recovery is tried again (by this node or another).
      log.error({ err }, 'cluster: cannot mark the dead node\'s recordings interrupted; trying again after store.heartbeatTimeout');
      return false;
    }
    const sessions = await this.pool.query<{ id: string }>('DELETE FROM cluster_sessions WHERE node_id = $1 RETURNING id', [dead]);
    await this.pool.query(
      `UPDATE cluster_commands SET done_at = now(), outcome = $2 WHERE node_id = $1 AND done_at IS NULL`,
      [dead, JSON.stringify({ ok: false, code: 'RG_ERR_NOT_FOUND', error: `node ${dead} is dead (no heartbeat since ${lastHeartbeat.toISOString()})` })],
    );
    const marked = await this.pool.query(`UPDATE cluster_nodes SET dead_at = now() WHERE node_id = $1 AND claimed_by = $2`, [dead, this.nodeId]);
    if (marked.rowCount === 0) log.warn('cluster: the node came back while it was being taken over');
    log.warn(
      { recordings, sessions: sessions.rows.map((r) => r.id) },
      'cluster: dead node taken over: its open recordings marked interrupted (complete when their final checkpoint was written), its live sessions removed',
    );
    return true;
  }
}
