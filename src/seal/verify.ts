/**
 * Verification of a stored recording without any private key: what a storage
 * operator could have forged, swapped, reordered, dropped or truncated.
 *
 * Trust runs: trusted signer key → checkpoint signatures → signed stream
 * table, metadata hash, chunk counts, chain hashes and per-chunk digests →
 * the ciphertext chunks in the store. Chunks are read as a stream, one at a
 * time, so a recording of any size verifies in constant memory (plus one
 * digest per chunk from the checkpoints).
 *
 * Chunks after the last checkpoint are an error for a complete recording and
 * a warning otherwise: a gateway that dies mid-session leaves at most the
 * last checkpoint interval unsigned.
 *
 * Only the verifier's trusted signer keys are believed, never the key the
 * manifest names: a manifest signer that is not trusted is an error. The
 * index's status, end time and end reason must be what the final checkpoint
 * signed; an index that calls a signed-off recording interrupted or still
 * recording was edited.
 */
import { ChunkChain, chainVersionOf } from './chain.js';
import { bytesEqual, fromBase64 } from './encoding.js';
import { FindingList, type Finding } from './findings.js';
import { MANIFEST_FORMATS, type Checkpoint, type Manifest, type RecordingStatus } from './manifest.js';
import { SIGN_PUBLICKEYBYTES } from './sodium-params.js';
import type { Sodium } from './sodium.js';
import { summarizeCheckpoints, type CheckpointKeys, type CheckpointSummary, type StreamCoverage } from './verify-checkpoints.js';

export type { Finding } from './findings.js';

export interface VerifyInput {
  /** The id the store files the recording under. */
  id: string;
  manifest: Manifest;
  checkpoints: Checkpoint[];
  status: RecordingStatus;
  /** The index's end time and reason; compared with the final checkpoint when given. */
  endedAt?: string | null;
  endReason?: string | null;
  /** Ed25519 public keys of the gateways whose checkpoints are believed. */
  trustedSigners: Uint8Array[];
  /** The stored chunks of a stream from index 0, in order. */
  readChunks(streamId: number): AsyncIterable<Uint8Array>;
  /** Per stream id: bytes of a torn last record the store found after the last whole chunk. */
  partialTail?: Map<number, number>;
}

interface StreamScan {
  input: VerifyInput;
  report: FindingList;
  summary: CheckpointSummary;
}

export async function verifyRecording(s: Sodium, input: VerifyInput): Promise<Finding[]> {
  const report = new FindingList(input.id);
  const signers = checkManifest(input, report);
  const summary = summarizeCheckpoints(s, input.id, input.manifest, input.checkpoints, signers, report);
  checkStatus(input, summary, report);
  for (const { id, name } of streamsToScan(input.manifest, summary)) {
    const cov = summary.streams.get(id) ?? { id, name, digests: [], hashes: new Map(), covered: 0 };
    await scanStream(s, { input, report, summary }, cov);
  }
  return report.findings;
}

/** Checks the manifest's own fields; returns the keys its checkpoints are checked with. */
function checkManifest(input: VerifyInput, report: FindingList): CheckpointKeys {
  const { manifest } = input;
  if (!MANIFEST_FORMATS.includes(manifest.format)) report.error(`manifest format is ${JSON.stringify(manifest.format)}, expected one of ${MANIFEST_FORMATS.join(', ')}`);
  if (manifest.id !== input.id) report.error(`manifest names recording ${manifest.id} (manifest swapped or altered)`);
  if (manifest.meta?.id !== manifest.id) report.error(`manifest metadata names recording ${manifest.meta?.id}`);
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const st of manifest.streams ?? []) {
    if (ids.has(st.id) || names.has(st.name)) report.error(`manifest lists stream id ${st.id} or name twice`, st.name);
    ids.add(st.id);
    names.add(st.name);
  }
  const trusted = input.trustedSigners;
  const signer = typeof manifest.signer === 'string' ? fromBase64(manifest.signer) : null;
  if (!signer || signer.length !== SIGN_PUBLICKEYBYTES) {
    report.error('manifest signer is not a base64 Ed25519 public key');
    return { keys: [...trusted], manifestSigner: null };
  }
  const own = trusted.find((k) => bytesEqual(k, signer));
  if (!own) {
    report.error(`signer ${manifest.signer} is not trusted`);
    return { keys: [...trusted, signer], manifestSigner: signer };
  }
  return { keys: [own, ...trusted.filter((k) => k !== own)], manifestSigner: signer };
}

function checkStatus(input: VerifyInput, summary: CheckpointSummary, report: FindingList): void {
  const { status, checkpoints } = input;
  if (status === 'complete') {
    if (checkpoints.length === 0) report.error('no checkpoint: a complete recording must end with a signed final checkpoint');
    else if (!summary.final) report.error('no final checkpoint, yet the recording is marked complete');
  } else if (status === 'recording' || status === 'interrupted') {
    if (checkpoints.length === 0) report.warning(`no checkpoint: nothing in this ${status} recording is covered by a signature`);
  } else {
    report.error(`unknown status ${JSON.stringify(status)}`);
  }
  if (summary.finalState) checkFinalState(input, summary.finalState, report);
}

