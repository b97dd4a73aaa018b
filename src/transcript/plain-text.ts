/**
 * What a statement's text needs where it is shown: a terminal shows
 * printable ASCII as it is, and JSON.stringify leaves plain text (printable
 * ASCII without `"` or `\`) as it is between its quotes. A statement's text
 * is looked at twice, for its line in the transcript and for its query
 * event; a PrintableMemo remembers whether the last string it was asked
 * about is printable, so the text is scanned once and the event's look
 * costs a comparison and a search for two characters.
 *
 * Invariant: `printable(s)` and `plain(s)` are exactly what they say of
 * `s`, whatever was asked before (strings compare by value).
 */
import { isPrintableAscii } from '../terminal/escape.js';

export class PrintableMemo {
  private last = '';
  private lastPrintable = true;

  printable(s: string): boolean {
    if (s !== this.last) {
      this.last = s;
      this.lastPrintable = isPrintableAscii(s);
    }
    return this.lastPrintable;
  }

  /** Printable, and without `"` or `\`: what JSON.stringify leaves as it is between its quotes. */
  plain(s: string): boolean {
    return this.printable(s) && noQuoteOrBackslash(s);
  }
}

/** Statement texts, asked about by the transcript's statement line and then by the statement's event. */
export const statementTexts = new PrintableMemo();

/** Plain text, asked about once. */
export function isPlain(s: string): boolean {
  return isPrintableAscii(s) && noQuoteOrBackslash(s);
}

function noQuoteOrBackslash(s: string): boolean {
  return !s.includes('"') && !s.includes('\\');
}
