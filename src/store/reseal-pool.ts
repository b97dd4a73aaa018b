/**
 * Re-sealing record keys on worker threads, for rotations large enough to
 * be bound by X25519 (three scalar multiplications a recording, about
 * 150 µs: 100 000 recordings are 15 s on one core). Each batch is split
 * across the workers and comes back in order; a recording whose sealed key
 * does not open fails the batch with the same CryptoError as on the main
 * thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CryptoError, GatewayError, KeyError } from '../errors.js';
import type { AuditorKeyPair } from '../seal/keys.js';
import type { Manifest, RecipientEntry } from '../seal/manifest.js';
import type { NewRecipient } from '../seal/rotate.js';

export interface ResealRequest {
  seq: number;
  manifests: Pick<Manifest, 'id' | 'recipients'>[];
}

export type ResealReply =
  | { seq: number; updates: { id: string; recipients: RecipientEntry[] | null }[] }
  | { seq: number; error: { name: string; message: string; code?: string } };

/** Below this many recordings, workers cost more to start than they save. */
export const WORKERS_FROM = 2_000;

export class ResealPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: ResealReply) => void; reject: (e: Error) => void }>();
  private seq = 0;

  constructor(old: AuditorKeyPair, next: NewRecipient, size = Math.max(1, availableParallelism())) {
    const url = new URL('./reseal-worker.js', import.meta.url);
    const keys = { old: { kid: old.kid, publicKey: old.publicKey, secretKey: old.secretKey }, next };
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(url, { workerData: keys });
      w.on('message', (reply: ResealReply) => {
        const p = this.pending.get(reply.seq);
        this.pending.delete(reply.seq);
        p?.resolve(reply);
      });
      w.on('error', (err) => this.failAll(err));
      w.on('exit', (code) => code !== 0 && this.failAll(new Error(`a re-sealing worker exited with code ${code}`)));
      return w;
    });
  }

  /** The new recipients of each manifest (null: the old key is not among them), in order. */
  async reseal(manifests: Pick<Manifest, 'id' | 'recipients'>[]): Promise<{ id: string; recipients: RecipientEntry[] | null }[]> {
    const share = Math.ceil(manifests.length / this.workers.length);
    const parts = this.workers.map((w, i) => this.send(w, manifests.slice(i * share, (i + 1) * share)));
    const replies = await Promise.all(parts);
    return replies.flatMap((r) => {
      if ('error' in r) throw rebuild(r.error);
      return r.updates;
    });
  }

  private send(worker: Worker, manifests: ResealRequest['manifests']): Promise<ResealReply> {
    if (manifests.length === 0) return Promise.resolve({ seq: -1, updates: [] });
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ seq, manifests } satisfies ResealRequest);
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Has every worker wipe its copy of the old secret key, then ends them. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise((resolve) => w.once('exit', resolve));
        w.postMessage('wipe');
        const timer = setTimeout(() => void w.terminate(), 2_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

function rebuild(e: { name: string; message: string; code?: string }): GatewayError {
  if (e.name === 'KeyError') return new KeyError(e.message);
  if (e.name === 'CryptoError' || e.code === 'RG_ERR_CRYPTO') return new CryptoError(e.message);
  return new GatewayError('RG_ERR_KEY', e.message);
}
