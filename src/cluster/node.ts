/**
 * This gateway as a node of a cluster sharing one PostgreSQL database: it
 * registers itself, beats its heart every `store.heartbeatInterval`, keeps its
 * live sessions in `cluster_sessions` (at once when they open and end, and in
 * full with each heartbeat, so the table heals after the database was
 * unreachable), takes the requests other nodes queue for it, and takes over
 * nodes whose heartbeat lapsed (reaper.ts).
 *
 * Heartbeats and deadlines are compared on the database's clock, never the
 * nodes': only one clock matters.
 */
import type { Pool } from 'pg';
import type { Config } from '../config/index.js';
import type { Secret } from '../config/secret.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Session } from '../session/session.js';
import { openPool } from '../store/postgres/pool.js';
import { migrate } from '../store/postgres/migrate.js';
import { CommandTaker, type CommandTarget } from './commands.js';
import { listClusterSessions, messageInCluster, terminateInCluster, type ClusterSessionInfo, type NodeAnswer } from './directory.js';
import { Reaper, type Recoverer } from './reaper.js';
import { CLUSTER_COMPONENT, CLUSTER_STEPS } from './schema.js';
import { Wakeups } from './wakeups.js';

/** What the node needs of the gateway. */
export interface ClusterGateway extends CommandTarget {
  readonly log: Logger;
  /** Calls `listener` with each session the gateway opens; returns the unsubscribe. */
  onSessionOpened(listener: (session: Session) => void): () => void;
  liveSessions(): Session[];
}

/** How long the console waits for the holding node to confirm a terminate or a message. */
const ANSWER_TIMEOUT_MS = 30_000;

/** Longest a restarting node waits for another node that is recovering its previous run. */
const CLAIM_WAIT_POLL_MS = 200;

export class ClusterNode {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private unsubscribe: () => void = () => undefined;
  private declaredDead = false;
  /** False until the node registered (the database was unreachable at start). */
  private joined = false;

  private constructor(
    readonly nodeId: string,
    private readonly pool: Pool,
    private readonly gateway: ClusterGateway,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly commands: CommandTaker,
    private readonly reaper: Reaper,
    private readonly wakeups: Wakeups,
    private readonly url: Secret,
  ) {}

  /** Every node's live sessions, oldest first (the console lists them). */
  sessions(): Promise<ClusterSessionInfo[]> {
    return listClusterSessions(this.pool, this.config.store.heartbeatTimeout);
  }

  /** Terminates a session held by any node; resolves once that node confirmed. */
  terminate(id: string, message: string, by: string): Promise<NodeAnswer> {
    return terminateInCluster(this.pool, this.url, this.config.store.heartbeatTimeout, { id, message, by, timeoutMs: ANSWER_TIMEOUT_MS }, this.log);
  }

  /** Shows the person in a session held by any node a message; resolves once that node confirmed. */
  message(id: string, text: string, by: string): Promise<NodeAnswer> {
    return messageInCluster(this.pool, this.url, this.config.store.heartbeatTimeout, { id, text, by, timeoutMs: ANSWER_TIMEOUT_MS }, this.log);
  }

  /**
   * Registers the node (see register; its recordings are the store's
   * recoverInterrupted's) and starts the heartbeat. An unreachable database
   * does not stop the gateway: the node registers at the first heartbeat
   * that reaches it.
   */
  static async start(gateway: ClusterGateway, recoverer: Recoverer, config: Config, rootLog: Logger): Promise<ClusterNode> {
    const store = config.store;
    if (store.kind !== 'postgres') throw new Error('the cluster needs store.kind postgres');
    const nodeId = config.gateway.nodeId;
    const log = rootLog.child({ component: 'cluster', node: nodeId });
    if (store.heartbeatTimeout < 3 * store.heartbeatInterval) {
      log.warn(
        { heartbeatInterval: store.heartbeatInterval, heartbeatTimeout: store.heartbeatTimeout },
        'cluster: store.heartbeatTimeout is less than three heartbeat intervals: a node that misses one or two beats (a slow database, a pause) will be taken for dead',
      );
    }
    const pool = openPool(store.url, log, { max: 4, applicationName: `recgate-cluster ${nodeId}` });
    let joined: boolean;
    try {
      await register(pool, nodeId, config, log);
      joined = true;
    } catch (err) {
      // A schema newer than this recgate is for the operator to fix; an unreachable database is waited for.
      if (err instanceof GatewayError) {
        await pool.end().catch(() => undefined);
        throw err;
      }
      log.error({ error: (err as Error).message }, "cluster: cannot register this node in the store's database; its sessions are listed for the other nodes once it is reachable (retrying every heartbeat)");
      joined = false;
    }
    const commands = new CommandTaker(pool, nodeId, gateway, log);
    const reaper = new Reaper(pool, nodeId, store.heartbeatTimeout, recoverer, log);
    const wakeups = new Wakeups(store.url, log, (payload) => {
      if (payload === `command:${nodeId}`) void commands.takeWaiting();
    }, `recgate-cluster ${nodeId}`);
    const node = new ClusterNode(nodeId, pool, gateway, config, log, commands, reaper, wakeups, store.url);
    node.joined = joined;
    if (joined) {
      await wakeups.ensure();
      log.info({ heartbeatInterval: store.heartbeatInterval, heartbeatTimeout: store.heartbeatTimeout }, 'cluster: node registered');
    }
    node.unsubscribe = gateway.onSessionOpened((session) => node.track(session));
    for (const session of gateway.liveSessions()) node.track(session);
    node.schedule();
    return node;
  }

