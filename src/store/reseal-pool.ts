/**
 * Re-sealing record keys on worker threads, for rotations large enough to
 * be bound by X25519 (three scalar multiplications a recording, 100 to
 * 150 µs: 100 000 recordings are 10 to 15 s on one core). Only sealed keys
 * cross to the workers, packed end to end in one buffer each way and
 * transferred, not copied: a batch is split across the workers and comes
 * back in order. A key that does not open fails the batch, naming its
 * position, and the caller names the recording.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AuditorKeyPair } from '../seal/keys.js';
import { SEALED_KEY_BYTES } from '../seal/rotate.js';

export interface ResealRequest {
  seq: number;
  /** Sealed keys, SEALED_KEY_BYTES each, end to end. */
  sealed: Uint8Array;
}

export type ResealReply = { seq: number; sealed: Uint8Array } | { seq: number; failedAt: number };

/** Below this many recordings, workers cost more to start than they save. */
export const WORKERS_FROM = 2_000;

/** A key that did not open: its position in the batch. */
export class ResealFailure extends Error {
  constructor(readonly at: number) {
    super(`sealed key ${at} of the batch does not open`);
  }
}

export class ResealPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: ResealReply) => void; reject: (e: Error) => void }>();
  private seq = 0;

  constructor(old: AuditorKeyPair, nextPublicKey: Uint8Array, size = Math.max(1, availableParallelism())) {
    const url = new URL('./reseal-worker.js', import.meta.url);
    const keys = { old: { kid: old.kid, publicKey: old.publicKey, secretKey: old.secretKey }, next: nextPublicKey };
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

  /** Each key opened with the old key and sealed for the new one, in order; ResealFailure names one that does not open. */
  async reseal(keys: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const share = Math.ceil(keys.length / this.workers.length);
    const parts = this.workers.map((w, i) => this.send(w, keys.slice(i * share, (i + 1) * share)));
    const replies = await Promise.all(parts);
    const out: Uint8Array[] = [];
    replies.forEach((r, part) => {
      if ('failedAt' in r) throw new ResealFailure(part * share + r.failedAt);
      for (let at = 0; at < r.sealed.length; at += SEALED_KEY_BYTES) out.push(r.sealed.subarray(at, at + SEALED_KEY_BYTES));
    });
    return out;
  }

  private send(worker: Worker, keys: readonly Uint8Array[]): Promise<ResealReply> {
    if (keys.length === 0) return Promise.resolve({ seq: -1, sealed: new Uint8Array(0) });
    const packed = new Uint8Array(keys.length * SEALED_KEY_BYTES);
    keys.forEach((k, i) => packed.set(k, i * SEALED_KEY_BYTES));
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ seq, sealed: packed } satisfies ResealRequest, [packed.buffer]);
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
