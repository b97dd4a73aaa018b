/**
 * The holding node's side of requests queued in `cluster_commands`: a node
 * takes the rows waiting for it (FOR UPDATE SKIP LOCKED, so a row is taken
 * once), acts on them exactly as on the same control-socket request, and
 * writes the outcome back with a NOTIFY `done:<id>` for the waiting CLI.
 *
 * A queue table rather than NOTIFY alone: a notification sent while the node
 * is momentarily disconnected is lost, a row is not. The node finds it at its
 * next heartbeat at the latest; the NOTIFY only wakes it sooner.
 */
import type { Pool } from 'pg';
import { terminate, type Controlled, type ControlResponse } from '../daemon/control.js';
import type { Logger } from '../log.js';
import { CLUSTER_CHANNEL } from './schema.js';

export type CommandTarget = Pick<Controlled, 'sessions' | 'locks'>;

interface CommandRow {
  id: string;
  session_id: string;
  op: string;
  body: Record<string, unknown>;
}

export class CommandTaker {
  private running: Promise<void> = Promise.resolve();
  private again = false;
  private busy = false;

  constructor(
    private readonly pool: Pool,
    private readonly nodeId: string,
    private readonly gateway: CommandTarget,
    private readonly log: Logger,
  ) {}

  /** Requests a previous run of this node left untaken or unanswered: failed, never acted on late. */
  static async abandonPrevious(pool: Pool, nodeId: string, log: Logger): Promise<void> {
    const r = await pool.query(`UPDATE cluster_commands SET done_at = now(), outcome = $2 WHERE node_id = $1 AND done_at IS NULL`, [
      nodeId,
      JSON.stringify({ ok: false, code: 'RG_ERR_NOT_FOUND', error: `node ${nodeId} restarted before it answered` }),
    ]);
    if ((r.rowCount ?? 0) > 0) log.warn({ requests: r.rowCount }, 'cluster: requests left unanswered by a previous run of this node failed');
  }

  /** Takes and runs every request waiting for this node; calls during a run make it look again afterwards. */
  takeWaiting(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return this.running;
    }
    this.busy = true;
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.takeOnce();
        } while (this.again);
      } catch (err) {
        this.log.warn({ error: (err as Error).message }, 'cluster: cannot read the request queue; retrying at the next heartbeat');
      } finally {
        this.busy = false;
      }
    })();
    return this.running;
  }

  /** Resolves once no request is being run. */
  idle(): Promise<void> {
    return this.running;
  }

  private async takeOnce(): Promise<void> {
    const taken = await this.pool.query<CommandRow>(
      `UPDATE cluster_commands SET taken_at = now()
       WHERE id IN (SELECT id FROM cluster_commands WHERE node_id = $1 AND taken_at IS NULL AND done_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED)
       RETURNING id, session_id, op, body`,
      [this.nodeId],
    );
    // Each request runs on its own: a terminate waits for the session's recording to end.
    await Promise.all(taken.rows.map((row) => this.run(row)));
  }

  private async run(row: CommandRow): Promise<void> {
    const log = this.log.child({ request: row.id, session: row.session_id });
    let outcome: ControlResponse;
    if (row.op === 'terminate') {
      log.info({ by: row.body.by }, 'cluster: terminate requested from another node');
      outcome = await terminate({ ...row.body, id: row.session_id }, this.gateway, log).catch((err: Error) => ({ ok: false as const, code: 'RG_ERR_PROTOCOL' as const, error: err.message }));
    } else if (row.op === 'message') {
      const text = typeof row.body.text === 'string' ? row.body.text : '';
      const by = typeof row.body.by === 'string' ? row.body.by : 'operator';
      const shown = text === '' ? undefined : this.gateway.sessions.message(row.session_id, text, by);
      outcome = shown ? { ok: true } : { ok: false, code: 'RG_ERR_NOT_FOUND', error: `no live session ${row.session_id}` };
      if (shown) log.info({ by }, 'cluster: message shown at the request of another node');
    } else {
      outcome = { ok: false, code: 'RG_ERR_USAGE', error: `unknown request ${JSON.stringify(row.op).slice(0, 40)}` };
    }
    try {
      await this.pool.query(`UPDATE cluster_commands SET done_at = now(), outcome = $2 WHERE id = $1`, [row.id, JSON.stringify(outcome)]);
      await this.pool.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, `done:${row.id}`]);
    } catch (err) {
      log.error({ error: (err as Error).message, outcome }, 'cluster: the request was carried out but its answer cannot be written; the requester will time out');
    }
  }
}
