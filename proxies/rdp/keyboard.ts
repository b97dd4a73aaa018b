/**
 * What a person typed, from the keyboard events an RDP client sends: scan
 * codes (set 1, as MS-RDPBCGR 2.2.8.1.1.3.1.1.1 and 2.2.8.1.2.2.1 carry
 * them, with the extended flag for the E0 prefix) read on a US layout, and
 * unicode events (2.2.8.1.1.3.1.1.2), which name the character itself.
 *
 * The result is a sequence of text and named keys; TypedText gathers text
 * into lines, as a person would read them back.
 */

/** A key press read as text, or as a key with a name (`Enter`, `Ctrl+C`, `F5`). */
export type Keystroke = { readonly text: string } | { readonly key: string };

// Scan codes 0x02..0x35 on a US keyboard, unshifted and shifted; a space where a code is no character.
const PLAIN = '  1234567890-=  qwertyuiop[]  asdfghjkl;\'` \\zxcvbnm,./';
const SHIFTED = '  !@#$%^&*()_+  QWERTYUIOP{}  ASDFGHJKL:"~ |ZXCVBNM<>?';

const NAMED: Readonly<Record<number, string>> = {
  0x01: 'Esc', 0x0e: 'Backspace', 0x0f: 'Tab', 0x1c: 'Enter',
  0x3b: 'F1', 0x3c: 'F2', 0x3d: 'F3', 0x3e: 'F4', 0x3f: 'F5', 0x40: 'F6', 0x41: 'F7', 0x42: 'F8',
  0x43: 'F9', 0x44: 'F10', 0x57: 'F11', 0x58: 'F12',
};

// With the E0 prefix: the navigation block and the keypad's own Enter and slash.
const EXTENDED: Readonly<Record<number, string>> = {
  0x1c: 'Enter', 0x47: 'Home', 0x48: 'Up', 0x49: 'PageUp', 0x4b: 'Left', 0x4d: 'Right', 0x4f: 'End',
  0x50: 'Down', 0x51: 'PageDown', 0x52: 'Insert', 0x53: 'Delete', 0x5b: 'Win', 0x5c: 'Win', 0x5d: 'Menu',
};

// The keypad with Num Lock on; off, its keys navigate as the extended ones do.
const KEYPAD: Readonly<Record<number, [string, string]>> = {
  0x47: ['7', 'Home'], 0x48: ['8', 'Up'], 0x49: ['9', 'PageUp'], 0x4a: ['-', '-'], 0x4b: ['4', 'Left'],
  0x4c: ['5', 'Clear'], 0x4d: ['6', 'Right'], 0x4e: ['+', '+'], 0x4f: ['1', 'End'], 0x50: ['2', 'Down'],
  0x51: ['3', 'PageDown'], 0x52: ['0', 'Insert'], 0x53: ['.', 'Delete'], 0x37: ['*', '*'],
};

const SHIFT = new Set([0x2a, 0x36]);
const CTRL = 0x1d;
const ALT = 0x38;
const CAPS_LOCK = 0x3a;
const NUM_LOCK = 0x45;

/** TS_SYNC_EVENT toggle flags (2.2.8.1.1.3.1.1.5). */
export const SYNC_NUM_LOCK = 0x02;
export const SYNC_CAPS_LOCK = 0x04;

export class KeyboardState {
  private readonly held = new Set<string>();
  private capsLock = false;
  private numLock = false;

  /** The client's lock keys, as its synchronize event states them. */
  sync(toggleFlags: number): void {
    this.capsLock = (toggleFlags & SYNC_CAPS_LOCK) !== 0;
    this.numLock = (toggleFlags & SYNC_NUM_LOCK) !== 0;
    this.held.clear();
  }

