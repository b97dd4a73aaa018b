/**
 * Reads a recording's checkpoints into what the chunks must match: per stream,
 * the signed digest of each covered chunk and the signed chain hash at each
 * checkpointed count. Only checkpoints that are well formed, carry a good
 * signature from one of the given keys and name this recording contribute.
 * The keys are the verifier's trusted signers, first the one the manifest
 * names; a manifest signer that is not trusted is given too (after them) so
 * that damage is still named, the recording having already failed for it.
 *
 * Invariants checked here: seq runs 0, 1, 2, ... without gaps; per stream,
 * chunk counts never fall and each checkpoint's digests continue exactly
 * where the previous checkpoint stopped; the stream table (id, name, nonce
 * prefix) agrees with the manifest; only the last checkpoint may be final.
 */
import { bytesEqual } from './encoding.js';
import type { FindingList } from './findings.js';
import type { Checkpoint, CheckpointStream, Manifest } from './manifest.js';
import { metaHash, verifyCheckpoint } from './signing.js';
import type { Sodium } from './sodium.js';

export interface StreamCoverage {
  id: number;
  name: string;
  /** Signed digest (base64) of chunk i, where a trusted checkpoint lists it. */
  digests: (string | undefined)[];
  /** Signed chain hash after `count` chunks, keyed by count. */
  hashes: Map<number, string>;
  /** Chunks covered by the last trusted checkpoint that lists the stream. */
  covered: number;
}

export interface CheckpointSummary {
  streams: Map<number, StreamCoverage>;
  /** Trusted checkpoints, in order. */
  trusted: number;
  /** The last checkpoint is trusted and final. */
  final: boolean;
  /** How the final checkpoint says the recording ended, when `final`. */
  finalState?: NonNullable<Checkpoint['final']>;
}

export interface CheckpointKeys {
  /** Keys to try, in order; the first is the manifest's signer when it is one of them. */
  keys: Uint8Array[];
  /** The manifest's signer key, when it parses. */
  manifestSigner: Uint8Array | null;
}

interface Walk {
  s: Sodium;
  id: string;
  manifest: Manifest;
  report: FindingList;
  metaHash: string | null;
  summary: CheckpointSummary;
  reportedTable: Set<string>;
  reportedMeta: boolean;
  reportedSigner: boolean;
  /** seq of the previous trusted checkpoint, -1 before the first. */
  lastTrustedSeq: number;
}

export function summarizeCheckpoints(
  s: Sodium,
  id: string,
  manifest: Manifest,
  checkpoints: Checkpoint[],
  signers: CheckpointKeys,
  report: FindingList,
): CheckpointSummary {
  const walk: Walk = {
    s,
    id,
    manifest,
    report,
    metaHash: manifestMetaHash(s, manifest),
    summary: { streams: new Map(), trusted: 0, final: false },
    reportedTable: new Set(),
    reportedMeta: false,
    reportedSigner: false,
    lastTrustedSeq: -1,
  };
  let expectedSeq = 0;
  for (const [i, cp] of checkpoints.entries()) {
    const shape = checkpointShapeError(cp);
    if (shape) {
      report.error(`checkpoint #${i} is malformed: ${shape}`);
      continue;
    }
    if (cp.seq !== expectedSeq) {
      report.error(`checkpoint seq ${cp.seq} found where seq ${expectedSeq} was expected (checkpoints missing or out of order)`);
    }
    expectedSeq = cp.seq + 1;
    const key = signers.keys.find((k) => verifyCheckpoint(s, k, cp));
    if (!key) {
      report.error(`checkpoint seq ${cp.seq}: bad signature`);
      continue;
    }
    if (signers.manifestSigner && !bytesEqual(key, signers.manifestSigner) && !walk.reportedSigner) {
      walk.reportedSigner = true;
      report.error(`checkpoint seq ${cp.seq} is signed by another trusted key than the manifest's signer (manifest altered)`);
    }
    if (cp.recording !== id) {
      report.error(`checkpoint seq ${cp.seq} belongs to recording ${cp.recording}`);
      continue;
    }
    if (cp.final && i !== checkpoints.length - 1) {
      report.error(`checkpoint seq ${cp.seq} is final but more checkpoints follow it`);
    }
    applyCheckpoint(walk, cp);
    walk.summary.final = i === checkpoints.length - 1 && cp.final !== undefined;
    if (walk.summary.final) walk.summary.finalState = cp.final;
  }
  return walk.summary;
}

