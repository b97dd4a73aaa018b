/**
 * RecordingStore: where sealed recordings live. It only ever sees ciphertext
 * chunks, manifests and signed checkpoints; it can list and filter by the clear
 * metadata, never read what a session contained.
 *
 * Implementations: LocalStore (data directory + SQLite index, the embedded
 * default) and PostgresStore (one database shared by several gateway nodes);
 * `tail` is how a live viewer follows a recording that is still being written.
 */
import type { ChunkCounts, LogEntry } from '../seal/log.js';
import type { Checkpoint, Manifest, RecipientEntry, RecordingStatus, StreamInfo } from '../seal/manifest.js';

export interface RecordingSummary {
  id: string;
  user: string;
  target: string;
  protocol: string;
  clientAddress: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** Ciphertext bytes stored, as of the last checkpoint. */
  bytes: number;
  status: RecordingStatus;
  /** Short clear reason code (`closed`, `terminated`, `idle-timeout`, ...); details are sealed in the events. */
  endReason: string | null;
  /** Key ids of the recipients that can open the recording. */
  recipients: string[];
}

export interface ListFilter {
  user?: string;
  target?: string;
  protocol?: string;
  status?: RecordingStatus;
  /** ISO time: recordings that started at or after it. */
  since?: string;
  /** ISO time: recordings that started before it. */
  until?: string;
  /** Only recordings whose user / target is one of these (a visibility restriction; absent: any). */
  users?: readonly string[];
  targets?: readonly string[];
  /** Keyset paging: recordings strictly after this one in the listing's order. */
  after?: { startedAt: string; id: string };
  /** Newest first (default oldest first); order is (startedAt, id) either way. */
  descending?: boolean;
  limit?: number;
}

export interface StoredChunk {
  index: number;
  data: Uint8Array;
}

export interface RecipientUpdate {
  id: string;
  recipients: RecipientEntry[];
}

export interface RecordingEnd {
  endedAt: string;
  endReason: string;
}

/**
 * What recovery found of a recording whose writer is gone, before it is
 * marked. When the last checkpoint is final (the writer died after signing the
 * end, before the index said so), it is marked complete as that checkpoint
 * says; otherwise interrupted.
 */
export interface InterruptedRecording {
  id: string;
  /** The final checkpoint's end time, else the last checkpoint's time, else the start. */
  endedAt: string;
  checkpoints: Checkpoint[];
  /** Whole chunks held per stream name. */
  chunks: ChunkCounts;
}

/** What a store says of itself for /healthz, /readyz and /metrics. */
export interface StoreHealth {
  /** up: writes reach the store; spooling: they wait on local disk until it is back; down: writes fail. */
  state: 'up' | 'spooling' | 'down';
  /** Bytes waiting in the spool now. */
  spooledBytes: number;
  /** Chunks spooled, and chunks drained from the spool into the store, since the process started. */
  spooledChunks: number;
  drainedChunks: number;
  /** One line for operators, never a secret (no URL, no password). */
  detail?: string;
}

/**
 * A finished recording as another store holds it, for `importRecording`
 * (the archive tier). Everything is copied as stored: the manifest with its
 * sealed record keys, the signed checkpoints, every stream's chunks, and the
 * index row's status, end time, end reason and size.
 */
export interface RecordingCopy {
  summary: RecordingSummary;
  manifest: Manifest;
  checkpoints: Checkpoint[];
  /** The chunks of one stream of the manifest, from 0 on, in order. */
  chunks(streamId: number): AsyncIterable<StoredChunk>;
}

export interface RecordingStore {
  readonly kind: string;
  /** Stores that can be unreachable (PostgreSQL, spooling) say how they are. */
  health?(): StoreHealth;