  /** Lists the session now and removes it when it ends; failures wait for the next heartbeat's full sync. */
  private track(session: Session): void {
    if (session.ended || !this.joined) return;
    const listed = this.pool
      .query(
        `INSERT INTO cluster_sessions (id, recording_id, node_id, user_name, target, protocol, client_address, started_at, last_input_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() - make_interval(secs => $9::double precision / 1000))
         ON CONFLICT (id) DO UPDATE SET node_id = EXCLUDED.node_id, last_input_at = EXCLUDED.last_input_at`,
        [session.id, session.recording ? session.id : null, this.nodeId, session.user, session.target.name, session.protocol, session.clientAddress, session.startedAt, session.idleMs()],
      )
      .catch((err: Error) => this.log.warn({ session: session.id, error: err.message }, 'cluster: cannot list the session yet; the next heartbeat retries'));
    session.once('ended', () => {
      void listed.then(() =>
        this.pool
          .query('DELETE FROM cluster_sessions WHERE id = $1 AND node_id = $2', [session.id, this.nodeId])
          .catch((err: Error) => this.log.warn({ session: session.id, error: err.message }, 'cluster: cannot unlist the ended session yet; the next heartbeat retries')),
      );
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule());
    }, this.config.store.heartbeatInterval);
    this.timer.unref();
  }

  /** One heartbeat: say alive, sync the sessions, take waiting requests, look for dead nodes. */
  private async tick(): Promise<void> {
    try {
      if (!this.joined) {
        await register(this.pool, this.nodeId, this.config, this.log);
        this.joined = true;
        this.log.info('cluster: node registered (the database is reachable again)');
      }
      await this.beat();
      await this.syncSessions();
      await this.wakeups.ensure();
      await this.commands.takeWaiting();
      await this.reaper.reap();
    } catch (err) {
      this.log.warn({ error: (err as Error).message }, 'cluster: heartbeat failed; retrying at the next interval');
    }
  }

  private async beat(): Promise<void> {
    const r = await this.pool.query<{ claimed_by: string | null }>(
      `UPDATE cluster_nodes SET heartbeat_at = now(), claimed_by = NULL, claimed_at = NULL, dead_at = NULL
       WHERE node_id = $1 RETURNING (SELECT claimed_by FROM cluster_nodes WHERE node_id = $1) AS claimed_by`,
      [this.nodeId],
    );
    const claimedBy = r.rows[0]?.claimed_by;
    if (r.rowCount === 0) {
      await this.pool.query(
        `INSERT INTO cluster_nodes (node_id, addresses, started_at, heartbeat_at) VALUES ($1, $2, now(), now()) ON CONFLICT (node_id) DO NOTHING`,
        [this.nodeId, JSON.stringify(listenAddresses(this.config))],
      );
    }
    if (claimedBy && !this.declaredDead) {
      this.declaredDead = true;
      this.log.error(
        { claimedBy },
        'cluster: another node took this one for dead (its heartbeat lapsed past store.heartbeatTimeout) and marked its open recordings interrupted; raise heartbeatTimeout if this node pauses that long',
      );
    } else if (!claimedBy) this.declaredDead = false;
  }

  /** Makes this node's rows exactly its live sessions, with current idle times. */
  private async syncSessions(): Promise<void> {
    const live = this.gateway.liveSessions().filter((s) => !s.ended);
    await this.pool.query(
      `WITH live AS (
         SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::double precision[])
           AS l(id, recording_id, user_name, target, protocol, client_address, started_at, idle_ms)
       ), gone AS (
         DELETE FROM cluster_sessions c WHERE c.node_id = $1 AND NOT EXISTS (SELECT 1 FROM live WHERE live.id = c.id)
       )
       INSERT INTO cluster_sessions (id, recording_id, node_id, user_name, target, protocol, client_address, started_at, last_input_at)
       SELECT id, recording_id, $1, user_name, target, protocol, client_address, started_at, now() - make_interval(secs => idle_ms / 1000) FROM live
       ON CONFLICT (id) DO UPDATE SET node_id = EXCLUDED.node_id, last_input_at = EXCLUDED.last_input_at`,
      [
        this.nodeId,
        live.map((s) => s.id),
        live.map((s) => (s.recording ? s.id : null)),
        live.map((s) => s.user),
        live.map((s) => s.target.name),
        live.map((s) => s.protocol),
        live.map((s) => s.clientAddress),
        live.map((s) => s.startedAt),
        live.map((s) => s.idleMs()),
      ],
    );
  }

  /** Stops the heartbeat and leaves the cluster cleanly: no sessions listed, marked stopped (never taken for dead). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe();
    await this.ticking;
    await this.commands.idle();
    if (!this.joined) {
      await this.pool.end().catch(() => undefined);
      return;
    }
    try {
      await this.pool.query('DELETE FROM cluster_sessions WHERE node_id = $1', [this.nodeId]);
      await this.pool.query('UPDATE cluster_nodes SET stopped_at = now(), heartbeat_at = now() WHERE node_id = $1', [this.nodeId]);
      this.log.info('cluster: node left the cluster');
    } catch (err) {
      this.log.warn({ error: (err as Error).message }, 'cluster: cannot mark this node stopped; the others will take it for dead after store.heartbeatTimeout');
    }
    await this.wakeups.close();
    await this.pool.end().catch(() => undefined);
  }
}

/** The node's listeners as "proto": "host:port", for operators reading cluster_nodes. */
function listenAddresses(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, at] of Object.entries(config.listen)) if (at) out[name] = `${at.host}:${at.port}`;
  return out;
}

