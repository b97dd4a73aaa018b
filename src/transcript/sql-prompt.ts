/**
 * The prompts psql would show in front of each line of a statement typed
 * over several lines. psql's default prompts are `%/%R%x%# ` for both the
 * first and the continuation lines, where %R is `=` on a fresh statement and
 * on later lines tells what is still open: `-` a statement, `(` a
 * parenthesis, `'` a quoted string, `"` a quoted identifier, `$` a
 * dollar-quoted string, `*` a block comment. So `app=> ` continues as
 * `app-> `, `app(> `, `app'> ` and so on, and a line that starts a new
 * statement (the previous one ended with `;`) gets `app=> ` again.
 *
 * Invariants:
 * - one state per line break of the text, computed in a single pass;
 * - the scan follows PostgreSQL's lexical rules closely enough for display
 *   (standard_conforming_strings on); it never throws on malformed SQL.
 */
import { displayWidth } from './display.js';

/** psql's %R for a line: what was still open when the line began. */
export type LineState = '=' | '-' | '(' | "'" | '"' | '$' | '*';

type Mode = 'normal' | 'quote' | 'equote' | 'ident' | 'dollar' | 'comment' | 'line-comment';

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** The state at the start of each line after the first (one per `\n`). */
export function lineStates(text: string): LineState[] {
  const states: LineState[] = [];
  let mode: Mode = 'normal';
  let parens = 0;
  let commentDepth = 0;
  let tag = '';
  let pending = false; // a statement has begun and not ended with `;`
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '\n') {
      if (mode === 'line-comment') mode = 'normal';
      states.push(stateOf(mode, parens, pending));
      i++;
      continue;
    }
    switch (mode) {
      case 'line-comment':
        i++;
        break;
      case 'comment':
        if (c === '/' && next === '*') {
          commentDepth++;
          i += 2;
        } else if (c === '*' && next === '/') {
          i += 2;
          if (--commentDepth === 0) mode = 'normal';
        } else i++;
        break;
      case 'quote':
      case 'ident': {
        const q = mode === 'quote' ? "'" : '"';
        if (c === q) {
          if (next === q) i += 2;
          else {
            mode = 'normal';
            i++;
          }
        } else i++;
        break;
      }
      case 'equote':
        if (c === '\\') i += next === '\n' || next === undefined ? 1 : 2;
        else if (c === "'") {
          if (next === "'") i += 2;
          else {
            mode = 'normal';
            i++;
          }
        } else i++;
        break;
      case 'dollar':
        if (c === '$' && text.startsWith(tag, i)) {
          mode = 'normal';
          i += tag.length;
        } else i++;
        break;
      case 'normal': {
        if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
          i++;
          break;
        }
        if (c === '-' && next === '-') {
          mode = 'line-comment';
          i += 2;
          break;
        }
        if (c === '/' && next === '*') {
          mode = 'comment';
          commentDepth = 1;
          i += 2;
          break;
        }
        if (c === ';' && parens === 0) {
          pending = false;
          i++;
          break;
        }
        pending = true;
        if (c === "'") {
          mode = 'quote';
          i++;
        } else if (c === '"') {
          mode = 'ident';
          i++;
        } else if (c === '(') {
          parens++;
          i++;
        } else if (c === ')') {
          parens = Math.max(0, parens - 1);
          i++;
        } else if (c === '$') {
          const m = TAG.exec(text.slice(i, i + 64));
          if (m) {
            tag = m[0];
            mode = 'dollar';
            i += tag.length;
          } else i++;
        } else if (IDENT_START.test(c)) {
          // A word; E'...' opens a string with backslash escapes.
          const start = i;
          while (i < n && IDENT_CHAR.test(text[i]!)) i++;
          if (i - start === 1 && (c === 'E' || c === 'e') && text[i] === "'") {
            mode = 'equote';
            i++;
          }
        } else i++;
        break;
      }
    }
  }
  return states;
}

function stateOf(mode: Mode, parens: number, pending: boolean): LineState {
  switch (mode) {
    case 'quote':
    case 'equote':
      return "'";
    case 'ident':
      return '"';
    case 'dollar':
      return '$';
    case 'comment':
      return '*';
    default:
      return parens > 0 ? '(' : pending ? '-' : '=';
  }
}

const PSQL_PROMPT = /^(.*)=([*!?]?[#>] ?)$/s;

/**
 * The prompt for a line in `state`, given the primary prompt: psql's
 * `app=> ` with `=` replaced by the state; a prompt of another shape gets
 * `-> ` right-aligned to its width (as the mysql client does).
 */
export function promptFor(prompt: string, state: LineState): string {
  if (state === '=') return prompt;
  const m = PSQL_PROMPT.exec(prompt);
  if (m) return `${m[1]}${state}${m[2]}`;
  return ' '.repeat(Math.max(0, displayWidth(prompt) - 3)) + '-> ';
}
