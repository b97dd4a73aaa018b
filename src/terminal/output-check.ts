/**
 * An independent check of what `TerminalOutputFilter` lets through, for its
 * tests and the end-to-end tests of `recordings play`. Written apart from the
 * filter's parser, from the list of what must never reach the auditor's
 * terminal; it returns one line per problem found, none for safe output.
 */

const MOUSE_AND_FOCUS_MODES = new Set([9, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1015, 1016]);
const CSI_SHAPE = /^([<=>?]?)([0-9:;]*)([\x20-\x2f]*)([\x40-\x7e])/;
const ESC_SHAPE = /^([\x20-\x2f]*)([\x30-\x7e])/;

export function outputProblems(out: Uint8Array): string[] {
  const problems: string[] = [];
  const s = Buffer.from(out.buffer, out.byteOffset, out.length).toString('latin1');
  let i = 0;
  while (i < out.length) {
    const b = out[i]!;
    if (b >= 0x80) {
      const [length, cp] = utf8At(out, i);
      if (length === 0) {
        if (b <= 0x9f) problems.push(`raw C1 byte 0x${b.toString(16)} at ${i}`);
        i++;
      } else {
        if (cp <= 0x9f) problems.push(`C1 control U+${cp.toString(16).padStart(4, '0')} at ${i}`);
        i += length;
      }
    } else if (b === 0x1b) {
      const [length, problem] = escapeAt(s.slice(i + 1, i + 1 + 400));
      if (problem) problems.push(`${problem} at ${i}`);
      i += 1 + length;
    } else {
      if ((b < 0x07 || (b > 0x0f && b < 0x20)) || b === 0x7f) problems.push(`control 0x${b.toString(16)} at ${i}`);
      i++;
    }
  }
  return problems;
}

/** The length and code point of the strictly valid UTF-8 character at `i`; length 0 when there is none. */
function utf8At(b: Uint8Array, i: number): [number, number] {
  const lead = b[i]!;
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > b.length) return [0, 0];
  let cp = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const c = b[i + k]!;
    if ((c & 0xc0) !== 0x80) return [0, 0];
    cp = (cp << 6) | (c & 0x3f);
  }
  const min = [0, 0, 0x80, 0x800, 0x10000][length]!;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [0, 0];
  return [length, cp];
}

/** What follows an ESC: the length of the sequence's rest and what is wrong with it, if anything. */
function escapeAt(rest: string): [number, string | undefined] {
  if (rest === '') return [0, 'ESC at the end of the output'];
  if (']PX^_'.includes(rest[0]!)) return [1, `control string ESC ${rest[0]}`];
  if (rest[0] === '[') {
    const m = CSI_SHAPE.exec(rest.slice(1));
    if (!m) return [1, `incomplete CSI ${JSON.stringify(rest.slice(0, 20))}`];
    return [1 + m[0].length, csiProblem(m[1]!, m[2]!, m[3]!, m[4]!)];
  }
  const m = ESC_SHAPE.exec(rest);
  if (!m) return [0, `incomplete escape ${JSON.stringify(rest.slice(0, 10))}`];
  const [, intermediates, final] = m;
  if (intermediates === '' && 'Zc\\'.includes(final!)) return [m[0].length, `ESC ${final}`];
  if (intermediates!.startsWith(' ') || intermediates!.startsWith('%')) return [m[0].length, `ESC ${intermediates}${final}`];
  return [m[0].length, undefined];
}

function csiProblem(marker: string, params: string, intermediates: string, final: string): string | undefined {
  const seq = `CSI ${marker}${params}${intermediates}${final}`;
  if ('<=>'.includes(marker) && marker !== '') return seq;
  if (intermediates === '' && 'nctxqiy'.includes(final)) return seq;
  if (['$p', '*y', '#|', ' t', ' u'].includes(intermediates + final)) return seq;
  const values = params.split(/[;:]/).map(Number);
  if (marker === '?' && 'hl'.includes(final) && values.some((v) => MOUSE_AND_FOCUS_MODES.has(v))) return seq;
  if (marker === '?' && !'hlJK'.includes(final)) return seq;
  if (marker === '' && intermediates === '' && 'hl'.includes(final) && values.some((v) => v === 2 || v === 12)) return seq;
  if ('J'.includes(final) && values.includes(3)) return seq;
  return undefined;
}
