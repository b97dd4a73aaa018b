/**
 * Pieces shared by the util-linux `script` formats (typescript, classic and advanced timing).
 *
 *   first line  Script started on 2024-05-01 10:00:00+00:00 [TERM="xterm" COLUMNS="80" LINES="24"]\n
 *   last line   \nScript done on 2024-05-01 10:05:00+00:00 [<complete>]\n
 *   delay       <seconds>.<microseconds in exactly 6 digits>
 *
 * Invariants scriptreplay (util-linux 2.38) relies on:
 * - it discards every log's first line unread, up to the first '\n', so the first line is
 *   exactly one line: fields placed in it are reduced to printable ASCII;
 * - it reads a delay with scanf("%ld.%06ld"), so "1.5" would mean 1.000005 s: the fraction
 *   always has six digits;
 * - it aborts on an I/O entry of 0 bytes, so empty data never gets a timing entry.
 * Dates are written in UTC so an export does not depend on the exporting machine's zone.
 */
import { RecordingError } from '../errors.js';
import type { Track } from './source.js';

const encoder = new TextEncoder();

export const EMPTY = new Uint8Array(0);

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Milliseconds since the epoch of an ISO time; a recording without one cannot be placed. */
export function parseTime(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RecordingError(`${what} is not a valid time: ${JSON.stringify(iso)}`);
  return ms;
}

/** `2024-05-01 10:00:00+00:00`, the form `script` writes (seconds, numeric zone). */
export function scriptDate(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}+00:00`;
}

/** A terminal type reduced to the characters terminfo names use; undefined when none remain. */
export function sanitizeTerm(term: string | undefined): string | undefined {
  if (term === undefined) return undefined;
  const clean = term.replace(/[^A-Za-z0-9._+-]/g, '').slice(0, 64);
  return clean === '' ? undefined : clean;
}

/** Free text made safe inside a one-line, bracketed field. */
export function sanitizeField(text: string): string {
  return text.replace(/[^\x20-\x7e]|[<>"\[\]]/g, '?').slice(0, 128);
}

/** Latest frame time honoured (~285 years): its microseconds are still exact integers. */
export const MAX_TIME_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** Frame time (ms) made usable: non-finite or negative is 0, beyond MAX_TIME_MS is MAX_TIME_MS. */
export function clampTime(tMs: number): number {
  return Number.isFinite(tMs) && tMs > 0 ? Math.min(tMs, MAX_TIME_MS) : 0;
}

/** Frame time (ms, possibly fractional) to whole microseconds. */
export function toMicros(tMs: number): number {
  return Math.round(clampTime(tMs) * 1000);
}

/** `<sec>.<usec:06>` from whole microseconds. */
export function formatDelay(micros: number): string {
  const sec = Math.floor(micros / 1_000_000);
  const usec = micros - sec * 1_000_000;
  return `${sec}.${String(usec).padStart(6, '0')}`;
}

/**
 * Delays between successive entries, starting at the session start (t = 0).
 * Time never runs backwards: an entry earlier than the previous one gets delay 0.
 */
export class DelayClock {
  private lastMicros = 0;

  /** Delay, in whole microseconds, from the previous entry to one at `tMs`. */
  next(tMs: number): number {
    const now = Math.max(this.lastMicros, toMicros(tMs));
    const delay = now - this.lastMicros;
    this.lastMicros = now;
    return delay;
  }

  /** Time of the latest entry, in ms since the start. */
  get lastMs(): number {
    return this.lastMicros / 1000;
  }
}

/** The first line of a typescript or an input log, as `script` writes it on a terminal. */
export function scriptHeaderLine(startMs: number, track: Track): string {
  const term = sanitizeTerm(track.term);
  const fields = [
    ...(term === undefined ? [] : [`TERM="${term}"`]),
    `COLUMNS="${dimension(track.cols)}"`,
    `LINES="${dimension(track.rows)}"`,
  ];
  return `Script started on ${scriptDate(startMs)} [${fields.join(' ')}]\n`;
}

/** The closing line; `script` puts a message in `[<...>]` when it has no exit code to give. */
export function scriptTrailerLine(endMs: number, status: string | undefined): string {
  const message = sanitizeField(status === undefined || status === '' ? 'recording ended' : status);
  return `\nScript done on ${scriptDate(endMs)} [<${message}>]\n`;
}

/** A terminal dimension as an integer (`script` prints %d). */
export function dimension(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0;
}

/** `endedAt` when it is a valid time not before the start, else the last entry's time. */
export function endTime(startMs: number, clock: DelayClock, endedAt?: string | null): number {
  const ended = endedAt ? Date.parse(endedAt) : NaN;
  const last = startMs + clock.lastMs;
  return Number.isFinite(ended) && ended >= startMs ? ended : last;
}