/**
 * Migrates the cluster tables, clears what this node id left behind (sessions
 * and requests of a previous run) and registers the node as started now.
 */
async function register(pool: Pool, nodeId: string, config: Config, log: Logger): Promise<void> {
  const { from, to } = await migrate(pool, CLUSTER_COMPONENT, CLUSTER_STEPS);
  if (from !== to) log.info({ from, to }, 'cluster schema migrated');
  await waitForClaim(pool, nodeId, config.store.heartbeatTimeout, log);
  const left = await pool.query('DELETE FROM cluster_sessions WHERE node_id = $1', [nodeId]);
  if ((left.rowCount ?? 0) > 0) log.warn({ sessions: left.rowCount }, 'cluster: removed the live sessions a previous run of this node left listed');
  await CommandTaker.abandonPrevious(pool, nodeId, log);
  await pool.query(
    `INSERT INTO cluster_nodes (node_id, addresses, started_at, heartbeat_at) VALUES ($1, $2, now(), now())
     ON CONFLICT (node_id) DO UPDATE SET addresses = EXCLUDED.addresses, started_at = now(), heartbeat_at = now(),
       stopped_at = NULL, claimed_by = NULL, claimed_at = NULL, dead_at = NULL`,
    [nodeId, JSON.stringify(listenAddresses(config))],
  );
}

/**
 * A node restarting under its id while another node recovers its previous run
 * waits for that recovery to finish (or its claim to lapse), so the recovery
 * never touches the recordings of the new run.
 */
async function waitForClaim(pool: Pool, nodeId: string, timeoutMs: number, log: Logger): Promise<void> {
  let logged = false;
  for (;;) {
    const r = await pool.query<{ claimed_by: string }>(
      `SELECT claimed_by FROM cluster_nodes WHERE node_id = $1 AND claimed_by IS NOT NULL AND dead_at IS NULL
         AND claimed_at > now() - make_interval(secs => $2::double precision / 1000)`,
      [nodeId, timeoutMs],
    );
    const by = r.rows[0]?.claimed_by;
    if (!by) return;
    if (!logged) log.warn({ claimedBy: by }, 'cluster: another node is recovering the previous run of this node; waiting for it to finish');
    logged = true;
    await new Promise((resolve) => setTimeout(resolve, CLAIM_WAIT_POLL_MS));
  }
}
