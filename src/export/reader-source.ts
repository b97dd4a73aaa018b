/** The export's view of an opened recording: the same for the CLI and the console's page. */
import type { RecordingReader } from '../recording/reader.js';
import type { ExportSource } from './source.js';

export async function readerSource(reader: RecordingReader): Promise<ExportSource> {
  return {
    meta: { ...reader.manifest.meta, endedAt: reader.summary.endedAt, status: reader.summary.status },
    terminals: await reader.terminals(),
    eventsStream: 'events',
    ...(reader.stream('screen') ? { screenStream: 'screen' } : {}),
    frames: (name) => reader.frames(name),
  };
}
