/**
 * Builds the `query` event recorded once per statement a database session
 * ran, beside its terminal transcript:
 *
 *   { type: 'query', database?, text, params?, paramCount?, durationMs,
 *     rows?, tag?, error?: { code?, message }, truncated? }
 *
 * `durationMs` runs from the statement's arrival at the gateway to the
 * arrival of the end of its answer, to the microsecond (a busy database's
 * statements take a fraction of a millisecond).
 *
 * A statement still waiting for its answer when the session ends is recorded
 * too, with `error: { message: INTERRUPTED }` and the rows that came.
 *
 * Invariants:
 * - no field is undefined: an absent input field is absent from the event;
 * - text is at most MAX_TEXT_BYTES of UTF-8, params at most MAX_PARAMS
 *   values of at most MAX_PARAM_BYTES each, every other string at most
 *   MAX_FIELD_BYTES; cuts fall on character boundaries;
 * - `truncated: true` says the text or a parameter was cut (here or by the
 *   caller); `paramCount` is present only when parameters were dropped;
 * - strings are kept as they were, control characters included: the event
 *   is data, and whoever displays it escapes it.
 */
import type { RecordedEvent } from '../recording/frames.js';
import { isPlain, PrintableMemo, statementTexts } from './plain-text.js';

export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_PARAMS = 64;
export const MAX_PARAM_BYTES = 1024;
export const MAX_FIELD_BYTES = 1024;

/**
 * The error of a statement whose answer the end of the session cut short (terminated, a limit,
 * the target hung up): recorded with the rows that came, and this in place of the server's word.
 */
export const INTERRUPTED = 'the session ended before the answer was complete';

export interface QueryInput {
  text: string;
  params?: (string | null)[];
  durationMs: number;
  /** Rows returned or affected. */
  rows?: number;
  /** The command tag, e.g. `INSERT 0 1`. */
  tag?: string;
  error?: { code?: string; message: string };
  /** The caller already cut the text. */
  truncated?: boolean;
  database?: string;
}

export interface QueryEvent extends RecordedEvent {
  type: 'query';
  database?: string;
  text: string;
  params?: (string | null)[];
  paramCount?: number;
  durationMs: number;
  rows?: number;
  tag?: string;
  error?: { code?: string; message: string };
  truncated?: true;
}

const encoder = new TextEncoder();
const scratch = new Uint8Array(MAX_TEXT_BYTES);

/** The longest prefix of `s` whose UTF-8 form fits in `maxBytes`, and whether anything was cut. */
export function cutUtf8(s: string, maxBytes: number): { text: string; cut: boolean } {
  const text = cutText(s, maxBytes);
  return { text, cut: text.length < s.length };
}

/** cutUtf8's text alone; shorter than `s` exactly when something was cut. */
function cutText(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes) return s;
  const room = Math.max(0, Math.floor(maxBytes));
  const { read } = encoder.encodeInto(s, room <= scratch.length ? scratch.subarray(0, room) : new Uint8Array(room));
  return read >= s.length ? s : s.slice(0, read);
}

function nonNegative(n: number): number {
  return Number.isFinite(n) ? Math.max(0, n) : 0;
}

// Milliseconds to the microsecond.
function millis(n: number): number {
  const ms = nonNegative(n);
  const rounded = Math.round(ms * 1000) / 1000;
  return Number.isFinite(rounded) ? rounded : ms;
}

