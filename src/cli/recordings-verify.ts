/**
 * `recordings verify`: checks signatures, chunk digests and completeness
 * without any private key, so a storage operator's tampering is visible to
 * anyone holding the gateway's signing public key.
 */
import { verifyRecording, type Finding } from '../seal/verify.js';
import type { RecordingMeta } from '../seal/manifest.js';
import type { RecordingStore, RecordingSummary } from '../store/types.js';
import { usageError, withContext, type CliContext, type GlobalOptions } from './context.js';
import { printable } from './printable.js';

export async function verifyRecordings(id: string | undefined, options: GlobalOptions & { all?: boolean }): Promise<void> {
  if ((id === undefined) === !options.all) throw usageError('name one recording id, or --all');
  let failed = 0;
  await withContext(options, async (ctx) => {
    const ids = id !== undefined ? [(await ctx.recording(id)).id] : (await ctx.store().list()).map((r) => r.id);
    const signers = await ctx.trustedSigners();
    for (const rid of ids) {
      const findings = await verifyOne(ctx, rid, signers);
      const errors = findings.filter((f) => f.severity === 'error');
      for (const f of findings) process.stdout.write(`${formatFinding(f)}\n`);
      if (errors.length > 0) failed++;
      else process.stdout.write(`recording ${printable(rid)}: ok${findings.length > 0 ? ` (${findings.length} warning${findings.length === 1 ? '' : 's'})` : ''}\n`);
    }
    if (ids.length === 0) process.stdout.write('no recordings\n');
  });
  if (failed > 0) {
    process.stderr.write(`recgate: ${failed} recording${failed === 1 ? '' : 's'} failed verification\n`);
    process.exitCode = 1;
  }
}

async function verifyOne(ctx: CliContext, id: string, trustedSigners: Uint8Array[]): Promise<Finding[]> {
  const store = ctx.store();
  const summary = await store.get(id);
  try {
    const manifest = await store.manifest(id);
    const partialTail = new Map<number, number>();
    for (const s of manifest.streams) {
      const torn = await store.tornBytes(id, s.id);
      if (torn > 0) partialTail.set(s.id, torn);
    }
    const findings = await verifyRecording(ctx.sodium, {
      id,
      manifest,
      checkpoints: await store.checkpoints(id),
      status: summary?.status ?? 'recording',
      trustedSigners,
      readChunks: (streamId) => chunkData(store, id, streamId),
      partialTail,
    });
    if (summary && manifest.id === id) findings.push(...indexMismatches(summary, manifest.meta));
    return findings;
  } catch (err) {
    return [{ recording: id, severity: 'error', message: `recording ${id}: ${(err as Error).message}` }];
  }
}

const INDEXED = ['user', 'target', 'protocol', 'clientAddress', 'startedAt'] as const;

/** The clear index is what `list` and `search` filter on: it must say what the signed metadata says. */
function indexMismatches(summary: RecordingSummary, meta: RecordingMeta): Finding[] {
  return INDEXED.filter((k) => summary[k] !== meta[k]).map((k) => ({
    recording: summary.id,
    severity: 'error' as const,
    message: `recording ${summary.id}: the index says ${k} ${JSON.stringify(summary[k])}, the signed metadata ${JSON.stringify(meta[k])}`,
  }));
}

async function* chunkData(store: RecordingStore, id: string, streamId: number): AsyncIterable<Uint8Array> {
  for await (const c of store.chunks(id, streamId)) yield c.data;
}

/** One line per finding; the message already names the recording, stream and chunk, and may quote the store. */
export function formatFinding(f: Finding): string {
  return `${f.severity}: ${printable(f.message)}`;
}
