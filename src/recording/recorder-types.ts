/**
 * What a Recorder (recorder.ts) is started with and tells: its options and
 * dependencies, the identity a recording is made for, its result. Types and
 * defaults only.
 */
import type { Logger } from 'pino';
import type { RecordingError } from '../errors.js';
import type { Checkpoint, Manifest, StreamInfo, StreamKind } from '../seal/manifest.js';
import type { Sodium } from '../seal/sodium.js';
import type { RecordingEnd, RecordingStore } from '../store/types.js';

export interface RecorderOptions {
  /** Longest time a frame waits before it is sealed and stored (ms). */
  flushInterval: number;
  /** Chunk plaintext size that triggers a flush (bytes). */
  chunkSize: number;
  /** Time between signed checkpoints (ms). */
  checkpointInterval: number;
  /** Record the input stream (keystrokes). */
  keystrokes: boolean;
  /** Bytes waiting for the store above which writes report backpressure. */
  highWaterMark?: number;
}

/** Longest a frame waits before it is stored while someone watches the session live (ms). */
export const WATCHED_FLUSH_MS = 250;

export const DEFAULT_RECORDER_OPTIONS: RecorderOptions = {
  flushInterval: 1000,
  chunkSize: 64 * 1024,
  checkpointInterval: 10_000,
  keystrokes: true,
};

/** Told of a recording's start and end once the store holds them (the gateway's log). */
export interface RecordingJournal {
  started(manifest: Manifest): Promise<void>;
  ended(id: string, final: Checkpoint, end: RecordingEnd): Promise<void>;
}

export interface RecorderDeps {
  store: RecordingStore;
  sodium: Sodium;
  signer: { publicKey: Uint8Array; secretKey: Uint8Array };
  recipients: { name?: string; publicKey: Uint8Array }[];
  log: Logger;
  journal?: RecordingJournal;
  /** Told the plaintext size of each chunk as it is sealed (the node's metrics). */
  onSealed?(stream: StreamKind, plaintextBytes: number): void;
}

export interface SessionIdentity {
  user: string;
  target: string;
  protocol: string;
  clientAddress: string;
}

export interface TerminalInfo {
  term?: string;
  cols: number;
  rows: number;
}

export interface RecordingResult {
  id: string;
  ok: boolean;
  /** Set when the recording could not be written completely. */
  error?: RecordingError;
}

/** How many chunks of a stream the store holds. */
export interface StoredCount {
  stream: StreamInfo;
  chunks: number;
}
