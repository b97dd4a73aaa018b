/**
 * Recordings built in memory for the seal tests and the seal benchmark:
 * a sealer with one auditor and one signer, a few streams, their chunks and
 * checkpoints, exactly as a store would hold them.
 */
import { generateAuditorKey, type AuditorKeyPair } from './keys.js';
import type { Checkpoint, Manifest, RecordingMeta, StreamKind } from './manifest.js';
import { generateSigningKey, type SigningKeyPair } from './signing.js';
import { RecordSealer } from './sealer.js';
import type { Sodium } from './sodium.js';

export function testMeta(id: string): RecordingMeta {
  return {
    id,
    user: 'alice',
    target: 'web01',
    protocol: 'ssh',
    clientAddress: '192.0.2.7:51515',
    startedAt: '2024-05-01T10:00:00.000Z',
    term: 'xterm-256color',
    cols: 80,
    rows: 24,
  };
}

export interface StreamPlan {
  name: string;
  kind: StreamKind;
  /** Plaintext of each chunk, in order. */
  chunks: Uint8Array[];
}

export interface RecordingPlan {
  id: string;
  streams: StreamPlan[];
  /** Checkpoint after every `every` chunks of each stream (default 2). */
  every?: number;
  /** End with a final checkpoint and last-flagged chunks (default true). */
  complete?: boolean;
  auditor?: AuditorKeyPair;
  signer?: SigningKeyPair;
}

export interface BuiltRecording {
  manifest: Manifest;
  checkpoints: Checkpoint[];
  /** Stored chunks by stream id. */
  chunks: Map<number, Uint8Array[]>;
  auditor: AuditorKeyPair;
  signer: SigningKeyPair;
}

export function textChunks(prefix: string, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`${prefix} ${i}\r\n$ `));
}

/** Seals the plan round-robin over its streams, checkpointing along the way. */
export function buildRecording(s: Sodium, plan: RecordingPlan): BuiltRecording {
  const auditor = plan.auditor ?? generateAuditorKey(s);
  const signer = plan.signer ?? generateSigningKey(s);
  const complete = plan.complete ?? true;
  const every = plan.every ?? 2;
  const sealer = RecordSealer.create(s, { meta: testMeta(plan.id), recipients: [{ name: 'audit', publicKey: auditor.publicKey }], signer });
  const chunks = new Map<number, Uint8Array[]>();
  const ids = plan.streams.map((st) => sealer.addStream(st.name, st.kind, 0).id);
  const checkpoints: Checkpoint[] = [];
  const longest = Math.max(0, ...plan.streams.map((st) => st.chunks.length));
  for (let i = 0; i < longest; i++) {
    plan.streams.forEach((st, k) => {
      const plaintext = st.chunks[i];
      if (plaintext === undefined) return;
      const last = complete && i === st.chunks.length - 1;
      const list = chunks.get(ids[k]!) ?? [];
      list.push(sealer.sealChunk(ids[k]!, plaintext, last));
      chunks.set(ids[k]!, list);
    });
    if ((i + 1) % every === 0 && i + 1 < longest) checkpoints.push(sealer.checkpoint());
  }
  checkpoints.push(complete ? sealer.checkpoint({ endedAt: '2024-05-01T10:05:00.000Z', status: 'complete', endReason: 'client closed' }) : sealer.checkpoint());
  const manifest = sealer.manifest;
  sealer.close();
  return { manifest, checkpoints, chunks, auditor, signer };
}

export async function* iterate(chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const c of chunks) yield c;
}