/** The index must say what the final checkpoint signed. */
function checkFinalState(input: VerifyInput, final: NonNullable<CheckpointSummary['finalState']>, report: FindingList): void {
  const say = (key: string, index: unknown, signed: unknown, why = ''): void =>
    report.error(`the index says ${key} ${JSON.stringify(index)}, the signed final checkpoint ${JSON.stringify(signed)}${why}`);
  if (input.status !== final.status) say('status', input.status, final.status, ' (status edited)');
  if (input.endedAt !== undefined && input.endedAt !== final.endedAt) say('endedAt', input.endedAt, final.endedAt);
  if (input.endReason !== undefined && input.endReason !== final.endReason) say('endReason', input.endReason, final.endReason);
}

/** Manifest streams, then streams that only checkpoints know (the manifest lost them). */
function streamsToScan(manifest: Manifest, summary: CheckpointSummary): { id: number; name: string }[] {
  const out = (manifest.streams ?? []).map((st) => ({ id: st.id, name: st.name }));
  for (const cov of summary.streams.values()) {
    if (!out.some((st) => st.id === cov.id)) out.push({ id: cov.id, name: cov.name });
  }
  return out;
}

async function scanStream(s: Sodium, scan: StreamScan, cov: StreamCoverage): Promise<void> {
  const { input, report } = scan;
  const chain = new ChunkChain(s, input.id, cov.name, chainVersionOf(input.manifest.format));
  const bad = new BadChunks(report, cov);
  try {
    for await (const chunk of input.readChunks(cov.id)) {
      const index = chain.count;
      const digest = chain.push(chunk);
      if (index >= cov.covered) continue;
      const signed = cov.digests[index];
      if (signed !== undefined && signed !== digest) bad.digest(index, digest);
      const hash = cov.hashes.get(index + 1);
      if (hash !== undefined && hash !== chain.hash()) bad.chain(index);
    }
  } catch (err) {
    report.error(`reading chunks failed at chunk ${chain.count}: ${(err as Error)?.message ?? err}`, cov.name);
    return;
  }
  bad.summarize();
  checkCount(scan, cov, chain.count);
}

/** Names the first chunk that contradicts a signed value, then counts the rest. */
class BadChunks {
  private count = 0;
  private chainReported = false;
  private byDigest: Map<string, number> | null = null;

  constructor(
    private readonly report: FindingList,
    private readonly cov: StreamCoverage,
  ) {}

  digest(index: number, digest: string): void {
    if (this.count++ > 0) return;
    const found = this.indexOf(digest);
    const text =
      found === undefined
        ? 'ciphertext does not match its signed digest (altered or substituted)'
        : `holds chunk ${found} in its place (chunks dropped, duplicated or reordered)`;
    this.report.error(text, this.cov.name, index);
  }

  chain(index: number): void {
    if (this.count > 0 || this.chainReported) return;
    this.chainReported = true;
    this.report.error('chain hash differs from the signed chain hash (chunks altered before it)', this.cov.name, index);
  }

  summarize(): void {
    if (this.count > 1) this.report.error(`${this.count} chunks in all differ from their signed digests`, this.cov.name);
  }

  private indexOf(digest: string): number | undefined {
    if (!this.byDigest) {
      this.byDigest = new Map();
      this.cov.digests.forEach((d, i) => {
        if (d !== undefined && !this.byDigest!.has(d)) this.byDigest!.set(d, i);
      });
    }
    return this.byDigest.get(digest);
  }
}

function checkCount(scan: StreamScan, cov: StreamCoverage, stored: number): void {
  const { input, report, summary } = scan;
  const complete = input.status === 'complete';
  if (stored < cov.covered) {
    const more = cov.covered - stored - 1;
    const rest = more > 0 ? ` (and ${more} more, to chunk ${cov.covered - 1})` : '';
    report.error(
      `chunk ${stored} missing${rest}: checkpoints cover ${cov.covered} chunks, the store holds ${stored} (truncated or dropped)`,
      cov.name,
      stored,
    );
  } else if (stored > cov.covered) {
    const range = stored - cov.covered === 1 ? `chunk ${cov.covered}` : `chunks ${cov.covered}..${stored - 1}`;
    const verb = stored - cov.covered === 1 ? 'is' : 'are';
    if (complete && summary.final) report.error(`${range} after the final checkpoint ${verb} not covered by a signature`, cov.name, cov.covered);
    else if (complete) report.error(`${range} ${verb} not covered by a signature`, cov.name, cov.covered);
    else report.warning(`${range} after the last checkpoint ${verb} not covered by a signature`, cov.name, cov.covered);
  }
  const torn = input.partialTail?.get(cov.id) ?? 0;
  if (torn > 0) {
    const text = `a torn record of ${torn} bytes follows chunk ${stored - 1}`;
    if (complete) report.error(`${text} in a complete recording`, cov.name);
    else report.warning(`${text} (the gateway stopped mid-write); ignored`, cov.name);
  }
}
