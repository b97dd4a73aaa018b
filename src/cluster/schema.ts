/**
 * The node registry's tables in the shared PostgreSQL database (migration
 * component `cluster`; steps are only ever added at the end).
 *
 *   cluster_nodes     one row per gateway node: its listen addresses, when it
 *                     started, its last heartbeat (the database's clock, so
 *                     nodes' clocks never have to agree), when it stopped
 *                     cleanly, and which node claimed it as dead and when.
 *   cluster_sessions  the live sessions of every node, as `sessions list` shows
 *                     them, plus the node; last_input_at is refreshed with
 *                     each heartbeat so idle times are seen from any node.
 *   cluster_commands  the queue of requests to the node that holds a session
 *                     (terminate): a row waits until that node takes it, and
 *                     the node writes the outcome back into it. A NOTIFY on
 *                     `recgate_cluster` only wakes the parties up sooner; a
 *                     node or CLI that missed it finds the row at its next poll.
 */
export const CLUSTER_COMPONENT = 'cluster';

/** Wake-up channel: payload `command:<node id>` (new command for that node) or `done:<command id>`. */
export const CLUSTER_CHANNEL = 'recgate_cluster';

export const CLUSTER_STEPS: readonly string[] = [
  `CREATE TABLE cluster_nodes (
     node_id        text PRIMARY KEY,
     addresses      jsonb NOT NULL DEFAULT '{}'::jsonb,
     started_at     timestamptz NOT NULL,
     heartbeat_at   timestamptz NOT NULL,
     stopped_at     timestamptz,
     claimed_by     text,
     claimed_at     timestamptz,
     dead_at        timestamptz
   );
   CREATE TABLE cluster_sessions (
     id             text PRIMARY KEY,
     recording_id   text,
     node_id        text NOT NULL,
     user_name      text NOT NULL,
     target         text NOT NULL,
     protocol       text NOT NULL,
     client_address text NOT NULL,
     started_at     timestamptz NOT NULL,
     last_input_at  timestamptz NOT NULL
   );
   CREATE INDEX cluster_sessions_node ON cluster_sessions (node_id);
   CREATE TABLE cluster_commands (
     id             bigserial PRIMARY KEY,
     node_id        text NOT NULL,
     session_id     text NOT NULL,
     op             text NOT NULL,
     body           jsonb NOT NULL,
     requested_at   timestamptz NOT NULL DEFAULT now(),
     taken_at       timestamptz,
     done_at        timestamptz,
     outcome        jsonb
   );
   CREATE INDEX cluster_commands_waiting ON cluster_commands (node_id) WHERE taken_at IS NULL;`,
];
