/**
 * TerminalOutputFilter: recorded terminal output made safe to play on the
 * auditor's terminal. Pure: bytes in, bytes out, state kept between chunks,
 * so a sequence or a character split across frames is handled as a whole.
 *
 * Parsing follows the DEC/ECMA-48 state machine (Paul Williams' description
 * of the VT500 parser) over UTF-8:
 *
 *   ground ──ESC──► escape ──[──► csi entry ► param ► intermediate ──F──► dispatch
 *     │               ├──]──► osc string    ─┐
 *     │               ├──P──► dcs string     ├─ BEL (osc only), ST = ESC \ or 0x9C
 *     │               └─X^_─► sos/pm/apc     ┘
 *     └─ anywhere: CAN, SUB → ground; ESC → escape; U+0080-U+009F → as its 7-bit form
 *
 * What passes (see sequence-policy.ts for the sequences): text, UTF-8 intact
 * and invalid bytes unchanged; the C0 controls that draw (BEL, BS, HT, LF, VT,
 * FF, CR, SO, SI); escape and CSI sequences that draw. What is dropped: every
 * control string (OSC, DCS, SOS, PM, APC) with its content, ENQ and the other
 * C0 controls, DEL, and every C1 control:
 * - a code point U+0080-U+009F (UTF-8 C2 80-C2 9F) acts as its 7-bit form,
 *   as xterm and VTE treat it, and the sequence it opens (CSI, OSC, DCS, ...)
 *   is dropped whole whatever it is: no program writes 8-bit controls to a
 *   UTF-8 terminal, and terminals disagree on them;
 * - a raw byte 0x80-0x9F outside a valid UTF-8 sequence is invalid UTF-8,
 *   which a UTF-8 terminal shows as a replacement character and never obeys:
 *   it is dropped alone, and what follows it is parsed as text, as the
 *   recorded person's terminal showed it (so one stray byte cannot hide the
 *   rest of a recording from playback).
 *
 * Invariants:
 * - output never holds an incomplete sequence: a kept sequence is held until
 *   its final byte and written whole, so the auditor's terminal is in its
 *   ground state between any two chunks;
 * - across `push` calls the output is never longer than the input (kept
 *   sequences pass as they came or shorter; C0 controls met inside a sequence
 *   are written before it, as a terminal executes them in place);
 * - memory is bounded: a sequence is held up to `maxSequence` bytes, then
 *   consumed and dropped; control strings are never held, and one running
 *   past `maxString` bytes is abandoned, so an unterminated string cannot hide
 *   the rest of a recording.
 */
import { csiVerdict, escVerdict, TerminalModes, type Verdict } from './sequence-policy.js';

export interface OutputFilterOptions {
  /** Longest escape or CSI sequence held before it is dropped (bytes). */
  maxSequence?: number;
  /** Longest control string consumed before parsing starts over in ground (bytes). */
  maxString?: number;
}

const enum State {
  Ground,
  Escape,
  EscapeIntermediate,
  CsiEntry,
  CsiParam,
  CsiIntermediate,
  CsiIgnore,
  OscString,
  ControlString,
}

/** BEL BS HT LF VT FF CR SO SI: the C0 controls passed in ground. */
const KEPT_C0 = 0xff80;

/** What a byte that is not valid UTF-8 is parsed as: a replacement character, as a UTF-8 terminal shows it. */
const INVALID = 0xfffd;

