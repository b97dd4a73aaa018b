/**
 * The recorders' view of the store, timed: each write (create, addStream,
 * appendChunks, checkpoint, finalize) is observed in the store-latency
 * histogram by operation, failures counted, and the chunks and ciphertext
 * bytes the store accepted counted. Every other method, and any method a
 * store has beyond the interface, passes through untouched, bound to the
 * store itself (a Proxy, so nothing that holds the real store sees a wrapper).
 */
import type { RecordingStore } from '../store/types.js';

export const WRITE_OPS = ['create', 'addStream', 'appendChunks', 'checkpoint', 'finalize'] as const;
export type WriteOp = (typeof WRITE_OPS)[number];

export interface StoreWriteObserver {
  /** A write finished after `seconds`; `ok` false when it threw. */
  write(op: WriteOp, seconds: number, ok: boolean): void;
  /** The store accepted `chunks` chunks of `bytes` ciphertext bytes in all. */
  stored(chunks: number, bytes: number): void;
}

export function meterStore(store: RecordingStore, observer: StoreWriteObserver): RecordingStore {
  const timed = new Map<string | symbol, unknown>();
  for (const op of WRITE_OPS) {
    const write = store[op] as (...args: unknown[]) => Promise<void>;
    timed.set(op, async (...args: unknown[]): Promise<void> => {
      const t0 = performance.now();
      let ok = false;
      try {
        await write.apply(store, args);
        ok = true;
      } finally {
        observer.write(op, (performance.now() - t0) / 1000, ok);
      }
      if (op === 'appendChunks') {
        const chunks = args[3] as Uint8Array[];
        observer.stored(chunks.length, chunks.reduce((n, c) => n + c.length, 0));
      }
    });
  }
  return new Proxy(store, {
    get(target, prop) {
      if (timed.has(prop)) return timed.get(prop);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
