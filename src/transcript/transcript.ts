/**
 * Writes a database session as the person at the keyboard would have seen
 * it in psql: the statement after its prompt, the result table or command
 * tag, errors and notices with psql's `LINE n:` pointer, asynchronous
 * notifications, and the gateway's own notes as `--` comment lines.
 * Protocol-neutral: each method returns terminal text for the caller to
 * write to the session's tty stream.
 *
 * Invariants:
 * - every string returned is whole lines, each ending "\r\n", or empty;
 * - no returned string holds a control character other than those line
 *   ends (and tabs inside statement lines): values from the server or the
 *   client are escaped (display.ts), never passed to the terminal raw;
 * - every piece of a value shown is bounded: a statement to
 *   MAX_STATEMENT_CHARS, parameters to maxParamChars code points each and
 *   MAX_SHOWN_PARAMS of them, table cells to maxCellWidth columns.
 */
import { DEFAULT_MAX_CELL_WIDTH, ELLIPSIS, charWidth, escapeCodePoint, isPrintableAscii, safeLine, safeLines } from './display.js';
import { statementTexts } from './plain-text.js';
import { type LineState, lineStates, promptFor } from './sql-prompt.js';
import { type TableInput, renderTable } from './table.js';

const CRLF = '\r\n';

/** UTF-16 units of a statement shown; a longer one is cut, and a note says so. */
export const MAX_STATEMENT_CHARS = 64 * 1024;

/** Parameters shown on the `-- $1 = …` line; the rest are counted. */
export const MAX_SHOWN_PARAMS = 64;

/** A server's error or notice, with PostgreSQL's field names. */
export interface ServerMessage {
  /** ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG. */
  severity: string;
  /** SQLSTATE; psql does not show it by default, and neither does this. */
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  /** 1-based character position of the error in the statement. */
  position?: number;
  /** The internally generated query the error arose in (QUERY). */
  internalQuery?: string;
  /** Call stack traceback (CONTEXT); psql shows it for errors only. */
  context?: string;
}

export interface TranscriptOptions {
  /** Columns a table cell may take before it is cut; default 200. */
  maxCellWidth?: number;
  /** Code points of a parameter value shown; default 200. */
  maxParamChars?: number;
}

