/**
 * The recorder's one ordered line to the store. Operations run one at a time
 * in the order queued; chunks of one stream queued back to back while the
 * store is busy go out together as one `appendChunks` call, so a slow store
 * sees fewer, larger writes instead of falling further behind.
 *
 * `writable` turns false above `highWaterMark` queued bytes; 'drain' follows
 * once half of that is written. The first failure is kept, reported once as
 * 'failed', and every later operation is skipped. 'stored' (streamId, count)
 * follows each append the store accepted: the stream now holds `count` chunks.
 */
import { EventEmitter } from 'node:events';
import type { RecordingStore } from '../store/types.js';

type Op =
  | { kind: 'append'; streamId: number; from: number; chunks: Uint8Array[]; bytes: number }
  | { kind: 'call'; run: () => Promise<void>; bytes: 0 };

export class WriteQueue extends EventEmitter {
  private readonly ops: Op[] = [];
  private queued = 0;
  private needDrain = false;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly store: RecordingStore,
    private readonly id: string,
    private readonly highWaterMark: number,
  ) {
    super();
  }

  get writable(): boolean {
    return this.queued < this.highWaterMark;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  append(streamId: number, index: number, ciphertext: Uint8Array): void {
    if (this.failed) return;
    const last = this.ops.at(-1);
    if (last?.kind === 'append' && last.streamId === streamId && last.from + last.chunks.length === index) {
      last.chunks.push(ciphertext);
      last.bytes += ciphertext.length;
    } else {
      this.ops.push({ kind: 'append', streamId, from: index, chunks: [ciphertext], bytes: ciphertext.length });
    }
    this.queued += ciphertext.length;
    if (this.queued >= this.highWaterMark) this.needDrain = true;
    this.pump();
  }

  call(run: () => Promise<void>): void {
    if (this.failed) return;
    this.ops.push({ kind: 'call', run, bytes: 0 });
    this.pump();
  }

  /** Resolves once everything queued so far has run (or been skipped after a failure). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private pump(): void {
    if (this.running) return;
    this.running = this.drainOps().finally(() => {
      this.running = undefined;
      // Operations queued after the loop's last look but before this point.
      if (this.ops.length > 0) this.pump();
    });
  }

  private async drainOps(): Promise<void> {
    for (let op = this.ops.shift(); op; op = this.ops.shift()) {
      try {
        if (!this.failed) {
          if (op.kind === 'append') {
            await this.store.appendChunks(this.id, op.streamId, op.from, op.chunks);
            this.emit('stored', op.streamId, op.from + op.chunks.length);
          } else await op.run();
        }
      } catch (cause) {
        if (!this.failed) {
          this.failure = cause ?? new Error('store operation failed');
          this.emit('failed', this.failure);
        }
      } finally {
        this.queued -= op.bytes;
        if (this.needDrain && this.queued <= this.highWaterMark / 2) {
          this.needDrain = false;
          this.emit('drain');
        }
      }
    }
  }
}
