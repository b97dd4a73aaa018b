/**
 * Typescript (`.tys`) and classic timing (`.tm`), as util-linux `script -T` writes them.
 *
 *   .tys  <header line>\n <output bytes ...> \nScript done on <date> [<status>]\n
 *   .tm   one line per output write:  <delay> <bytes>\n
 *         delay = seconds since the previous output (the first: since the session start)
 *
 * `scriptreplay -t NAME.tm NAME.tys` skips the header line and replays exactly the
 * concatenated output bytes; the trailer lies past the last timing entry and is never
 * replayed. Resizes have no place in this format (the advanced timing carries them).
 */
import type { RecordingMeta } from '../seal/manifest.js';
import type { Track } from './source.js';
import {
  DelayClock,
  EMPTY,
  encodeText,
  endTime,
  formatDelay,
  parseTime,
  scriptHeaderLine,
  scriptTrailerLine,
} from './script-format.js';

export class TypescriptWriter {
  private readonly startMs: number;
  private readonly clock = new DelayClock();

  constructor(
    meta: Pick<RecordingMeta, 'startedAt'>,
    private readonly track: Track,
  ) {
    this.startMs = parseTime(meta.startedAt, 'recording start');
  }

  /** The one-line header; it must be the first bytes of the `.tys`. */
  header(): Uint8Array {
    return encodeText(scriptHeaderLine(this.startMs, this.track));
  }

  /** Bytes for the `.tys` and a line for the `.tm`; both empty for an empty write. */
  output(t: number, data: Uint8Array): { tys: Uint8Array; tm: string } {
    if (data.length === 0) return { tys: EMPTY, tm: '' };
    const delay = this.clock.next(t);
    return { tys: data, tm: `${formatDelay(delay)} ${data.length}\n` };
  }

  /** Closing line; without `endedAt` the time of the last output stands for the end. */
  trailer(endedAt?: string, status?: string): Uint8Array {
    return encodeText(scriptTrailerLine(endTime(this.startMs, this.clock, endedAt), status));
  }
}