/** The `query` event for a statement; see the file header. */
export function queryEvent(q: QueryInput): QueryEvent {
  // Built field by field in the order of the file header (which is the order of its JSON), each
  // only when present: one object of a shape shared by every event, rather than one per spread.
  const e = { type: 'query' } as QueryEvent;
  if (q.database !== undefined) e.database = cutText(q.database, MAX_FIELD_BYTES);
  e.text = cutText(q.text, MAX_TEXT_BYTES);
  let truncated = q.truncated === true || e.text.length < q.text.length;
  if (q.params !== undefined) {
    const n = Math.min(q.params.length, MAX_PARAMS);
    const params = new Array<string | null>(n);
    for (let i = 0; i < n; i++) {
      const p = q.params[i]!;
      if (p === null) {
        params[i] = null;
        continue;
      }
      const v = cutText(p, MAX_PARAM_BYTES);
      truncated ||= v.length < p.length;
      params[i] = v;
    }
    e.params = params;
    if (q.params.length > MAX_PARAMS) {
      e.paramCount = q.params.length;
      truncated = true;
    }
  }
  e.durationMs = millis(q.durationMs);
  if (q.rows !== undefined) e.rows = Math.floor(nonNegative(q.rows));
  if (q.tag !== undefined) e.tag = cutText(q.tag, MAX_FIELD_BYTES);
  const error = q.error;
  if (error !== undefined) {
    const shown = {} as { code?: string; message: string };
    if (error.code !== undefined) shown.code = cutText(error.code, MAX_FIELD_BYTES);
    shown.message = cutText(error.message, MAX_FIELD_BYTES);
    e.error = shown;
  }
  if (truncated) e.truncated = true;
  return e;
}

/** A session's database seldom changes: what it needs is remembered apart. */
const databases = new PrintableMemo();

/** `JSON.stringify(s)`: a plain string (see plain-text.ts) put between quotes without it. */
function jsonString(s: string, memo?: PrintableMemo): string {
  return (memo ? memo.plain(s) : isPlain(s)) ? `"${s}"` : JSON.stringify(s);
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** Below this many milliseconds (35 years) a double is finer than a microsecond. */
const FAST_MILLIS_BELOW = 2 ** 40;

/** The decimals of 0 to 999 µs as milliseconds: '', '.001' … '.999', trailing zeros dropped. */
const FRACTIONS = Array.from({ length: 1000 }, (_, us) => (us === 0 ? '' : `.${String(us).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * `JSON.stringify(n)` for a duration in milliseconds, as millis() rounds it to the microsecond.
 * Such a number is written from its whole microseconds: V8 finds the shortest decimal of a
 * fractional double in about 150 ns, a third of a query event's JSON. Below FAST_MILLIS_BELOW
 * the three-decimal form is that shortest decimal: the nearest double to it is the number, and
 * any other decimal within half a unit in its last place is longer. Anything else is String()'s.
 */
export function jsonMillis(n: number): string {
  const us = Math.round(n * 1000);
  if (!(n >= 0 && n < FAST_MILLIS_BELOW && us / 1000 === n)) return jsonNumber(n);
  const whole = Math.floor(us / 1000);
  return `${whole}${FRACTIONS[us - whole * 1000]!}`;
}

/**
 * `JSON.stringify(e)` for an event queryEvent() built and nobody changed
 * since, byte for byte, written field by field in the order queryEvent()
 * adds them: a generic stringify of this fixed shape costs several times
 * more, once per statement. A string with anything to escape is left to
 * JSON.stringify, so the escapes are exactly its own.
 */
export function queryEventJson(e: QueryEvent): string {
  let json = '{"type":"query"';
  if (e.database !== undefined) json += `,"database":${jsonString(e.database, databases)}`;
  json += `,"text":${jsonString(e.text, statementTexts)}`;
  if (e.params !== undefined) {
    json += ',"params":[';
    for (let i = 0; i < e.params.length; i++) {
      const p = e.params[i];
      json += (i === 0 ? '' : ',') + (typeof p === 'string' ? jsonString(p) : 'null');
    }
    json += ']';
  }
  if (e.paramCount !== undefined) json += `,"paramCount":${jsonNumber(e.paramCount)}`;
  json += `,"durationMs":${jsonMillis(e.durationMs)}`;
  if (e.rows !== undefined) json += `,"rows":${jsonNumber(e.rows)}`;
  if (e.tag !== undefined) json += `,"tag":${jsonString(e.tag)}`;
  if (e.error !== undefined) {
    json += ',"error":{';
    if (e.error.code !== undefined) json += `"code":${jsonString(e.error.code)},`;
    json += `"message":${jsonString(e.error.message)}}`;
  }
  if (e.truncated) json += ',"truncated":true';
  return json + '}';
}