  create(manifest: Manifest): Promise<void>;
  addStream(id: string, stream: StreamInfo): Promise<void>;
  /** Appends chunks `from`, `from + 1`, ... of a stream (indexes 0, 1, 2, ... per stream, no gaps). */
  appendChunks(id: string, streamId: number, from: number, ciphertexts: Uint8Array[]): Promise<void>;
  /** Makes every chunk appended so far durable, then records the checkpoint durably. */
  checkpoint(id: string, checkpoint: Checkpoint): Promise<void>;
  /** Records the final checkpoint and marks the recording complete. */
  finalize(id: string, checkpoint: Checkpoint, end: RecordingEnd): Promise<void>;

  get(id: string): Promise<RecordingSummary | undefined>;
  list(filter?: ListFilter): Promise<RecordingSummary[]>;
  manifest(id: string): Promise<Manifest>;
  checkpoints(id: string): Promise<Checkpoint[]>;
  /** Chunks of one stream from `from` on, as stored now. A torn last record is left out. */
  chunks(id: string, streamId: number, from?: number): AsyncIterable<StoredChunk>;
  /** Like `chunks`, then waits for new ones until the recording stops or `signal` aborts. */
  tail(id: string, streamId: number, from?: number, signal?: AbortSignal): AsyncIterable<StoredChunk>;
  /** Bytes of a partly written record at the end of a stream (a writer killed mid-write), 0 if none. */
  tornBytes(id: string, streamId: number): Promise<number>;

  updateRecipients(id: string, recipients: RecipientEntry[]): Promise<void>;
  /**
   * Batch forms for stores where a round trip per recording is the cost
   * (PostgreSQL): the recipients of several recordings (in the order asked,
   * leaving out those that have none), and the recipients of several replaced in one
   * transaction. Rotation uses them when a store has both.
   */
  recipientsMany?(ids: readonly string[]): Promise<RecipientUpdate[]>;
  updateRecipientsMany?(updates: readonly RecipientUpdate[]): Promise<void>;
  /**
   * Marks recordings left `recording` by a writer that is gone as `interrupted`
   * (or `complete`, see InterruptedRecording); returns their ids. `beforeMark`
   * runs first for each; when it throws, that recording is left as it was (the
   * next recovery tries again).
   */
  recoverInterrupted(beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]>;
  /**
   * Shared stores (PostgreSQL): the same for recordings that other nodes
   * left `recording`, once the node registry finds those nodes dead. Each
   * recording is marked by one caller only, however many ask at once.
   */
  recoverNodes?(nodeIds: readonly string[], beforeMark?: (found: InterruptedRecording) => Promise<void>): Promise<string[]>;
  /**
   * Deletes a recording by crypto-shredding: the sealed record keys are
   * destroyed first, durably, so a copy of the chunks that survives anywhere
   * (a backup, a WAL archive) cannot be opened; then the chunks and the rest.
   */
  delete(id: string): Promise<void>;
  /**
   * Optional (stores that can be an archive): stores a finished recording
   * copied from another store, exactly as it was there. The copy becomes
   * visible (get, list) only once all of it is durable; a copy cut short by a
   * crash is never visible and is replaced by the next import of that id.
   * An id the store already holds is refused (delete it first to redo it).
   */
  importRecording?(copy: RecordingCopy): Promise<void>;
  /**
   * The first step of delete alone, for stores that can take it apart
   * (PostgreSQL): destroys the sealed record keys, durably; the chunks stay
   * until delete() (which, called after, finds no keys and removes the rest).
   */
  shredKeys?(id: string): Promise<void>;

  /**
   * Appends one entry to the gateway's log. `make` is called with the last
   * entry (null when the log is empty) while the store holds the log's write
   * lock, so entries from several processes or nodes chain one after the
   * other; it must return the entry with seq = last.seq + 1 (0 first).
   */
  appendLog(make: (last: LogEntry | null) => LogEntry): Promise<LogEntry>;
  /** The log's entries in seq order, as stored (verifiers check them). */
  readLog(): AsyncIterable<LogEntry>;
  close(): Promise<void>;
}
