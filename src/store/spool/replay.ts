/**
 * Replays one spooled write into the store. A write the store may already
 * hold (it was tried before and the reply was lost, or the drain stopped
 * between the store taking it and the spool noting so) is checked first and
 * only what is missing is written: no chunk twice, none lost. Chunks are
 * compared by index only; a store that holds a *different* chunk at an index
 * refuses the identical-index append later on its own terms.
 */
import type { LogEntry } from '../../seal/log.js';
import { canonicalJson } from '../../seal/manifest.js';
import type { RecordingStore } from '../types.js';
import type { SpoolRecord } from './format.js';

export type LogMaker = (last: LogEntry | null) => LogEntry;

export interface ReplayResult {
  /** Chunks written to the store by this replay (0 when it held them). */
  chunks: number;
  /** The store did not hold the write (or not all of it): it was written now. */
  wrote: boolean;
  /** A log record whose maker is gone (made by a process that stopped): nothing written. */
  lostLogEntry?: boolean;
}

const HELD: ReplayResult = { chunks: 0, wrote: false };
const WROTE: ReplayResult = { chunks: 0, wrote: true };

export async function replay(store: RecordingStore, record: SpoolRecord, check: boolean, makers: Map<string, LogMaker>): Promise<ReplayResult> {
  switch (record.kind) {
    case 'create':
      if (check && (await store.get(record.manifest.id))) return HELD;
      await store.create(record.manifest);
      return WROTE;
    case 'addStream':
      if (check && (await store.manifest(record.id)).streams.some((s) => s.id === record.stream.id)) return HELD;
      await store.addStream(record.id, record.stream);
      return WROTE;
    case 'append': {
      const held = check ? await storedFrom(store, record.id, record.streamId, record.from, record.chunks.length) : 0;
      if (held >= record.chunks.length) return HELD;
      await store.appendChunks(record.id, record.streamId, record.from + held, record.chunks.slice(held));
      return { chunks: record.chunks.length - held, wrote: true };
    }
    case 'checkpoint':
      if (check && sameAsLast(await store.checkpoints(record.id), record.checkpoint)) return HELD;
      await store.checkpoint(record.id, record.checkpoint);
      return WROTE;
    case 'finalize':
      if (check && ((await store.get(record.id))?.status ?? 'recording') !== 'recording') return HELD;
      await store.finalize(record.id, record.checkpoint, record.end);
      return WROTE;
    case 'log': {
      const make = makers.get(record.token);
      // Whether an entry landed cannot be told from the store: its maker is forgotten once it has.
      if (!make) return { ...HELD, lostLogEntry: true };
      await store.appendLog(make);
      makers.delete(record.token);
      return HELD;
    }
  }
}

/** How many of the `count` chunks from index `from` on the store holds already. */
async function storedFrom(store: RecordingStore, id: string, streamId: number, from: number, count: number): Promise<number> {
  let held = 0;
  for await (const c of store.chunks(id, streamId, from)) {
    if (c.index !== from + held || held >= count) break;
    held++;
  }
  return held;
}

/** Compared in canonical form: a store may keep JSON with its keys in another order (jsonb). */
function sameAsLast(stored: unknown[], checkpoint: unknown): boolean {
  const last = stored.at(-1);
  return last !== undefined && canonicalJson(last) === canonicalJson(checkpoint);
}
