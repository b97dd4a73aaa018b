/**
 * The gateway's log: one signed entry per turn in a recording's life, each
 * chained to the one before it, so that a recording deleted or cut short in
 * the store is found even though its own files are gone or consistent.
 *
 *   entry     = { seq, prev, at, signer, kind, recording, ...fields, signature }
 *   prev_0    = base64(BLAKE2b-256("recgate/v1 log genesis"))
 *   prev_n    = base64(BLAKE2b-256(canonicalJson(entry_{n-1})))   (signature included)
 *   signature = Ed25519(sk, "recgate/v1 log" ‖ 0x00 ‖ canonicalJson(entry without signature))
 *
 * Kinds and their fields:
 *
 *   start        user, target, protocol, clientAddress, startedAt, metaHash
 *   end          status "complete", endedAt, endReason, checkpoints (count),
 *                finalCheckpoint (digest), chunks (count per stream name)
 *   interrupted  endedAt, checkpoints, lastCheckpoint (digest or null), chunks
 *   deleted      reason
 *   archived     reason, archive (where it went: store kind and place, never a secret)
 *
 * A checkpoint's digest is base64(BLAKE2b-256(canonicalJson(checkpoint))),
 * signature included. Pure code: no I/O; the store keeps the entries.
 */
import { concatBytes, fromBase64, toBase64, utf8 } from './encoding.js';
import { canonicalJson, type Checkpoint, type Manifest } from './manifest.js';
import { metaHash, type SigningKeyPair } from './signing.js';
import { GENERICHASH_BYTES, SIGN_BYTES, SIGN_PUBLICKEYBYTES } from './sodium-params.js';
import type { Sodium } from './sodium.js';

export const LOG_DOMAIN = 'recgate/v1 log\0';
export const LOG_GENESIS_DOMAIN = 'recgate/v1 log genesis';

/** Whole chunks per stream, keyed by stream name. */
export type ChunkCounts = Record<string, number>;

export interface LogStart {
  kind: 'start';
  recording: string;
  user: string;
  target: string;
  protocol: string;
  clientAddress: string;
  startedAt: string;
  metaHash: string;
}

export interface LogEnd {
  kind: 'end';
  recording: string;
  status: 'complete';
  endedAt: string;
  endReason: string;
  checkpoints: number;
  finalCheckpoint: string;
  chunks: ChunkCounts;
}

export interface LogInterrupted {
  kind: 'interrupted';
  recording: string;
  endedAt: string;
  checkpoints: number;
  lastCheckpoint: string | null;
  chunks: ChunkCounts;
}

export interface LogDeleted {
  kind: 'deleted';
  recording: string;
  reason: string;
}

/** Moved to the archive store by retention; it is still held, in the archive. */
export interface LogArchived {
  kind: 'archived';
  recording: string;
  reason: string;
  archive: string;
}

export type LogEvent = LogStart | LogEnd | LogInterrupted | LogDeleted | LogArchived;

export interface LogLink {
  seq: number;
  /** Hash of the previous entry (or the genesis hash), base64. */
  prev: string;
  at: string;
  /** Ed25519 public key of the gateway that signed the entry, base64. */
  signer: string;
  signature: string;
}

export type LogEntry = LogEvent & LogLink;

export function logGenesis(s: Sodium): string {
  return toBase64(s.generichash(GENERICHASH_BYTES, utf8(LOG_GENESIS_DOMAIN)));
}

/** What the next entry's `prev` must be. */
export function logEntryHash(s: Sodium, entry: LogEntry): string {
  return toBase64(s.generichash(GENERICHASH_BYTES, utf8(canonicalJson(entry))));
}

export function checkpointDigest(s: Sodium, cp: Checkpoint): string {
  return toBase64(s.generichash(GENERICHASH_BYTES, utf8(canonicalJson(cp))));
}

function signedBytes(entry: Omit<LogEntry, 'signature'> | LogEntry): Uint8Array {
  const body: Record<string, unknown> = { ...entry };
  delete body.signature;
  return concatBytes(utf8(LOG_DOMAIN), utf8(canonicalJson(body)));
}

