/**
 * The PostgreSQL store's tables (component `store` of recgate_schema).
 * Steps are applied in order by migrate(); add new steps at the end only.
 *
 *   recordings      one row per recording: the clear, searchable metadata,
 *                   status and end, bytes as of the last checkpoint, the
 *                   node that writes it, and the manifest's JSON without
 *                   its recipients and streams (those have their own tables)
 *   recording_keys  the record key sealed per recipient, in manifest order:
 *                   crypto-shredding a recording is one DELETE here
 *   streams         the stream table of each recording, with the next chunk
 *                   index and the ciphertext bytes held (appends lock the row)
 *   checkpoints     signed checkpoints as the gateway wrote them (json keeps
 *                   the text), in seq order
 *   chunks          sealed chunk bodies, (recording, stream, idx) unique
 *   gateway_log     the gateway's signed, hash-chained log, one row per entry
 *
 * Times are timestamptz(3): recgate writes millisecond ISO times, and a
 * summary's startedAt must page back to the very row it came from.
 */
export const STORE_STEPS: readonly string[] = [
  `
  CREATE TABLE recordings (
    id text PRIMARY KEY,
    "user" text NOT NULL,
    target text NOT NULL,
    protocol text NOT NULL,
    client_address text NOT NULL,
    started_at timestamptz(3) NOT NULL,
    ended_at timestamptz(3),
    bytes bigint NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('recording', 'complete', 'interrupted')),
    end_reason text,
    recipients text[] NOT NULL,
    node_id text NOT NULL,
    manifest json NOT NULL
  );
  CREATE INDEX recordings_started ON recordings (started_at, id);
  CREATE INDEX recordings_user ON recordings ("user", started_at, id);
  CREATE INDEX recordings_target ON recordings (target, started_at, id);
  CREATE INDEX recordings_protocol ON recordings (protocol, started_at, id);
  CREATE INDEX recordings_status ON recordings (status, started_at, id);
  CREATE INDEX recordings_live ON recordings (node_id) WHERE status = 'recording';

  CREATE TABLE recording_keys (
    recording text NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    position integer NOT NULL,
    kid text NOT NULL,
    name text,
    sealed_key text NOT NULL,
    PRIMARY KEY (recording, position)
  );

  CREATE TABLE streams (
    recording text NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    id integer NOT NULL,
    position integer NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    channel integer NOT NULL,
    nonce_prefix text NOT NULL,
    next_index integer NOT NULL DEFAULT 0,
    bytes bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (recording, id)
  );

  CREATE TABLE checkpoints (
    recording text NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    body json NOT NULL,
    PRIMARY KEY (recording, seq)
  );

  CREATE TABLE chunks (
    recording text NOT NULL,
    stream integer NOT NULL,
    idx integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (recording, stream, idx),
    FOREIGN KEY (recording, stream) REFERENCES streams (recording, id) ON DELETE CASCADE
  );
  ALTER TABLE chunks ALTER COLUMN data SET STORAGE EXTERNAL;

  CREATE TABLE gateway_log (
    seq bigint PRIMARY KEY,
    recording text NOT NULL,
    kind text NOT NULL,
    entry json NOT NULL
  );
  CREATE INDEX gateway_log_recording ON gateway_log (recording, seq);
  `,
];

/** The NOTIFY channel that announces chunks (payload: see ChunkNotice). */
export const CHUNKS_CHANNEL = 'recgate_chunks';

/** pg_advisory_xact_lock key held while appending to the gateway log ("rglg"). */
export const LOG_LOCK = 0x7267_6c67;