const encoder = new TextEncoder();
const CSI_PARTS = /^\x1b\[([<=>?]?)([0-9:;]*)([\x20-\x2f]*)([\x40-\x7e])$/;

export class TerminalOutputFilter {
  private readonly maxSequence: number;
  private readonly maxString: number;
  private readonly modes = new TerminalModes();
  private state = State.Ground;
  private readonly held: Uint8Array;
  private heldLength = 0;
  private overflow = false;
  private stringLength = 0;
  // A UTF-8 character in progress: its bytes, how many more it needs, the range of the next one.
  private readonly u8 = new Uint8Array(4);
  private u8Length = 0;
  private u8Need = 0;
  private u8Lo = 0x80;
  private u8Hi = 0xbf;
  private u8Cp = 0;
  private out = new Uint8Array(0);
  private o = 0;

  constructor(options: OutputFilterOptions = {}) {
    this.maxSequence = Math.max(16, options.maxSequence ?? 256);
    this.maxString = Math.max(1, options.maxString ?? 4 << 20);
    this.held = new Uint8Array(this.maxSequence);
  }

  /** Bytes held for the next chunk: an unfinished kept sequence or UTF-8 character. */
  get pending(): number {
    return this.heldLength + this.u8Length;
  }

  /** Filters one chunk of output; what completes in it is returned, the rest held. */
  push(data: Uint8Array): Uint8Array {
    this.begin(data.length);
    const n = data.length;
    let i = 0;
    while (i < n) {
      const b = data[i]!;
      if (this.u8Need > 0) {
        if (b < this.u8Lo || b > this.u8Hi) {
          this.brokenUtf8(); // b is looked at again, on its own
          continue;
        }
        this.u8[this.u8Length++] = b;
        this.u8Cp = (this.u8Cp << 6) | (b & 0x3f);
        this.u8Lo = 0x80;
        this.u8Hi = 0xbf;
        if (--this.u8Need === 0) this.completeUtf8();
        i++;
      } else if (b >= 0x20 && b < 0x7f && this.state === State.Ground) {
        let j = i + 1;
        while (j < n && data[j]! >= 0x20 && data[j]! < 0x7f) j++;
        if (j - i > 32) {
          this.out.set(data.subarray(i, j), this.o);
          this.o += j - i;
        } else {
          for (let k = i; k < j; k++) this.out[this.o++] = data[k]!;
        }
        i = j;
      } else if (b < 0x80) {
        if (this.feed(b, 1)) this.emit(b);
        i++;
      } else if (b >= 0xc2 && b <= 0xf4) {
        this.startUtf8(b);
        i++;
      } else {
        this.loneByte(b);
        i++;
      }
    }
    return this.finish();
  }

  /** Ends the stream: an unfinished UTF-8 character passes as invalid bytes, an unfinished sequence is dropped. */
  flush(): Uint8Array {
    this.begin(0);
    if (this.u8Need > 0) this.brokenUtf8();
    this.toGround();
    return this.finish();
  }

  /** The bytes that put back every terminal mode the passed output changed (empty when none). */
  restore(): Uint8Array {
    return encoder.encode(this.modes.restore());
  }

  /** `flush()` then `restore()`: what to write when playback stops, however it stops. */
  end(): Uint8Array {
    const rest = this.flush();
    const reset = this.restore();
    const out = new Uint8Array(rest.length + reset.length);
    out.set(rest);
    out.set(reset, rest.length);
    return out;
  }

  private begin(length: number): void {
    this.out = new Uint8Array(this.heldLength + this.u8Length + length);
    this.o = 0;
  }

  private finish(): Uint8Array {
    const out = this.out.subarray(0, this.o);
    this.out = new Uint8Array(0);
    return out;
  }

  private emit(b: number): void {
    this.out[this.o++] = b;
  }

  private startUtf8(lead: number): void {
    this.u8[0] = lead;
    this.u8Length = 1;
    this.u8Need = lead < 0xe0 ? 1 : lead < 0xf0 ? 2 : 3;
    this.u8Cp = lead & (lead < 0xe0 ? 0x1f : lead < 0xf0 ? 0x0f : 0x07);
    // Second-byte ranges that exclude overlong forms, surrogates and code points past U+10FFFF.
    this.u8Lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    this.u8Hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  }

  private completeUtf8(): void {
    const length = this.u8Length;
    this.u8Length = 0;
    if (this.feed(this.u8Cp, length)) for (let k = 0; k < length; k++) this.out[this.o++] = this.u8[k]!;
  }

  /** The character stopped short: its lead byte is invalid, its continuation bytes stand alone. */
  private brokenUtf8(): void {
    const length = this.u8Length;
    this.u8Need = 0;
    this.u8Length = 0;
    if (this.feed(INVALID, 1)) this.emit(this.u8[0]!);
    for (let k = 1; k < length; k++) this.loneByte(this.u8[k]!);
  }

  /** A byte outside any valid UTF-8 sequence: parsed as an invalid character, passed as it is unless in the C1 range. */
  private loneByte(b: number): void {
    if (this.feed(INVALID, 1) && b > 0x9f) this.emit(b);
  }

  /** Advances the parser by one code point of `length` bytes; true when it is text to pass. */
  private feed(cp: number, length: number): boolean {
    if (cp === 0x1b) {
      this.toGround();
      this.hold(cp);
      this.state = State.Escape;
      return false;
    }
    if (cp === 0x18 || cp === 0x1a) {
      this.toGround();
      return false;
    }
    if (cp >= 0x80 && cp <= 0x9f) {
      this.c1(cp);
      return false;
    }
    switch (this.state) {
      case State.Ground:
        if (cp < 0x20) this.control(cp);
        return cp >= 0x20 && cp !== 0x7f;
      case State.OscString:
      case State.ControlString:
        if (cp === 0x07 && this.state === State.OscString) this.toGround();
        else if ((this.stringLength += length) > this.maxString) this.toGround();
        return false;
      default:
        return this.sequence(cp);
    }
  }

  /** A code point inside an escape or CSI sequence. */
  private sequence(cp: number): boolean {
    if (cp < 0x20) {
      this.control(cp); // executed in place, the sequence goes on
      return false;
    }
    if (cp === 0x7f) return false;
    if (cp > 0x7f) {
      // Not part of any sequence: the sequence is abandoned and the character shown.
      this.toGround();
      return true;
    }
    switch (this.state) {
      case State.Escape:
        if (cp === 0x5b) this.next(cp, State.CsiEntry);
        else if (cp === 0x5d) this.enterString(State.OscString);
        else if (cp === 0x50 || cp === 0x58 || cp === 0x5e || cp === 0x5f) this.enterString(State.ControlString);
        else if (cp < 0x30) this.next(cp, State.EscapeIntermediate);
        else this.dispatch(cp);
        break;
      case State.EscapeIntermediate:
        if (cp < 0x30) this.hold(cp);
        else this.dispatch(cp);
        break;
      case State.CsiEntry:
      case State.CsiParam:
        if (cp >= 0x40) this.dispatch(cp);
        else if (cp < 0x30) this.next(cp, State.CsiIntermediate);
        else if (cp <= 0x3b || this.state === State.CsiEntry) this.next(cp, State.CsiParam);
        else this.ignoreCsi(); // a private marker after parameters
        break;
      case State.CsiIntermediate:
        if (cp >= 0x40) this.dispatch(cp);
        else if (cp < 0x30) this.hold(cp);
        else this.ignoreCsi();
        break;
      case State.CsiIgnore:
        if (cp >= 0x40) this.toGround();
        break;
    }
    return false;
  }

  /** C0 controls: passed when they draw. */
  private control(cp: number): void {
    if ((KEPT_C0 >> cp) & 1) {
      this.emit(cp);
      if (cp === 0x0e) this.modes.charset();
    }
  }

  /** A C1 code point acts as its 7-bit form would, and whatever it introduces is dropped. */
  private c1(cp: number): void {
    this.toGround();
    if (cp === 0x9d) this.enterString(State.OscString);
    else if (cp === 0x90 || cp === 0x98 || cp === 0x9e || cp === 0x9f) this.enterString(State.ControlString);
    else if (cp === 0x9b) this.state = State.CsiIgnore;
  }

  private hold(cp: number): void {
    if (this.heldLength < this.maxSequence) this.held[this.heldLength++] = cp;
    else this.overflow = true;
  }

  private next(cp: number, state: State): void {
    this.hold(cp);
    this.state = state;
  }

  private enterString(state: State): void {
    this.toGround();
    this.state = state;
    this.stringLength = 0;
  }

  private ignoreCsi(): void {
    this.toGround();
    this.state = State.CsiIgnore;
  }

  private toGround(): void {
    this.state = State.Ground;
    this.heldLength = 0;
    this.overflow = false;
  }

  /** The final byte of an escape or CSI sequence: pass it, a shorter form of it, or nothing. */
  private dispatch(final: number): void {
    this.hold(final);
    const verdict = this.overflow ? null : this.verdict(this.heldText());
    if (verdict === true) {
      for (let k = 0; k < this.heldLength; k++) this.out[this.o++] = this.held[k]!;
    } else if (verdict !== null) {
      for (let k = 0; k < verdict.length; k++) this.emit(verdict.charCodeAt(k));
    }
    this.toGround();
  }

  private heldText(): string {
    let text = '';
    for (let k = 0; k < this.heldLength; k++) text += String.fromCharCode(this.held[k]!);
    return text;
  }

  private verdict(sequence: string): Verdict {
    if (this.state !== State.CsiEntry && this.state !== State.CsiParam && this.state !== State.CsiIntermediate) {
      return escVerdict(sequence.slice(1, -1), sequence.slice(-1), this.modes);
    }
    const parts = CSI_PARTS.exec(sequence);
    return parts ? csiVerdict(parts[1]!, parts[2]!, parts[3]!, parts[4]!, this.modes) : null;
  }
}
