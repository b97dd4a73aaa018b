/**
 * Untrusted text made safe to print on a terminal: every code point that a
 * terminal would obey rather than show becomes a visible escape.
 *
 * A C0 control or DEL is shown as `\xNN` (carriage return as `\r`) and a C1
 * control as `\uNNNN`, as psql shows them. Bidirectional controls and
 * overrides (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069), the line and
 * paragraph separators U+2028/U+2029 and lone surrogates are shown as
 * `\uNNNN` too, so text can neither reorder what is shown around it nor break
 * the output's UTF-8.
 *
 * Invariant: `safeLine(s)` holds no C0 or C1 control (tab only when the
 * caller keeps it), no DEL, no bidirectional control and no lone surrogate.
 */

function hex(cp: number, digits: number): string {
  return cp.toString(16).toUpperCase().padStart(digits, '0');
}

function isUnsafeFormat(cp: number): boolean {
  return (
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0xd800 && cp <= 0xdfff)
  );
}

/** The visible stand-in for a code point that must not reach a terminal raw; undefined when it is safe as it is. */
export function escapeCodePoint(cp: number): string | undefined {
  if (cp === 0x0d) return '\\r';
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp >= 0x80 && cp < 0xa0) return `\\u${hex(cp, 4)}`;
  if (isUnsafeFormat(cp)) return `\\u${hex(cp, 4)}`;
  return undefined;
}

/** Printable ASCII only: one column per character and nothing to escape (the common case, checked first). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Strings up to this long are looked at a character at a time: for a number or a name, the call
 * into the regular expression costs more than the loop (8 characters: 19 against 34 ns; 32: 64
 * against 37).
 */
const SHORT_TEXT = 8;

/** True when `text` is printable ASCII only: one line, one column per character, nothing to escape. */
export function isPrintableAscii(text: string): boolean {
  if (text.length > SHORT_TEXT) return PRINTABLE_ASCII.test(text);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** One line of output: every unsafe code point escaped, tabs too unless `keepTabs`. */
export function safeLine(text: string, keepTabs = false): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  let out = '';
  let start = 0;
  let i = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const esc = cp === 0x09 && keepTabs ? undefined : escapeCodePoint(cp);
    if (esc !== undefined) {
      out += text.slice(start, i) + esc;
      start = i + ch.length;
    }
    i += ch.length;
  }
  return start === 0 ? text : out + text.slice(start);
}

/**
 * JSON text with what `JSON.stringify` leaves raw escaped as well: DEL, C1
 * controls, bidirectional controls and U+2028/U+2029 become `\u00XX` /
 * `\u202e`. These code points occur only inside JSON strings, where an escape
 * means the same character, so the result parses to the same value.
 */
export function safeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
