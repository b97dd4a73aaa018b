/**
 * Advanced multi-stream timing, as `script -m advanced -T NAME.timing -O OUT -I IN` writes it.
 *
 *   H 0.000000 START_TIME 2024-05-01 10:00:00+00:00
 *   H 0.000000 TERM xterm-256color                  (when known)
 *   H 0.000000 COLUMNS 80
 *   H 0.000000 LINES 24
 *   H 0.000000 TIMING_LOG NAME.timing
 *   H 0.000000 OUTPUT_LOG NAME.tys
 *   H 0.000000 INPUT_LOG NAME.in.tys                (when keystrokes were recorded)
 *   I 0.296162 1                                    keystrokes: <delay> <bytes>
 *   O 0.000058 1                                    output:     <delay> <bytes>
 *   S 0.294028 SIGWINCH ROWS=40 COLS=120            terminal resize
 *   H 0.000000 DURATION 12.345000
 *
 * Delays are seconds since the previous I, O or S entry (the first: since the session
 * start); H entries always carry 0. Entries of the three kinds are interleaved by time.
 * Each log begins with the same one-line header as a typescript and the I/O entries index
 * the bytes after it, so the output log is the `.tys` itself.
 * Replay: scriptreplay -T NAME.timing -O NAME.tys [-I NAME.in.tys --stream in]
 */
import type { RecordingMeta } from '../seal/manifest.js';
import type { Track } from './source.js';
import {
  DelayClock,
  EMPTY,
  dimension,
  encodeText,
  endTime,
  formatDelay,
  parseTime,
  sanitizeTerm,
  scriptDate,
  scriptHeaderLine,
  scriptTrailerLine,
} from './script-format.js';

/** File names recorded in the H entries (as the auditor will find them beside the timing). */
export interface AdvancedLogNames {
  timing: string;
  output: string;
  input?: string;
}

export class AdvancedTimingWriter {
  private readonly startMs: number;
  private readonly clock = new DelayClock();

  constructor(
    meta: Pick<RecordingMeta, 'startedAt'>,
    private readonly track: Track,
    private readonly names: AdvancedLogNames,
  ) {
    this.startMs = parseTime(meta.startedAt, 'recording start');
  }

  /** The H entries that open the timing file. */
  header(): string {
    const term = sanitizeTerm(this.track.term);
    const entries: [string, string | number][] = [
      ['START_TIME', scriptDate(this.startMs)],
      ...(term === undefined ? [] : [['TERM', term] as [string, string]]),
      ['COLUMNS', dimension(this.track.cols)],
      ['LINES', dimension(this.track.rows)],
      ['TIMING_LOG', logName(this.names.timing)],
      ['OUTPUT_LOG', logName(this.names.output)],
      ...(this.names.input === undefined ? [] : [['INPUT_LOG', logName(this.names.input)] as [string, string]]),
    ];
    return entries.map(([name, value]) => info(name, value)).join('');
  }

  /** The first line of the output log and of the input log. */
  logHeader(): Uint8Array {
    return encodeText(scriptHeaderLine(this.startMs, this.track));
  }

  /** An O entry and the bytes to append to the output log; both empty for empty data. */
  output(t: number, data: Uint8Array): { timing: string; log: Uint8Array } {
    return this.io('O', t, data);
  }

  /** An I entry and the bytes to append to the input log; both empty for empty data. */
  input(t: number, data: Uint8Array): { timing: string; log: Uint8Array } {
    return this.io('I', t, data);
  }

  /** An S entry, written the way `script` logs SIGWINCH. */
  resize(t: number, cols: number, rows: number): string {
    const delay = formatDelay(this.clock.next(t));
    return `S ${delay} SIGWINCH ROWS=${dimension(rows)} COLS=${dimension(cols)}\n`;
  }

  /** The closing H entry: session length in seconds. */
  trailer(endedAt?: string | null): string {
    const end = endTime(this.startMs, this.clock, endedAt);
    return info('DURATION', formatDelay(Math.max(0, Math.round((end - this.startMs) * 1000))));
  }

  /** The closing line of the output and input logs. */
  logTrailer(endedAt?: string | null, status?: string): Uint8Array {
    return encodeText(scriptTrailerLine(endTime(this.startMs, this.clock, endedAt), status));
  }

  private io(kind: 'I' | 'O', t: number, data: Uint8Array): { timing: string; log: Uint8Array } {
    if (data.length === 0) return { timing: '', log: EMPTY };
    return { timing: `${kind} ${formatDelay(this.clock.next(t))} ${data.length}\n`, log: data };
  }
}

function info(name: string, value: string | number): string {
  return `H 0.000000 ${name} ${value}\n`;
}

/** A file name as one H value: no control characters, bounded (scriptreplay reads ≤ 8 KiB). */
function logName(name: string): string {
  return name.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 1024);
}