function lines(texts: string[]): string {
  return texts.map((t) => t + CRLF).join('');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function count(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}

/** A parameter as an SQL literal: `'42'`, `NULL`, or `E'a\nb'` when it holds characters that must be escaped. */
export function quoteParam(value: string | null, maxChars = DEFAULT_MAX_CELL_WIDTH): string {
  if (value === null) return 'NULL';
  // Printable ASCII (the common case): one code point per character, nothing to escape.
  const keep = Math.max(0, Math.ceil(maxChars));
  const head = value.length > keep ? value.slice(0, keep) : value;
  if (isPrintableAscii(head)) {
    // replaceAll looks up Symbol.replace on its pattern, a call into V8's runtime: only when needed.
    const literal = `'${head.includes("'") ? head.replaceAll("'", "''") : head}'`;
    return head.length < value.length ? literal + ELLIPSIS : literal;
  }
  const chars: string[] = [];
  let cut = false;
  for (const ch of value) {
    if (chars.length >= maxChars) {
      cut = true;
      break;
    }
    chars.push(ch);
  }
  const plain = chars.every((ch) => escapeCodePoint(ch.codePointAt(0)!) === undefined);
  let literal: string;
  if (plain) {
    literal = `'${chars.join('').replaceAll("'", "''")}'`;
  } else {
    // E'' syntax keeps an escape such as \x1B apart from the same four characters typed.
    const body = chars.map((ch) => {
      if (ch === "'") return "''";
      if (ch === '\\') return '\\\\';
      if (ch === '\n') return '\\n';
      if (ch === '\t') return '\\t';
      return escapeCodePoint(ch.codePointAt(0)!) ?? ch;
    });
    literal = `E'${body.join('')}'`;
  }
  return cut ? literal + ELLIPSIS : literal;
}

/**
 * libpq's reportErrorPosition: the line of `query` holding character
 * `position` (1-based), cut to about 60 columns around it, and a caret
 * under it. Tabs are shown as one space; controls escaped, the caret
 * counting their escapes.
 */
export function errorPosition(query: string, position: number): string[] {
  const DISPLAY_SIZE = 60;
  const MIN_RIGHT_CUT = 10;
  const loc = Math.floor(position) - 1;
  if (!(loc >= 0)) return [];
  const shown: string[] = [];
  const scr: number[] = [];
  let scroffset = 0;
  let locLine = 1;
  let ibeg = 0;
  let iend = -1;
  let cno = 0;
  let prev = '';
  for (const ch of query) {
    scr[cno] = scroffset;
    let w = 1;
    if (ch === '\r' || ch === '\n') {
      if (cno < loc) {
        if (ch === '\r' || cno === 0 || prev !== '\r') locLine++;
        ibeg = cno + 1;
      } else {
        iend = cno;
        break;
      }
      shown[cno] = '';
    } else if (ch === '\t') {
      shown[cno] = ' ';
    } else {
      const cp = ch.codePointAt(0)!;
      const esc = escapeCodePoint(cp);
      shown[cno] = esc ?? ch;
      w = esc !== undefined ? esc.length : Math.max(1, charWidth(cp));
    }
    scroffset += w;
    prev = ch;
    cno++;
  }
  if (iend < 0) {
    iend = cno;
    scr[iend] = scroffset;
  }
  if (loc > cno) return [];
  const at = (i: number): number => scr[i] ?? 0;
  let begTrunc = false;
  let endTrunc = false;
  if (at(iend) - at(ibeg) > DISPLAY_SIZE) {
    if (at(ibeg) + DISPLAY_SIZE >= at(loc) + MIN_RIGHT_CUT) {
      while (at(iend) - at(ibeg) > DISPLAY_SIZE) iend--;
      endTrunc = true;
    } else {
      while (at(loc) + MIN_RIGHT_CUT < at(iend)) {
        iend--;
        endTrunc = true;
      }
      while (at(iend) - at(ibeg) > DISPLAY_SIZE) {
        ibeg++;
        begTrunc = true;
      }
    }
  }
  const prefix = `LINE ${locLine}: ${begTrunc ? '...' : ''}`;
  const line = prefix + shown.slice(ibeg, iend).join('') + (endTrunc ? '...' : '');
  return [line, ' '.repeat(prefix.length + at(loc) - at(ibeg)) + '^'];
}

export class Transcript {
  private readonly maxCellWidth: number;
  private readonly maxParamChars: number;
  /** The last prompt given and its safe form: a session's prompt seldom changes, and is shown per statement. */
  private lastPrompt = '';
  private lastSafePrompt = '';

  constructor(options: TranscriptOptions = {}) {
    this.maxCellWidth = options.maxCellWidth ?? DEFAULT_MAX_CELL_WIDTH;
    this.maxParamChars = options.maxParamChars ?? DEFAULT_MAX_CELL_WIDTH;
  }

  /**
   * The statement after its prompt, as typed: later lines after the
   * continuation prompt, which is `continuationPrompt` when given, else
   * derived from `prompt` the way psql does (`app=> ` → `app-> `, `app(> `,
   * `app'> `…, and `app=> ` again for a line starting a new statement).
   */
  statement(prompt: string, text: string, continuationPrompt?: string): string {
    if (prompt !== this.lastPrompt) {
      this.lastPrompt = prompt;
      this.lastSafePrompt = safeLine(prompt);
    }
    const first = this.lastSafePrompt;
    // One line of printable ASCII (the common case): nothing to cut, escape or continue.
    if (text.length <= MAX_STATEMENT_CHARS && statementTexts.printable(text)) return first + text.trimEnd() + CRLF;
    let cut = '';
    if (text.length > MAX_STATEMENT_CHARS) {
      let end = MAX_STATEMENT_CHARS;
      if (/[\ud800-\udbff]/.test(text[end - 1]!)) end--;
      cut = this.note(`statement cut: ${text.length} characters, first ${end} shown`);
      text = text.slice(0, end);
    }
    const trimmed = text.replace(/[ \t\r\n]+$/, '');
    const body = safeLines(trimmed, true);
    let states: LineState[] = [];
    // A one-line statement (the common case) needs no continuation prompts.
    if (continuationPrompt === undefined && body.length > 1) states = lineStates(trimmed.replace(/\r\n/g, '\n'));
    const next = continuationPrompt === undefined ? undefined : safeLine(continuationPrompt);
    return lines(body.map((line, i) => (i === 0 ? first : (next ?? promptFor(first, states[i - 1] ?? '-'))) + line)) + cut;
  }

  /** The bound parameters as one comment line: `-- $1 = '42', $2 = NULL`; empty when there are none. */
  parameters(params: readonly (string | null)[]): string {
    if (params.length === 0) return '';
    const shown = Math.min(params.length, MAX_SHOWN_PARAMS);
    let line = '--';
    for (let i = 0; i < shown; i++) line += `${i === 0 ? ' ' : ', '}$${i + 1} = ${quoteParam(params[i]!, this.maxParamChars)}`;
    const more = params.length - shown;
    if (more > 0) line += `, ${ELLIPSIS} (${plural(more, 'more parameter', 'more parameters')})`;
    return line + CRLF;
  }

  /** A result set as psql prints it; see renderTable. */
  table(t: TableInput): string {
    return renderTable({ ...t, maxCellWidth: t.maxCellWidth ?? this.maxCellWidth });
  }

  /** The command tag psql prints for a statement that returns no rows: `INSERT 0 1`, `CREATE TABLE`. */
  commandTag(tag: string): string {
    return safeLine(tag) + CRLF;
  }

  /**
   * An error as psql prints it: `ERROR:  message`, then, when the position
   * is known and `statement` given, the `LINE n:` excerpt with its caret,
   * then DETAIL, HINT, QUERY and CONTEXT.
   */
  error(e: ServerMessage, statement?: string): string {
    return this.message(e, statement, true);
  }

  /** A notice (or warning) as psql prints it; like error() without CONTEXT. */
  notice(n: ServerMessage, statement?: string): string {
    return this.message(n, statement, false);
  }

  /** psql's report of a NOTIFY received. */
  notification(channel: string, payload: string, pid: number): string {
    const ch = safeLine(channel);
    const from = `received from server process with PID ${count(pid)}.`;
    return lines([
      payload === ''
        ? `Asynchronous notification "${ch}" ${from}`
        : `Asynchronous notification "${ch}" with payload "${safeLine(payload)}" ${from}`,
    ]);
  }

  /** That COPY data went by without being recorded: `-- COPY data: 81920 bytes from client (not recorded)`. */
  copy(direction: 'in' | 'out', bytes: number, rows?: number): string {
    const amount = plural(count(bytes), 'byte', 'bytes') + (rows === undefined ? '' : `, ${plural(count(rows), 'row', 'rows')}`);
    return lines([`-- COPY data: ${amount} ${direction === 'in' ? 'from client' : 'from server'} (not recorded)`]);
  }

  /**
   * A note from the gateway itself: `-- recgate: session terminated: …`, one per line of
   * `text`. A text already saying `recgate: ` (as what the client is told does) says it once.
   */
  note(text: string): string {
    return lines(safeLines(text.replace(/^recgate: /, '')).map((line) => `-- recgate: ${line}`));
  }

  private message(e: ServerMessage, statement: string | undefined, isError: boolean): string {
    const out: string[] = [];
    const position = e.position !== undefined && Number.isFinite(e.position) ? Math.floor(e.position) : undefined;
    let head = `${e.severity}:  ${e.message}`;
    if (position !== undefined && statement === undefined) head += ` at character ${position}`;
    out.push(...safeLines(head));
    if (position !== undefined && statement !== undefined) out.push(...errorPosition(statement, position));
    const field = (label: string, value: string | undefined): void => {
      if (value !== undefined) out.push(...safeLines(`${label}:  ${value}`));
    };
    field('DETAIL', e.detail);
    field('HINT', e.hint);
    field('QUERY', e.internalQuery);
    if (isError) field('CONTEXT', e.context);
    return lines(out);
  }
}
