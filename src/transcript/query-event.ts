/**
 * Builds the `query` event recorded once per statement a database session
 * ran, beside its terminal transcript:
 *
 *   { type: 'query', database?, text, params?, paramCount?, durationMs,
 *     rows?, tag?, error?: { code?, message }, truncated? }
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

export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_PARAMS = 64;
export const MAX_PARAM_BYTES = 1024;
export const MAX_FIELD_BYTES = 1024;

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
  if (s.length * 3 <= maxBytes) return { text: s, cut: false };
  const room = Math.max(0, Math.floor(maxBytes));
  const { read } = encoder.encodeInto(s, room <= scratch.length ? scratch.subarray(0, room) : new Uint8Array(room));
  return read >= s.length ? { text: s, cut: false } : { text: s.slice(0, read), cut: true };
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
  const text = cutUtf8(q.text, MAX_TEXT_BYTES);
  let truncated = q.truncated === true || text.cut;
  let params: (string | null)[] | undefined;
  if (q.params !== undefined) {
    params = q.params.slice(0, MAX_PARAMS).map((p) => {
      if (p === null) return null;
      const v = cutUtf8(p, MAX_PARAM_BYTES);
      truncated ||= v.cut;
      return v.text;
    });
    truncated ||= q.params.length > MAX_PARAMS;
  }
  const error = q.error;
  return {
    type: 'query',
    ...(q.database !== undefined ? { database: cutUtf8(q.database, MAX_FIELD_BYTES).text } : {}),
    text: text.text,
    ...(params !== undefined ? { params } : {}),
    ...(q.params !== undefined && q.params.length > MAX_PARAMS ? { paramCount: q.params.length } : {}),
    durationMs: millis(q.durationMs),
    ...(q.rows !== undefined ? { rows: Math.floor(nonNegative(q.rows)) } : {}),
    ...(q.tag !== undefined ? { tag: cutUtf8(q.tag, MAX_FIELD_BYTES).text } : {}),
    ...(error !== undefined
      ? {
          error: {
            ...(error.code !== undefined ? { code: cutUtf8(error.code, MAX_FIELD_BYTES).text } : {}),
            message: cutUtf8(error.message, MAX_FIELD_BYTES).text,
          },
        }
      : {}),
    ...(truncated ? { truncated: true as const } : {}),
  };
}