function manifestMetaHash(s: Sodium, manifest: Manifest): string | null {
  try {
    return metaHash(s, manifest.meta);
  } catch {
    return null;
  }
}

function applyCheckpoint(walk: Walk, cp: Checkpoint): void {
  const { report, summary } = walk;
  if (cp.metaHash !== walk.metaHash && !walk.reportedMeta) {
    walk.reportedMeta = true;
    report.error(`checkpoint seq ${cp.seq}: metadata hash does not match the manifest metadata (metadata altered)`);
  }
  const contiguous = walk.lastTrustedSeq === cp.seq - 1;
  const listed = new Set<number>();
  for (const st of cp.streams) {
    listed.add(st.id);
    checkStreamTable(walk, cp.seq, st);
    applyStream(walk, cp.seq, st, contiguous);
  }
  for (const cov of summary.streams.values()) {
    if (!listed.has(cov.id)) report.error(`checkpoint seq ${cp.seq} omits the stream (listed by an earlier checkpoint)`, cov.name);
  }
  walk.lastTrustedSeq = cp.seq;
  summary.trusted++;
}

function checkStreamTable(walk: Walk, seq: number, st: CheckpointStream): void {
  const info = walk.manifest.streams.find((m) => m.id === st.id);
  let problem: string | null = null;
  if (!info) problem = `stream ${st.id} (${st.name}) is in checkpoint seq ${seq} but not in the manifest`;
  else if (info.name !== st.name) problem = `stream ${st.id} is named ${info.name} in the manifest but ${st.name} in checkpoint seq ${seq}`;
  else if (info.noncePrefix !== st.noncePrefix) problem = `nonce prefix in the manifest differs from checkpoint seq ${seq}`;
  if (!problem) return;
  const key = `${st.id}\0${problem.replace(/seq \d+/, '')}`;
  if (walk.reportedTable.has(key)) return;
  walk.reportedTable.add(key);
  walk.report.error(`stream table mismatch: ${problem}`, st.name);
}

function applyStream(walk: Walk, seq: number, st: CheckpointStream, contiguous: boolean): void {
  const { report, summary } = walk;
  let cov = summary.streams.get(st.id);
  if (!cov) {
    cov = { id: st.id, name: st.name, digests: [], hashes: new Map(), covered: 0 };
    summary.streams.set(st.id, cov);
  }
  const start = st.chunks - st.digests.length;
  if (st.chunks < cov.covered) {
    report.error(`checkpoint seq ${seq}: chunk count fell from ${cov.covered} to ${st.chunks}`, st.name);
  } else if (contiguous && start !== cov.covered) {
    report.error(
      `checkpoint seq ${seq}: its digests start at chunk ${start} but the previous checkpoint ended at ${cov.covered}`,
      st.name,
    );
  }
  st.digests.forEach((d, k) => {
    cov.digests[start + k] = d;
  });
  cov.hashes.set(st.chunks, st.hash);
  cov.covered = Math.max(cov.covered, st.chunks);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** Null if `cp` has the Checkpoint shape, else what is wrong with it. */
export function checkpointShapeError(cp: unknown): string | null {
  if (!isRecord(cp)) return 'not an object';
  if (typeof cp.recording !== 'string') return 'recording is not a string';
  if (!isCount(cp.seq, 0)) return 'seq is not a non-negative integer';
  if (typeof cp.at !== 'string' || typeof cp.metaHash !== 'string') return 'at/metaHash are not strings';
  if (typeof cp.signature !== 'string') return 'signature is not a string';
  if (cp.final !== undefined && !isRecord(cp.final)) return 'final is not an object';
  if (!Array.isArray(cp.streams)) return 'streams is not an array';
  for (const st of cp.streams as unknown[]) {
    if (!isRecord(st) || !isCount(st.id, 1) || typeof st.name !== 'string') return 'a stream entry lacks id/name';
    if (typeof st.noncePrefix !== 'string' || typeof st.hash !== 'string') return `stream ${st.name}: noncePrefix/hash are not strings`;
    if (!isCount(st.chunks, 0)) return `stream ${st.name}: chunks is not a non-negative integer`;
    const digests = st.digests;
    if (!Array.isArray(digests) || digests.some((d) => typeof d !== 'string')) return `stream ${st.name}: digests is not a list of strings`;
    if (digests.length > st.chunks) return `stream ${st.name}: more digests than chunks`;
  }
  return null;
}
