/**
 * Events as JSON lines, one per recorded event:
 *
 *   {"t":1530,"time":"2024-05-01T10:00:01.530Z","type":"command","text":"ls -la"}
 *
 * `t` is milliseconds since the session start and `time` the same instant in ISO-8601 UTC;
 * both come first and are never overridden by a field of the event of the same name.
 * `time` is null only for an instant outside the range of dates.
 */
import type { RecordedEvent } from '../recording/frames.js';
import type { RecordingMeta } from '../seal/manifest.js';
import { parseTime } from './script-format.js';

export class EventsWriter {
  private readonly startMs: number;

  constructor(meta: Pick<RecordingMeta, 'startedAt'>) {
    this.startMs = parseTime(meta.startedAt, 'recording start');
  }

  event(t: number, event: RecordedEvent): string {
    const ms = Number.isFinite(t) && t > 0 ? t : 0;
    const { t: _t, time: _time, ...fields } = event;
    const date = new Date(this.startMs + ms);
    const time = Number.isNaN(date.getTime()) ? null : date.toISOString();
    // written by hand: an object would put integer-like keys of the event before t and time
    const head = `{"t":${JSON.stringify(ms)},"time":${JSON.stringify(time)}`;
    const rest = JSON.stringify(fields);
    return rest === '{}' ? `${head}}\n` : `${head},${rest.slice(1)}\n`;
  }
}
