/**
 * Finds KILL statements in a COM_QUERY's text, so that the gateway can
 * translate the thread id a client names (the gateway's own connection id,
 * from its greeting) to the target's thread, or refuse it.
 *
 * Syntax (MariaDB Knowledge Base, "KILL"; MySQL Reference Manual 15.7.8.4
 * "KILL Statement"):
 *
 *   KILL [HARD | SOFT] [CONNECTION | QUERY] thread_id
 *   KILL [HARD | SOFT] QUERY ID query_id        (MariaDB)
 *   KILL [HARD | SOFT] USER user_name           (MariaDB)
 *
 * Servers take an expression for the id; through the gateway it must be a
 * plain decimal number, the only form a translation can be checked for.
 * The text is read as the server lexes it: whitespace, `-- ` / `#` / C
 * comments skipped, executable comments (`/*! ... *\/`, `/*M! ... *\/`)
 * read as code, quoted strings and identifiers skipped whole.
 *
 * Result:
 *   none    no KILL anywhere: the query passes unchanged;
 *   kill    a lone KILL of a thread id: scope, the id, and HARD/SOFT if given;
 *   refuse  a KILL the gateway cannot translate (by user, by query id, an
 *           expression, among other statements, inside PREPARE / EXECUTE
 *           IMMEDIATE): the whole query is refused.
 *
 * Invariants: pure; never throws; a query containing the word KILL outside
 * strings, comments and quoted identifiers is never `none`.
 */

export type KillStatement =
  | { kind: 'none' }
  | { kind: 'kill'; scope: 'QUERY' | 'CONNECTION'; id: number; mode?: 'HARD' | 'SOFT' }
  | { kind: 'refuse'; reason: string };

type Token = { t: 'word'; v: string } | { t: 'num'; v: string } | { t: 'str'; v: string } | { t: 'semi' } | { t: 'punct'; v: string };

const NONE: KillStatement = { kind: 'none' };

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}

/** Tokens of the query as the server reads them; comments and whitespace dropped. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (isSpace(c)) {
      i++;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || isSpace(sql[i + 2]!)))) {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      // Executable comments are code to the server: their content is read, their markers skipped.
      let j = i + 2;
      if (sql[j] === 'M' && sql[j + 1] === '!') j += 2;
      else if (sql[j] === '!') j += 1;
      else {
        const end = sql.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
        continue;
      }
      while (j < n && /[0-9]/.test(sql[j]!)) j++;
      i = j;
    } else if (c === '*' && sql[i + 1] === '/') {
      // The end of an executable comment.
      i += 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let v = '';
      for (; j < n; j++) {
        const d = sql[j]!;
        if (d === '\\' && c !== '`' && j + 1 < n) {
          v += sql[++j];
        } else if (d === c) {
          if (sql[j + 1] === c) {
            v += c;
            j++;
          } else break;
        } else v += d;
      }
      i = j + 1;
      // Backquoted names are identifiers, never keywords.
      out.push(c === '`' ? { t: 'punct', v: '`' } : { t: 'str', v });
    } else if (c === ';') {
      out.push({ t: 'semi' });
      i++;
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(sql[j]!)) j++;
      const v = sql.slice(i, j);
      out.push(/^[0-9]+$/.test(v) ? { t: 'num', v } : { t: 'word', v: v.toUpperCase() });
      i = j;
    } else {
      out.push({ t: 'punct', v: c });
      i++;
    }
  }
  return out;
}

const isWord = (tok: Token | undefined, ...words: string[]): boolean => tok?.t === 'word' && words.includes(tok.v);

/** Reads a COM_QUERY's text (see the header). */
export function parseKill(sql: string): KillStatement {
  // Cheap exit for the common case: no "kill" anywhere, in any case.
  if (!/kill/i.test(sql)) return NONE;
  const tokens = tokenize(sql);
  const statements: Token[][] = [[]];
  for (const tok of tokens) {
    if (tok.t === 'semi') statements.push([]);
    else statements.at(-1)!.push(tok);
  }
  const nonEmpty = statements.filter((s) => s.length > 0);
  const hasKillWord = tokens.some((tok) => isWord(tok, 'KILL'));
  // Statements that run text as SQL: a KILL in their string cannot be checked.
  const runsText = nonEmpty.some((s) => (isWord(s[0], 'PREPARE') || (isWord(s[0], 'EXECUTE') && isWord(s[1], 'IMMEDIATE'))) && s.some((tok) => tok.t === 'str' && /\bkill\b/i.test(tok.v)));
  if (runsText) return { kind: 'refuse', reason: 'KILL inside PREPARE or EXECUTE IMMEDIATE is not allowed through the gateway' };
  if (!hasKillWord) return NONE;
  if (nonEmpty.length !== 1 || !isWord(nonEmpty[0]![0], 'KILL')) {
    return { kind: 'refuse', reason: 'KILL must be a statement of its own through the gateway' };
  }
  const s = nonEmpty[0]!;
  let at = 1;
  let mode: 'HARD' | 'SOFT' | undefined;
  if (isWord(s[at], 'HARD', 'SOFT')) mode = (s[at++] as { v: 'HARD' | 'SOFT' }).v;
  let scope: 'QUERY' | 'CONNECTION' = 'CONNECTION';
  if (isWord(s[at], 'USER')) return { kind: 'refuse', reason: 'KILL USER is not allowed through the gateway' };
  if (isWord(s[at], 'QUERY', 'CONNECTION')) scope = (s[at++] as { v: 'QUERY' | 'CONNECTION' }).v;
  if (scope === 'QUERY' && isWord(s[at], 'ID')) return { kind: 'refuse', reason: 'KILL QUERY ID is not allowed through the gateway' };
  const id = s[at];
  if (id?.t !== 'num' || at + 1 !== s.length) return { kind: 'refuse', reason: 'KILL takes a plain thread id through the gateway' };
  const value = Number(id.v);
  if (!Number.isSafeInteger(value) || value > 0xffff_ffff) return { kind: 'refuse', reason: 'KILL takes a plain thread id through the gateway' };
  return mode ? { kind: 'kill', scope, id: value, mode } : { kind: 'kill', scope, id: value };
}

/** The statement the target runs for a translated KILL. */
export function killText(k: { scope: 'QUERY' | 'CONNECTION'; mode?: 'HARD' | 'SOFT' }, thread: number): string {
  return `KILL ${k.mode ? `${k.mode} ` : ''}${k.scope} ${thread}`;
}
