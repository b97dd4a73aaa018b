/**
 * A recording opened in the page with the CLI's own reader
 * (src/recording/reader.ts): the console's API stands in for the store, one
 * ciphertext chunk fetched at a time, so a stream is read with bounded memory
 * and the same checks the CLI makes (a complete recording whose stream lacks
 * its final chunk is refused as truncated).
 */
import { RecordingReader, type ChunkSource } from '../src/recording/reader.js';
import type { AuditorKeyPair } from '../src/seal/keys.js';
import type { Sodium } from '../src/seal/sodium.js';
import type { StoredChunk } from '../src/store/types.js';
import { chunk, type RecordingView } from './api.js';

/** Chunks fetched one by one until the API says there is none more. */
export function consoleChunks(view: RecordingView, fetchChunk = chunk): ChunkSource {
  return {
    manifest: async () => view.manifest,
    async *chunks(id: string, streamId: number, from = 0): AsyncIterable<StoredChunk> {
      for (let index = from; ; index++) {
        const data = await fetchChunk(id, streamId, index);
        if (!data) return;
        yield { index, data };
      }
    },
    tail: () => {
      throw new Error('following a recording live is not part of this page');
    },
  };
}

/** The reader of `view`; the caller closes it. Refuses a manifest of another recording. */
export async function openRecording(s: Sodium, key: AuditorKeyPair, view: RecordingView): Promise<RecordingReader> {
  // The chunks' associated data binds the manifest's id: a manifest of another recording would open its chunks.
  if (view.manifest.id !== view.summary.id) {
    throw new Error(`the gateway answered for recording ${view.manifest.id} when ${view.summary.id} was asked (swapped or altered)`);
  }
  return RecordingReader.open(consoleChunks(view), s, view.summary, key);
}
