/**
 * What a statement's text needs where it is shown: a terminal shows
 * printable ASCII as it is, and JSON.stringify leaves plain text (printable
 * ASCII without `"` or `\`) as it is between its quotes. A statement's text
 * is looked at twice, for its line in the transcript and for its query
 * event; a PrintableMemo remembers what it found of the last string it was
 * asked about, so the text is scanned once. A prepared statement's text is
 * shown at every execute: its facts, found once (`textFacts`), are handed to
 * the memo (`note`) before each, and it is not scanned again.
 *
 * Invariant: `printable(s)` and `plain(s)` are exactly what they say of
 * `s`, whatever was asked or noted before (strings compare by value, and
 * facts carry the text they were found for).
 */
import { isPrintableAscii } from '../terminal/escape.js';

/** What a text is, found once: see `textFacts`. */
export interface TextFacts {
  readonly text: string;
  readonly printable: boolean;
  readonly plain: boolean;
}

/** The facts of `text`, to be noted wherever it is shown again. */
export function textFacts(text: string): TextFacts {
  const printable = isPrintableAscii(text);
  return { text, printable, plain: printable && noQuoteOrBackslash(text) };
}

export class PrintableMemo {
  private last = '';
  private lastPrintable = true;
  /** Whether the last string is plain; undefined until asked. */
  private lastPlain: boolean | undefined = true;

  printable(s: string): boolean {
    if (s !== this.last) this.forget(s);
    return this.lastPrintable;
  }

  /** Printable, and without `"` or `\`: what JSON.stringify leaves as it is between its quotes. */
  plain(s: string): boolean {
    if (s !== this.last) this.forget(s);
    return (this.lastPlain ??= this.lastPrintable && noQuoteOrBackslash(s));
  }

  /** The next questions about `facts.text` are answered from its facts. */
  note(facts: TextFacts): void {
    this.last = facts.text;
    this.lastPrintable = facts.printable;
    this.lastPlain = facts.plain;
  }

  private forget(s: string): void {
    this.last = s;
    this.lastPrintable = isPrintableAscii(s);
    this.lastPlain = undefined;
  }
}

/** Statement texts, asked about by the transcript's statement line and then by the statement's event. */
export const statementTexts = new PrintableMemo();

/** Tells the statement texts' memo what `facts.text` is, before its line or its event is made. */
export function noteStatementText(facts: TextFacts): void {
  statementTexts.note(facts);
}

/** Up to this long isPlain loops: 16 characters 25 against 49 ns, 24 characters 68 against 35. */
const PLAIN_LOOP = 16;

/** Plain text, asked about once. */
export function isPlain(s: string): boolean {
  if (s.length > PLAIN_LOOP) return isPrintableAscii(s) && noQuoteOrBackslash(s);
  // A short string (a parameter's value, a tag) in one pass: cheaper than three calls into V8.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

function noQuoteOrBackslash(s: string): boolean {
  return !s.includes('"') && !s.includes('\\');
}
