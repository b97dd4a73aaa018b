/**
 * What `verify`, `export`, `play` and `search` check before anything is
 * decrypted, with the trusted signer keys only: the gateway's log (walked
 * once per command), and per recording its signatures and chunks, its index
 * row against the signed metadata and final state, and its log entries.
 */
import { GatewayError } from '../errors.js';
import type { ChunkCounts } from '../seal/log.js';
import type { Manifest, RecordingMeta } from '../seal/manifest.js';
import { metaHash } from '../seal/signing.js';
import { verifyRecording, type Finding } from '../seal/verify.js';
import { checkRecordingLog } from '../seal/verify-log-store.js';
import { LOG_FINDING, LogWalker, type LogHead, type LogWalk } from '../seal/verify-log.js';
import type { RecordingStore, RecordingSummary } from '../store/types.js';
import type { CliContext } from './context.js';

export class Verification {
  private constructor(
    private readonly ctx: CliContext,
    private readonly signers: Uint8Array[],
    readonly log: LogWalk,
  ) {}

  /** Reads the trusted keys and walks the log; `head` is a head the log must contain. */
  static async open(ctx: CliContext, head?: LogHead): Promise<Verification> {
    const signers = await ctx.trustedSigners();
    const walker = new LogWalker(ctx.sodium, signers, head);
    let failure: Finding | undefined;
    try {
      for await (const entry of ctx.store().readLog()) walker.push(entry);
    } catch (err) {
      failure = { recording: LOG_FINDING, severity: 'error', message: `log: cannot be read: ${(err as Error).message}` };
    }
    const walk = walker.finish();
    if (failure) walk.findings.unshift(failure);
    return new Verification(ctx, signers, walk);
  }

  /** Findings for a recording the store's index holds. */
  async recording(summary: RecordingSummary): Promise<Finding[]> {
    const { id } = summary;
    const store = this.ctx.store();
    try {
      const manifest = await store.manifest(id);
      const checkpoints = await store.checkpoints(id);
      const counts: ChunkCounts = {};
      const names = streamNames(manifest, checkpoints);
      const findings = await verifyRecording(this.ctx.sodium, {
        id,
        manifest,
        checkpoints,
        status: summary.status,
        endedAt: summary.endedAt,
        endReason: summary.endReason,
        trustedSigners: this.signers,
        readChunks: (streamId) => countedChunks(store, id, streamId, counts, names.get(streamId) ?? `#${streamId}`),
        partialTail: await tornTails(store, id, manifest),
      });
      if (manifest.id === id) findings.push(...indexMismatches(summary, manifest.meta));
      const stored = { ...summary, metaHash: safeMetaHash(this.ctx, manifest), checkpoints, chunks: counts };
      findings.push(...checkRecordingLog(this.ctx.sodium, id, this.log.recordings.get(id), stored));
      return findings;
    } catch (err) {
      return [{ recording: id, severity: 'error', message: `recording ${id}: ${(err as Error).message}` }];
    }
  }

  /** Findings for recordings the store does not hold: deleted, unless the gateway's log says it deleted them. */
  absent(ids: Iterable<string>): Finding[] {
    return [...ids].flatMap((id) => checkRecordingLog(this.ctx.sodium, id, this.log.recordings.get(id), null));
  }
}

/**
 * The gate before decrypting one recording: errors refuse (one line), unless
 * `force`, which prints every finding as a warning and goes on; warnings
 * alone are printed and the command goes on.
 */
export async function verifyBeforeReading(verification: Verification, summary: RecordingSummary, force: boolean): Promise<void> {
  const findings = [...verification.log.findings, ...(await verification.recording(summary))];
  const first = findings.find((f) => f.severity === 'error');
  if (first && !force) throw new GatewayError('RG_ERR_VERIFY', refusal(summary.id, first));
  if (first) process.stderr.write(`recgate: warning: recording ${summary.id} failed verification; decrypting it anyway (--force)\n`);
  for (const f of findings) process.stderr.write(`recgate: warning: ${f.message}\n`);
}

/**
 * The recordings of `candidates` that pass the gate, in order; each one that
 * fails is skipped with a line on stderr, and the command ends with exit 1.
 */
export async function* verifiedOnly(ctx: CliContext, candidates: RecordingSummary[], force: boolean): AsyncGenerator<RecordingSummary> {
  const verification = await Verification.open(ctx);
  for (const summary of candidates) {
    try {
      await verifyBeforeReading(verification, summary, force);
    } catch (err) {
      if (!(err instanceof GatewayError && err.code === 'RG_ERR_VERIFY')) throw err;
      process.stderr.write(`recgate: skipped ${err.message}\n`);
      process.exitCode = 1;
      continue;
    }
    yield summary;
  }
}

export function refusal(id: string, first: Finding): string {
  const text = first.message.startsWith(`recording ${id}: `) ? first.message.slice(`recording ${id}: `.length) : first.message;
  return `recording ${id} failed verification: ${text}; see recordings verify ${id}`;
}

const INDEXED = ['user', 'target', 'protocol', 'clientAddress', 'startedAt'] as const;

/** The clear index is what `list` and `search` filter on: it must say what the signed metadata says. */
export function indexMismatches(summary: RecordingSummary, meta: RecordingMeta): Finding[] {
  return INDEXED.filter((k) => summary[k] !== meta[k]).map((k) => ({
    recording: summary.id,
    severity: 'error' as const,
    message: `recording ${summary.id}: the index says ${k} ${JSON.stringify(summary[k])}, the signed metadata ${JSON.stringify(meta[k])}`,
  }));
}

function safeMetaHash(ctx: CliContext, manifest: Manifest): string | null {
  try {
    return metaHash(ctx.sodium, manifest.meta);
  } catch {
    return null;
  }
}

function streamNames(manifest: Manifest, checkpoints: { streams?: { id: number; name: string }[] }[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const cp of checkpoints) for (const st of Array.isArray(cp.streams) ? cp.streams : []) names.set(st.id, st.name);
  for (const st of manifest.streams ?? []) names.set(st.id, st.name);
  return names;
}

async function tornTails(store: RecordingStore, id: string, manifest: Manifest): Promise<Map<number, number>> {
  const partialTail = new Map<number, number>();
  for (const s of manifest.streams ?? []) {
    const torn = await store.tornBytes(id, s.id);
    if (torn > 0) partialTail.set(s.id, torn);
  }
  return partialTail;
}

async function* countedChunks(store: RecordingStore, id: string, streamId: number, counts: ChunkCounts, name: string): AsyncIterable<Uint8Array> {
  counts[name] = 0;
  for await (const c of store.chunks(id, streamId)) {
    counts[name]!++;
    yield c.data;
  }
}
