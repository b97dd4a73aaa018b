/**
 * Which complete escape sequences reach the auditor's terminal during
 * `recordings play`, and which terminal modes the passed ones left changed.
 *
 * An allowlist: a sequence is passed only when it draws the screen (cursor
 * motion, erasing, scrolling, colours and attributes, character sets, the
 * alternate screen). Everything else is dropped, in particular whatever makes
 * the terminal answer (device status, attributes, mode and version queries),
 * act on the auditor's machine (window operations, printer, keyboard LEDs and
 * modes, UTF-8 switching) or send input (mouse and focus reporting).
 *
 * Sequences arrive here only in 7-bit form, as the parser held them:
 *
 *   ESC I* F                       I: 0x20-0x2F  F: 0x30-0x7E
 *   ESC [ M? P* I* F               M: one of < = > ?   P: 0-9 : ;   F: 0x40-0x7E
 */

/** `true`: pass the sequence as it came; a string: pass this shorter form instead; `null`: drop it. */
export type Verdict = true | string | null;

/** DEC private modes passed by DECSET/DECRST; mouse, focus and key-encoding modes are not among them. */
const KEPT_DEC_MODES = new Set([1, 4, 5, 6, 7, 12, 25, 45, 47, 66, 69, 1047, 1048, 1049, 2004, 2026]);

/** The state each tracked DEC mode has on a terminal nobody changed (alternate screens apart). */
const DEC_DEFAULTS = new Map<number, boolean>([
  [1, false], // application cursor keys
  [5, false], // reverse video
  [6, false], // origin mode
  [7, true], // autowrap
  [25, true], // cursor visible
  [45, false], // reverse wraparound
  [66, false], // application keypad (DECNKM)
  [69, false], // left and right margins
  [2004, false], // bracketed paste
  [2026, false], // synchronized output
]);

const ALT_SCREENS = new Set([47, 1047, 1049]);

/** REP asking for more repeats than this is dropped (a terminal would spend itself drawing them). */
const MAX_REPEAT = 65535;

const ESC = '\x1b';
const CSI = '\x1b[';

/** What the passed sequences changed on the auditor's terminal, and how to put it back. */
export class TerminalModes {
  private readonly dec = new Map<number, boolean>();
  private altScreen = 0;
  private region = false;
  private insert = false;
  private appKeypad = false;
  private charsets = false;
  private cursorStyle = false;
  private sgr = false;

  decMode(mode: number, on: boolean): void {
    if (ALT_SCREENS.has(mode)) this.altScreen = on ? mode : 0;
    else if (DEC_DEFAULTS.has(mode)) this.dec.set(mode, on);
  }

  ansiMode(mode: number, on: boolean): void {
    if (mode === 4) this.insert = on;
  }

  keypad(application: boolean): void {
    this.appKeypad = application;
  }

  charset(): void {
    this.charsets = true;
  }

  scrollRegion(params: string): void {
    this.region = !allZero(params);
  }

  graphicRendition(params: string): void {
    this.sgr = !allZero(params);
  }

  cursorShape(params: string): void {
    this.cursorStyle = !allZero(params);
  }

  /** DECSTR: the soft reset puts these back to their defaults itself. */
  softReset(): void {
    for (const mode of [1, 6, 25, 66]) this.dec.delete(mode);
    this.region = this.insert = this.appKeypad = this.charsets = this.sgr = false;
  }

  /**
   * The bytes that undo every tracked change, in an order that works: margins
   * before leaving the alternate screen (they are not per screen), attributes
   * last (leaving mode 1049 and DECRC restore saved ones). Empty when nothing
   * changed. The tracking starts over afterwards.
   */
  restore(): string {
    let out = '';
    const changed = (mode: number): boolean => this.dec.has(mode) && this.dec.get(mode) !== DEC_DEFAULTS.get(mode);
    if (changed(2026)) out += `${CSI}?2026l`;
    const origin = changed(6);
    if (this.region || origin) {
      // Resetting margins or origin mode homes the cursor; on the main screen it is put back
      // with DECSC/DECRC, which cannot be used while origin mode is on (DECRC restores it).
      if (origin || this.altScreen === 1049) out += (origin ? `${CSI}?6l` : '') + (this.region ? `${CSI}r` : '');
      else out += `${ESC}7${CSI}r${ESC}8`;
    }
    if (this.altScreen !== 0) out += `${CSI}?${this.altScreen}l`;
    const set: number[] = [];
    const reset: number[] = [];
    for (const [mode, on] of this.dec) {
      if (mode === 6 || mode === 2026 || on === DEC_DEFAULTS.get(mode)) continue;
      (on ? reset : set).push(mode);
    }
    if (set.length > 0) out += `${CSI}?${set.join(';')}h`;
    if (reset.length > 0) out += `${CSI}?${reset.join(';')}l`;
    if (this.insert) out += `${CSI}4l`;
    if (this.appKeypad) out += `${ESC}>`;
    if (this.charsets) out += `\x0f${ESC}(B${ESC})B`;
    if (this.cursorStyle) out += `${CSI}0 q`;
    if (this.sgr) out += `${CSI}0m`;
    this.dec.clear();
    this.altScreen = 0;
    this.region = this.insert = this.appKeypad = this.charsets = this.cursorStyle = this.sgr = false;
    return out;
  }
}

function allZero(params: string): boolean {
  return /^[0;]*$/.test(params);
}