  /** A scan code event: what it typed, or null for releases and modifiers. */
  scancode(code: number, extended: boolean, release: boolean): Keystroke | null {
    const modifier = this.modifier(code, extended);
    if (modifier !== null) {
      if (release) this.held.delete(modifier);
      else this.held.add(modifier);
      return null;
    }
    if (release) return null;
    if (code === CAPS_LOCK) return void (this.capsLock = !this.capsLock), null;
    if (code === NUM_LOCK && !extended) return void (this.numLock = !this.numLock), null;
    return this.chord(this.base(code, extended));
  }

  /** A unicode event: the character itself (surrogate halves are passed on as they come). */
  unicode(codeUnit: number, release: boolean): Keystroke | null {
    if (release) return null;
    return this.chord({ text: String.fromCharCode(codeUnit) });
  }

  private modifier(code: number, extended: boolean): string | null {
    if (SHIFT.has(code) && !extended) return `Shift${code}`;
    if (code === CTRL) return extended ? 'RCtrl' : 'LCtrl';
    if (code === ALT) return extended ? 'AltGr' : 'Alt';
    return null;
  }

  private base(code: number, extended: boolean): Keystroke {
    if (extended) {
      if (code === 0x35) return { text: '/' };
      return { key: EXTENDED[code] ?? `Key${hex(code)}e` };
    }
    const keypad = KEYPAD[code];
    if (keypad) return this.numLock || keypad[0] === keypad[1] ? { text: keypad[0] } : { key: keypad[1] };
    if (code === 0x39) return { text: ' ' };
    const named = NAMED[code];
    if (named !== undefined) return { key: named };
    const plain = PLAIN[code];
    if (plain === undefined || plain === ' ') return { key: `Key${hex(code)}` };
    const shifted = this.shift() !== (this.capsLock && /[a-z]/.test(plain));
    return { text: shifted ? SHIFTED[code]! : plain };
  }

  /** With Ctrl or Alt held a key is a command, not text: `Ctrl+C`, `Alt+Tab`. */
  private chord(stroke: Keystroke): Keystroke {
    const mods = [
      this.held.has('LCtrl') || this.held.has('RCtrl') ? 'Ctrl' : null,
      this.held.has('Alt') ? 'Alt' : null,
    ].filter((m) => m !== null);
    if (mods.length === 0) return stroke;
    const name = 'text' in stroke ? stroke.text.toUpperCase() : stroke.key;
    return { key: [...mods, this.shift() && 'key' in stroke ? 'Shift' : null, name].filter((m) => m !== null).join('+') };
  }

  private shift(): boolean {
    return this.held.has('Shift42') || this.held.has('Shift54');
  }
}

function hex(code: number): string {
  return code.toString(16).padStart(2, '0');
}

/** A finished piece of typing: a line (Enter ended it), or text cut short by a named key or a pause. */
export interface TypedPiece {
  readonly text: string;
  /** The key that ended it (`Enter`, `Tab`, `Ctrl+C`...), or null when flushed by a pause. */
  readonly endedBy: string | null;
}

/**
 * Typed text gathered into pieces. Backspace takes back the last character
 * still held; `mask` replaces every character by `*` (for recordings that
 * must not keep keystrokes) without changing the shape of what was typed.
 */
export class TypedText {
  private text = '';

  constructor(
    private readonly mask: boolean,
    private readonly maxLength = 4096,
  ) {}

  /** Add a keystroke; returns the piece it finished, if any. */
  add(stroke: Keystroke): TypedPiece | null {
    if ('text' in stroke) {
      if (this.text.length < this.maxLength) this.text += this.mask ? '*'.repeat(stroke.text.length) : stroke.text;
      return null;
    }
    if (stroke.key === 'Backspace') {
      this.text = [...this.text].slice(0, -1).join('');
      return null;
    }
    return this.take(stroke.key);
  }

  /** What is held so far, as a piece ended by a pause (null when nothing is held). */
  flush(): TypedPiece | null {
    return this.text === '' ? null : this.take(null);
  }

  private take(endedBy: string | null): TypedPiece | null {
    const piece = { text: this.text, endedBy };
    this.text = '';
    return piece.text === '' && endedBy === null ? null : piece;
  }
}
