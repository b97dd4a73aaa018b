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
  /** A log record whose maker is gone (made by a process that stopped): nothing written. */
  lostLogEntry?: boolean;
}

export async function replay(store: RecordingStore, record: SpoolRecord, check: boolean, makers: Map<string, LogMaker>): Promise<ReplayResult> {
  switch (record.kind) {
    case 'create':
      if (check && (await store.get(record.manifest.id))) return { chunks: 0 };
      await store.create(record.manifest);
      return { chunks: 0 };
    case 'addStream':
      if (check && (await store.manifest(record.id)).streams.some((s) => s.id === record.stream.id)) return { chunks: 0 };
      await store.addStream(record.id, record.stream);
      return { chunks: 0 };
    case 'append': {
      const held = check ? await storedFrom(store, record.id, record.streamId, record.from, record.chunks.length) : 0;
      if (held >= record.chunks.length) return { chunks: 0 };
      await store.appendChunks(record.id, record.streamId, record.from + held, record.chunks.slice(held));
      return { chunks: record.chunks.length - held };
    }
    case 'checkpoint':
      if (check && sameAsLast(await store.checkpoints(record.id), record.checkpoint)) return { chunks: 0 };
      await store.checkpoint(record.id, record.checkpoint);
      return { chunks: 0 };
    case 'finalize':
      if (check && ((await store.get(record.id))?.status ?? 'recording') !== 'recording') return { chunks: 0 };
      await store.finalize(record.id, record.checkpoint, record.end);
      return { chunks: 0 };
    case 'log': {
      const make = makers.get(record.token);
      if (!make) return { chunks: 0, lostLogEntry: true };
      await store.appendLog(make);
      makers.delete(record.token);
      return { chunks: 0 };
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
