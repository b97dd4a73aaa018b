/**
 * The extended protocol's per-statement messages, read where they lie in a
 * chunk: a driver that prepares its statements (JDBC, pgx, libpq's
 * PQexecPrepared) sends Bind, Describe, Execute and Sync for every
 * statement, one that does not sends a Parse before them, and making a
 * Buffer of each body (frontend.ts's decoders take one) costs more than
 * reading its few bytes. Formats as in frontend.ts:
 *
 *   Parse     'P'  statement:String | query:String | n:Int16 | type oid:Int32 * n
 *   Bind      'B'  portal:String | statement:String | n:Int16 | format:Int16 * n
 *                  | n:Int16 | (length:Int32 (-1 = NULL) | Byten) * n
 *                  | n:Int16 | result format:Int16 * n
 *   Execute   'E'  portal:String | max rows:Int32
 *   Describe  'D'  'S' or 'P':Byte1 | name:String
 *
 * Each reader takes the body at `bytes[start, end)` and gives what
 * frontend.ts's decoder would, or undefined for a body that decoder would
 * refuse: the caller then has the message as a Buffer and the decoder says
 * what is wrong. A Bind's text values come as their text, others (binary,
 * shown by their type) as views of the chunk, as the decoder gives them.
 * Pure functions of the bytes; nothing past `end` is taken for part of the
 * body.
 */

import { formatCode, type Parse, type Target } from './frontend.js';
import { utf8Slice } from '../../../src/node-buffer.js';

/** A Bind read in place: a value in text format as the UTF-8 it is, any other as its bytes. */
export interface BindAt {
  portal: string;
  statement: string;
  /** As sent: none (all text), one (for all), or one per parameter; see formatCode. */
  paramFormats: readonly number[];
  params: (string | Buffer | null)[];
  resultFormats: number[];
}

/** Bytes of a String looked at one by one before the rest is searched natively. */
const NAME_LOOP = 32;

/** Where the String at `at` ends (its 0x00), or -1 when none comes before `end`. */
function terminator(bytes: Buffer, at: number, end: number): number {
  // A name is a few bytes: a loop is cheaper than a call. A statement's text may be long: indexOf.
  const stop = Math.min(end, at + NAME_LOOP);
  for (let i = at; i < stop; i++) if (bytes[i] === 0) return i;
  if (stop === end) return -1;
  const nul = bytes.indexOf(0, stop);
  return nul >= 0 && nul < end ? nul : -1;
}

/** The String from `at` to its terminator `nul`: the unnamed statement or portal costs no decoding. */
function name(bytes: Buffer, at: number, nul: number): string {
  return nul === at ? '' : utf8Slice(bytes, at, nul);
}

const int16 = (bytes: Buffer, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;
const int32 = (bytes: Buffer, at: number): number => (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;

/** decodeParse of the body at `bytes[start, end)`; see the file header. */
export function parseAt(bytes: Buffer, start: number, end: number): Parse | undefined {
  const statementEnd = terminator(bytes, start, end);
  if (statementEnd < 0) return undefined;
  const queryEnd = terminator(bytes, statementEnd + 1, end);
  if (queryEnd < 0 || queryEnd + 3 > end) return undefined;
  const n = int16(bytes, queryEnd + 1);
  let at = queryEnd + 3;
  if (at + 4 * n !== end) return undefined;
  const paramTypes = new Array<number>(n);
  for (let i = 0; i < n; i++, at += 4) paramTypes[i] = int32(bytes, at) >>> 0;
  return { statement: name(bytes, start, statementEnd), query: utf8Slice(bytes, statementEnd + 1, queryEnd), paramTypes };
}

/** No format codes: every value is text (shared by every such Bind). */
const ALL_TEXT: readonly number[] = Object.freeze([]);

/** decodeBind of the body at `bytes[start, end)`, its text values as text; see the file header. */
export function bindAt(bytes: Buffer, start: number, end: number): BindAt | undefined {
  const portalEnd = terminator(bytes, start, end);
  if (portalEnd < 0) return undefined;
  const statementEnd = terminator(bytes, portalEnd + 1, end);
  if (statementEnd < 0) return undefined;
  let at = statementEnd + 1;
  if (at + 2 > end) return undefined;
  const formats = int16(bytes, at);
  at += 2;
  if (at + 2 * formats > end) return undefined;
  let paramFormats = ALL_TEXT;
  if (formats > 0) {
    const codes = new Array<number>(formats);
    for (let i = 0; i < formats; i++, at += 2) codes[i] = (int16(bytes, at) << 16) >> 16;
    paramFormats = codes;
  }
  if (at + 2 > end) return undefined;
  const n = int16(bytes, at);
  at += 2;
  // A count the rest of the body cannot hold (four bytes a value at least) is refused before anything is allocated for it.
  if (at + 4 * n > end) return undefined;
  const params = new Array<string | Buffer | null>(n);
  for (let i = 0; i < n; i++) {
    if (at + 4 > end) return undefined;
    const length = int32(bytes, at);
    at += 4;
    if (length === -1) {
      params[i] = null;
      continue;
    }
    if (length < 0 || at + length > end) return undefined;
    params[i] = formatCode(paramFormats, i) === 0 ? utf8Slice(bytes, at, at + length) : bytes.subarray(at, at + length);
    at += length;
  }
  if (at + 2 > end) return undefined;
  const results = int16(bytes, at);
  at += 2;
  if (at + 2 * results !== end) return undefined;
  const resultFormats = new Array<number>(results);
  for (let i = 0; i < results; i++, at += 2) resultFormats[i] = (int16(bytes, at) << 16) >> 16;
  return { portal: name(bytes, start, portalEnd), statement: name(bytes, portalEnd + 1, statementEnd), paramFormats, params, resultFormats };
}

/** decodeExecute's portal name for the body at `bytes[start, end)`; see the file header. */
export function executePortalAt(bytes: Buffer, start: number, end: number): string | undefined {
  const nul = terminator(bytes, start, end);
  return nul >= 0 && nul + 5 === end ? name(bytes, start, nul) : undefined;
}

/** decodeDescribe of the body at `bytes[start, end)`; see the file header. */
export function describeAt(bytes: Buffer, start: number, end: number): Target | undefined {
  const kind = bytes[start];
  if (end <= start || (kind !== 0x53 && kind !== 0x50)) return undefined;
  const nul = terminator(bytes, start + 1, end);
  if (nul !== end - 1) return undefined;
  return { target: kind === 0x53 ? 'statement' : 'portal', name: name(bytes, start + 1, nul) };
}