/** ESC I* F: cursor save/restore, index, reverse index, keypad modes, character sets, line sizes. */
export function escVerdict(intermediates: string, final: string, modes: TerminalModes): Verdict {
  if (intermediates === '') {
    switch (final) {
      case '7': // DECSC
      case '8': // DECRC
      case '6': // DECBI
      case '9': // DECFI
      case 'D': // IND
      case 'E': // NEL
      case 'H': // HTS
      case 'M': // RI
      case 'N': // SS2
      case 'O': // SS3
        return true;
      case '=':
      case '>':
        modes.keypad(final === '=');
        return true;
      case 'n': // LS2
      case 'o': // LS3
      case '|': // LS3R
      case '}': // LS2R
      case '~': // LS1R
        modes.charset();
        return true;
      default:
        // RIS (c) clears the auditor's scrollback and settings beyond the screen; DECID (Z)
        // makes the terminal answer; a lone ST (\) ends nothing.
        return null;
    }
  }
  // SCS: ESC ( ) * + - . / with a final, optionally after " % & (94/96-character sets, NRCS).
  if ('()*+-./'.includes(intermediates[0]!) && (intermediates.length === 1 || (intermediates.length === 2 && '"%&'.includes(intermediates[1]!)))) {
    modes.charset();
    return true;
  }
  if (intermediates === '#' && '34568'.includes(final)) return true; // DECDHL, DECSWL, DECDWL, DECALN
  return null; // ESC SP (C1 transmission, conformance levels), ESC % (leaving UTF-8), anything unknown
}

/** ESC [ M? P* I* F */
export function csiVerdict(marker: string, params: string, intermediates: string, final: string, modes: TerminalModes): Verdict {
  if (marker === '' && intermediates === '') return plainCsi(params, final, modes);
  if (marker === '?' && intermediates === '') {
    if (final === 'h' || final === 'l') return modeList('?', params, final, KEPT_DEC_MODES, (m, on) => modes.decMode(m, on));
    // DECSED / DECSEL; 3 erases the saved lines, the auditor's scrollback.
    if (final === 'J' || final === 'K') return numeric(params) && !numbers(params).includes(3) ? true : null;
    return null;
  }
  if (marker !== '' || !numeric(params)) return null;
  switch (intermediates + final) {
    case ' q': // DECSCUSR
      modes.cursorShape(params);
      return true;
    case '!p': // DECSTR
      modes.softReset();
      return true;
    case ' @': // SL
    case ' A': // SR
    case '"q': // DECSCA
    case '$r': // DECCARA
    case '$t': // DECRARA
    case '$v': // DECCRA
    case '$x': // DECFRA
    case '$z': // DECERA
    case '${': // DECSERA
    case "'}": // DECIC
    case "'~": // DECDC
    case '*x': // DECSACE
      return true;
    default:
      return null;
  }
}

function plainCsi(params: string, final: string, modes: TerminalModes): Verdict {
  if (final === 'm') {
    modes.graphicRendition(params);
    return true;
  }
  if (!numeric(params)) return null;
  switch (final) {
    case '@': // ICH
    case 'A': // CUU
    case 'B': // CUD
    case 'C': // CUF
    case 'D': // CUB
    case 'E': // CNL
    case 'F': // CPL
    case 'G': // CHA
    case 'H': // CUP
    case 'I': // CHT
    case 'K': // EL
    case 'L': // IL
    case 'M': // DL
    case 'P': // DCH
    case 'X': // ECH
    case 'Z': // CBT
    case '`': // HPA
    case 'a': // HPR
    case 'd': // VPA
    case 'e': // VPR
    case 'f': // HVP
    case 'g': // TBC
    case 's': // SCOSC, DECSLRM
      return true;
    case 'J': // ED; 3 erases the saved lines, the auditor's scrollback
      return numbers(params).includes(3) ? null : true;
    case 'S': // SU
    case 'T': // SD; with more parameters T starts highlight mouse tracking
      return params.includes(';') ? null : true;
    case 'b': // REP
      return params.includes(';') || numbers(params)[0]! > MAX_REPEAT ? null : true;
    case 'u': // SCORC; with parameters it is not
      return params === '' ? true : null;
    case 'r': // DECSTBM
      modes.scrollRegion(params);
      return true;
    case 'h':
    case 'l':
      return modeList('', params, final, ANSI_MODES, (m, on) => modes.ansiMode(m, on));
    default:
      // DSR (n), DA (c), window operations (t), DECREQTPARM (x), DECLL (q), MC (i), ...
      return null;
  }
}

/** ANSI modes passed by SM/RM: insert mode only (KAM would lock the keyboard, SRM echo locally). */
const ANSI_MODES = new Set([4]);

/** SM/RM or DECSET/DECRST: the kept modes of the list, the sequence rewritten when some were dropped. */
function modeList(marker: string, params: string, final: string, kept: Set<number>, track: (mode: number, on: boolean) => void): Verdict {
  if (!numeric(params)) return null;
  const all = params.split(';');
  const keep = all.filter((p) => kept.has(Number(p)));
  for (const p of keep) track(Number(p), final === 'h');
  if (keep.length === 0) return null;
  return keep.length === all.length ? true : `${CSI}${marker}${keep.join(';')}${final}`;
}

function numeric(params: string): boolean {
  return /^[0-9;]*$/.test(params);
}

/** Parameter values, an empty one as 0. */
function numbers(params: string): number[] {
  return params.split(';').map(Number);
}
