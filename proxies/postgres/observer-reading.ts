/**
 * What the PostgreSQL observer (observer.ts) reads of a message beyond its
 * decoder: the start of a message a decoder refused or the framer cut
 * short, the rows a command tag reports, and an error's fields as the
 * transcript shows them. Pure functions of a message body or its fields.
 */
import type { ServerMessage } from '../../src/transcript/index.js';
import type { FieldDescription, NoticeFields } from './protocol/backend.js';
import { decodeQuery } from './protocol/frontend.js';
import { utf8Slice } from '../../src/node-buffer.js';

/** A Parse that cannot be read whole: its name and as much of its text as there is. */
export function cutParse(body: Buffer): { statement: string; query: string; paramTypes: number[] } {
  const [statement, query] = leadingStrings(body, 2);
  return { statement: statement!, query: query!, paramTypes: [] };
}

/** A Query's text; one a decoder refuses, up to its first 0x00. */
export function queryText(body: Buffer): string {
  try {
    return decodeQuery(body).query;
  } catch {
    return leadingStrings(body, 1)[0]!;
  }
}

/**
 * queryText(bytes.subarray(start, end)), read where it lies: the text when the body is one
 * string and its terminator, else what queryText makes of it.
 */
export function queryTextAt(bytes: Buffer, start: number, end: number): string {
  return end > start && bytes.indexOf(0, start) === end - 1 ? utf8Slice(bytes, start, end - 1) : queryText(bytes.subarray(start, end));
}

/**
 * decode(body), or undefined when the message cannot be read. Given the decoder rather than a
 * closure around the call: a function with a closure over its message allocates a context for
 * it on every call, whichever branch it takes, and these decode per message.
 */
export function decoded<T>(decode: (body: Buffer) => T, body: Buffer): T | undefined {
  try {
    return decode(body);
  } catch {
    return undefined;
  }
}

/** The first `n` strings of a body a decoder refused, each up to its 0x00 or the body's end. */
export function leadingStrings(body: Buffer, n: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = body.indexOf(0, at);
    out.push(body.toString('utf8', at, end < 0 ? body.length : end));
    at = end < 0 ? body.length : end + 1;
  }
  return out;
}

/** A DataRow the framer cut short: the columns that arrived, the last maybe in part (`cut`, -1 if none was). */
export function dataRowPrefix(body: Buffer): { values: (Buffer | null)[]; cut: number } {
  const values: (Buffer | null)[] = [];
  const n = body.length >= 2 ? body.readUInt16BE(0) : 0;
  let at = 2;
  while (values.length < n) {
    if (at + 4 > body.length) return { values, cut: values.length };
    const length = body.readInt32BE(at);
    at += 4;
    if (length < 0) {
      values.push(null);
      continue;
    }
    values.push(body.subarray(at, Math.min(at + length, body.length)));
    if (at + length > body.length) return { values, cut: values.length - 1 };
    at += length;
  }
  return { values, cut: -1 };
}

function unnamedField(i: number): FieldDescription {
  return { name: `?column${i + 1}?`, tableOid: 0, column: 0, typeOid: 0, typeSize: -1, typeModifier: -1, format: 0 };
}

/** The columns of a row no RowDescription described, named by position. */
export function unnamedFields(n: number): FieldDescription[] {
  return Array.from({ length: n }, (_, i) => unnamedField(i));
}

/** Commands whose tag ends with the rows they affected or returned. */
const COUNTING_COMMANDS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'SELECT', 'COPY', 'FETCH', 'MOVE']);

/** Rows a command tag reports: `INSERT 0 5` → 5, `UPDATE 3` → 3, `CREATE TABLE` → 0. Read without regular expressions: this runs per statement. */
export function affectedRows(tag: string): number {
  const space = tag.indexOf(' ');
  if (space < 0 || !COUNTING_COMMANDS.has(tag.slice(0, space))) return 0;
  let digits = tag.length;
  while (digits > 0 && tag.charCodeAt(digits - 1) >= 0x30 && tag.charCodeAt(digits - 1) <= 0x39) digits--;
  return digits < tag.length ? Number(tag.slice(digits)) : 0;
}

export function toServerMessage(e: NoticeFields): ServerMessage {
  const position = e.position === undefined ? undefined : Number(e.position);
  return {
    severity: e.severity,
    code: e.code,
    message: e.message,
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    ...(position !== undefined && Number.isFinite(position) ? { position } : {}),
    ...(e.internalQuery !== undefined ? { internalQuery: e.internalQuery } : {}),
    ...(e.where !== undefined ? { context: e.where } : {}),
  };
}
