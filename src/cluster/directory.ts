/**
 * The operators' side of the cluster (`recgate sessions` with
 * `store.kind: postgres`): every node's live sessions from `cluster_sessions`,
 * and a terminate queued in `cluster_commands` for the node that holds the
 * session, answered only once that node confirms (or a clear error naming the
 * node: dead, or no confirmation within the wait).
 */
import type { Pool } from 'pg';
import type { ControlResponse, LockRequest } from '../daemon/control.js';
import { GatewayError, NotFoundError, type ErrorCode } from '../errors.js';
import type { SessionInfo } from '../session/registry.js';
import { CLUSTER_CHANNEL } from './schema.js';
import { Wakeups } from './wakeups.js';
import type { Secret } from '../config/secret.js';
import type { Logger } from '../log.js';

export interface ClusterSessionInfo extends SessionInfo {
  /** The node that holds the session. */
  node: string;
  /** False when the node's heartbeat lapsed past the timeout (it may be dead; the others will take it over). */
  nodeAlive: boolean;
}

interface SessionRow {
  id: string;
  recording_id: string | null;
  node_id: string;
  user_name: string;
  target: string;
  protocol: string;
  client_address: string;
  started_at: Date;
  idle_ms: number;
  alive: boolean;
}

/** Every node's live sessions, oldest first. */
export async function listClusterSessions(pool: Pool, heartbeatTimeoutMs: number): Promise<ClusterSessionInfo[]> {
  const r = await pool.query<SessionRow>(
    `SELECT s.id, s.recording_id, s.node_id, s.user_name, s.target, s.protocol, s.client_address, s.started_at,
            greatest(0, extract(epoch FROM now() - s.last_input_at) * 1000)::double precision AS idle_ms,
            coalesce(n.heartbeat_at >= now() - make_interval(secs => $1::double precision / 1000) AND n.stopped_at IS NULL, false) AS alive
     FROM cluster_sessions s LEFT JOIN cluster_nodes n ON n.node_id = s.node_id
     ORDER BY s.started_at, s.id`,
    [heartbeatTimeoutMs],
  );
  return r.rows.map((row) => ({
    id: row.id,
    user: row.user_name,
    target: row.target,
    protocol: row.protocol,
    clientAddress: row.client_address,
    startedAt: row.started_at.toISOString(),
    recording: row.recording_id !== null,
    idleMs: Math.round(row.idle_ms),
    node: row.node_id,
    nodeAlive: row.alive,
  }));
}

export interface TerminateRequest {
  id: string;
  message: string;
  lock?: LockRequest;
  /** Who asks (the operator's account), for the holding node's log. */
  by: string;
  /** How long to wait for the holding node's confirmation. */
  timeoutMs: number;
}

/** How often the queued request's row is read while waiting (the NOTIFY usually answers first). */
const POLL_MS = 250;

/**
 * Queues a terminate for the node holding the session and waits for its
 * answer. Resolves with the node's successful response and its id; throws its
 * error, or a timeout naming the node (the request is withdrawn first when the
 * node has not taken it, so it is never carried out late).
 */
export function terminateInCluster(pool: Pool, url: Secret, heartbeatTimeoutMs: number, request: TerminateRequest, log: Logger): Promise<NodeAnswer> {
  const body = { message: request.message, by: request.by, ...(request.lock ? { lock: request.lock } : {}) };
  return askHoldingNode(pool, url, heartbeatTimeoutMs, { op: 'terminate', id: request.id, body, timeoutMs: request.timeoutMs, what: 'terminate' }, log);
}

/** Shows the person in session `id` a message, through the node that holds it. */
export function messageInCluster(pool: Pool, url: Secret, heartbeatTimeoutMs: number, request: { id: string; text: string; by: string; timeoutMs: number }, log: Logger): Promise<NodeAnswer> {
  return askHoldingNode(pool, url, heartbeatTimeoutMs, { op: 'message', id: request.id, body: { text: request.text, by: request.by }, timeoutMs: request.timeoutMs, what: 'show a message in' }, log);
}

export interface NodeAnswer {
  node: string;
  response: Extract<ControlResponse, { ok: true }>;
}

interface Ask {
  op: 'terminate' | 'message';
  id: string;
  body: Record<string, unknown>;
  timeoutMs: number;
  /** For errors: "the request to <what> <id>". */
  what: string;
}

async function askHoldingNode(pool: Pool, url: Secret, heartbeatTimeoutMs: number, ask: Ask, log: Logger): Promise<NodeAnswer> {
  const held = (await listClusterSessions(pool, heartbeatTimeoutMs)).find((s) => s.id === ask.id);
  if (!held) throw new NotFoundError(`no live session ${ask.id} on any node`);
  if (!held.nodeAlive) throw new GatewayError('RG_ERR_STORE', `session ${ask.id} is held by node ${held.node}, which has not sent a heartbeat within store.heartbeatTimeout (it may be dead; its sessions are taken over once that is certain)`);
  let wake: () => void = () => undefined;
  let commandId: string | undefined;
  const wakeups = new Wakeups(url, log, (payload) => {
    if (payload === `done:${commandId}`) wake();
  });
  try {
    await wakeups.ensure();
    const inserted = await pool.query<{ id: string }>(`INSERT INTO cluster_commands (node_id, session_id, op, body) VALUES ($1, $2, $3, $4) RETURNING id`, [held.node, ask.id, ask.op, JSON.stringify(ask.body)]);
    commandId = inserted.rows[0]!.id;
    await pool.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, `command:${held.node}`]);
    const deadline = Date.now() + ask.timeoutMs;
    for (;;) {
      const row = await pool.query<{ outcome: ControlResponse | null }>('SELECT outcome FROM cluster_commands WHERE id = $1', [commandId]);
      const outcome = row.rows[0]?.outcome;
      if (outcome) return { node: held.node, response: answered(outcome, held.node) };
      if (Date.now() >= deadline) throw await withdraw(pool, commandId, held.node, ask);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    await wakeups.close();
  }
}

function answered(outcome: ControlResponse, node: string): Extract<ControlResponse, { ok: true }> {
  if (outcome.ok) return outcome;
  const message = `node ${node}: ${outcome.error}`;
  if (outcome.code === 'RG_ERR_NOT_FOUND') throw new NotFoundError(message);
  throw new GatewayError(outcome.code as ErrorCode, message);
}

/** The error for a request not confirmed in time; an untaken request is withdrawn so that it never runs late. */
async function withdraw(pool: Pool, id: string, node: string, ask: Ask): Promise<GatewayError> {
  const seconds = Math.round(ask.timeoutMs / 1000);
  const withdrawn = await pool.query(`UPDATE cluster_commands SET done_at = now(), outcome = $2 WHERE id = $1 AND taken_at IS NULL AND done_at IS NULL`, [
    id,
    JSON.stringify({ ok: false, code: 'RG_ERR_PROTOCOL', error: 'withdrawn: not taken in time' }),
  ]);
  if ((withdrawn.rowCount ?? 0) > 0) {
    return new GatewayError('RG_ERR_PROTOCOL', `node ${node} did not take the request to ${ask.what} ${ask.id} within ${seconds} s; the request was withdrawn`);
  }
  return new GatewayError('RG_ERR_PROTOCOL', `node ${node} took the request to ${ask.what} ${ask.id} but did not confirm within ${seconds} s`);
}