/** The entry that follows `last` (null: the log is empty), signed by `signer`. */
export function chainLogEntry(s: Sodium, signer: SigningKeyPair, last: LogEntry | null, event: LogEvent, at = new Date()): LogEntry {
  const unsigned = {
    ...event,
    seq: last === null ? 0 : last.seq + 1,
    prev: last === null ? logGenesis(s) : logEntryHash(s, last),
    at: at.toISOString(),
    signer: toBase64(signer.publicKey),
  } as Omit<LogEntry, 'signature'>;
  const signature = toBase64(s.signDetached(signedBytes(unsigned), signer.secretKey));
  return { ...unsigned, signature } as LogEntry;
}

/** True if `entry.signature` is the signature of `publicKey` over every other field. */
export function verifyLogEntry(s: Sodium, publicKey: Uint8Array, entry: LogEntry): boolean {
  const signature = fromBase64(entry.signature);
  if (!signature || signature.length !== SIGN_BYTES || publicKey.length !== SIGN_PUBLICKEYBYTES) return false;
  return s.signVerifyDetached(signature, signedBytes(entry), publicKey);
}

export function startEvent(s: Sodium, manifest: Manifest): LogStart {
  const m = manifest.meta;
  return {
    kind: 'start',
    recording: manifest.id,
    user: m.user,
    target: m.target,
    protocol: m.protocol,
    clientAddress: m.clientAddress,
    startedAt: m.startedAt,
    metaHash: metaHash(s, m),
  };
}

export function endEvent(s: Sodium, id: string, final: Checkpoint, end: { endedAt: string; endReason: string }): LogEnd {
  const chunks: ChunkCounts = {};
  for (const st of final.streams) chunks[st.name] = st.chunks;
  return {
    kind: 'end',
    recording: id,
    status: 'complete',
    endedAt: end.endedAt,
    endReason: end.endReason,
    checkpoints: final.seq + 1,
    finalCheckpoint: checkpointDigest(s, final),
    chunks,
  };
}

export function interruptedEvent(s: Sodium, id: string, endedAt: string, checkpoints: Checkpoint[], chunks: ChunkCounts): LogInterrupted {
  const last = checkpoints.at(-1);
  return {
    kind: 'interrupted',
    recording: id,
    endedAt,
    checkpoints: checkpoints.length,
    lastCheckpoint: last === undefined ? null : checkpointDigest(s, last),
    chunks: { ...chunks },
  };
}

export function deletedEvent(id: string, reason: string): LogDeleted {
  return { kind: 'deleted', recording: id, reason };
}

export function archivedEvent(id: string, reason: string, archive: string): LogArchived {
  return { kind: 'archived', recording: id, reason, archive };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const strings = (e: Record<string, unknown>, keys: string[]): string | null => {
  const bad = keys.find((k) => typeof e[k] !== 'string');
  return bad === undefined ? null : `${bad} is not a string`;
};

function countsError(value: unknown): string | null {
  if (!isRecord(value)) return 'chunks is not a mapping';
  return Object.values(value).every(isCount) ? null : 'chunks holds a count that is not a non-negative integer';
}

/** Null if `e` has the LogEntry shape, else what is wrong with it. */
export function logEntryShapeError(e: unknown): string | null {
  if (!isRecord(e)) return 'not an object';
  if (!isCount(e.seq)) return 'seq is not a non-negative integer';
  const link = strings(e, ['prev', 'at', 'signer', 'signature', 'recording']);
  if (link) return link;
  switch (e.kind) {
    case 'start':
      return strings(e, ['user', 'target', 'protocol', 'clientAddress', 'startedAt', 'metaHash']);
    case 'end':
      if (e.status !== 'complete') return 'status is not "complete"';
      if (!isCount(e.checkpoints)) return 'checkpoints is not a count';
      return strings(e, ['endedAt', 'endReason', 'finalCheckpoint']) ?? countsError(e.chunks);
    case 'interrupted':
      if (!isCount(e.checkpoints)) return 'checkpoints is not a count';
      if (e.lastCheckpoint !== null && typeof e.lastCheckpoint !== 'string') return 'lastCheckpoint is neither a string nor null';
      return strings(e, ['endedAt']) ?? countsError(e.chunks);
    case 'deleted':
      return strings(e, ['reason']);
    case 'archived':
      return strings(e, ['reason', 'archive']);
    default:
      return `unknown kind ${JSON.stringify(e.kind)}`;
  }
}
