/**
 * What an export reads: the clear metadata and the decrypted frames of each stream.
 * The exporter never sees keys or ciphertext; the caller opens the recording.
 */
import type { Frame } from '../recording/frames.js';
import type { RecordingMeta } from '../seal/manifest.js';

/** One terminal channel; later size changes arrive as Resize frames on its tty stream. */
export interface Track {
  channel: number;
  term?: string;
  cols: number;
  rows: number;
}

export interface ExportTerminal extends Track {
  /** Stream of Data (output) and Resize frames. */
  ttyStream: string;
  /** Stream of Data frames holding keystrokes, already masked where needed. */
  inputStream?: string;
}

export interface ExportSource {
  meta: RecordingMeta & { endedAt?: string | null; status: string };
  terminals: ExportTerminal[];
  /** Stream of Event frames. */
  eventsStream?: string;
  /** Stream of Screen frames (graphical sessions: see src/graphics/records.ts). */
  screenStream?: string;
  /** Decrypted frames of one stream, in time order. */
  frames(streamName: string): AsyncIterable<Frame>;
}
