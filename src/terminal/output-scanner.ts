/**
 * Reads what the target sends to the terminal the way a VT500-style parser
 * does (UTF-8 first, then C0/C1 controls and escape sequences), to tell
 * displayed characters from control traffic.
 *
 *   CSI    := ESC [ | 0x9B   params/intermediates (0x20-0x3F)*  final (0x40-0x7E)
 *   ESC    := ESC  intermediates (0x20-0x2F)*  final (0x30-0x7E)
 *   string := (ESC ] | ESC P | ESC X | ESC ^ | ESC _ | 0x9D 0x90 0x98 0x9E 0x9F)
 *             any*  (BEL (OSC only) | ESC \ | 0x9C | CAN | SUB)
 *
 * Invariants: the scanner keeps O(1) state between chunks (at most three
 * bytes of a split UTF-8 character and one held ESC); no sequence body is
 * ever stored, however long or unterminated. Every byte except the bodies
 * of string sequences (OSC, DCS, SOS, PM, APC) and their delimiters is
 * copied to `forward`, so the screen model never sees titles, clipboard
 * writes (OSC 52) or device-control payloads, and holds nothing for them.
 */

export interface OutputSink {
  /** A displayed character; its bytes occupy forward[before, after). */
  text(cp: number, before: number, after: number): void;
  /** Displayed ASCII characters data[from, to), copied to forward from `before` on. */
  ascii(data: Uint8Array, from: number, to: number, before: number): void;
  /** LF, VT or FF outside any sequence. */
  lineFeed(): void;
}

const enum State {
  Ground,
  Escape,
  EscapeIntermediate,
  Csi,
  String,
  OscString,
}

const ESC = 0x1b;
const REPLACEMENT = 0xfffd;

/** A growable byte buffer the scanner appends the screen's share of output to. */
export class ForwardBuffer {
  bytes = new Uint8Array(4096);
  length = 0;

  push(b: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = b;
  }

  append(data: Uint8Array, from: number, to: number): void {
    if (this.length + (to - from) > this.bytes.length) this.grow(to - from);
    if (to - from > 32) {
      this.bytes.set(data.subarray(from, to), this.length);
      this.length += to - from;
    } else {
      for (let k = from; k < to; k++) this.bytes[this.length++] = data[k]!;
    }
  }

  private grow(extra: number): void {
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  clear(): void {
    this.length = 0;
    if (this.bytes.length > 1 << 20) this.bytes = new Uint8Array(4096);
  }
}

export class OutputScanner {
  private state = State.Ground;
  /** Bytes of a UTF-8 character still missing, and the character so far. */
  private need = 0;
  private cp = 0;
  private readonly held: number[] = [];

  constructor(private readonly forward: ForwardBuffer) {}

  scan(data: Uint8Array, sink: OutputSink): void {
    const n = data.length;
    let i = 0;
    while (i < n) {
      if (this.state === State.Ground && this.need === 0) {
        const j = asciiRun(data, i);
        if (j > i) {
          const before = this.forward.length;
          this.forward.append(data, i, j);
          sink.ascii(data, i, j, before);
          i = j;
          continue;
        }
        const b = data[i]!;
        if (b < 0x20 && b !== ESC) {
          this.forward.push(b);
          if (b >= 0x0a && b <= 0x0c) sink.lineFeed();
          i++;
          continue;
        }
      }
      this.byte(data[i++]!, sink);
    }
  }

  private byte(b: number, sink: OutputSink): void {
    if (this.need > 0) {
      if ((b & 0xc0) === 0x80) {
        this.cp = (this.cp << 6) | (b & 0x3f);
        this.held.push(b);
        if (--this.need === 0) this.char(this.cp > 0x10ffff ? REPLACEMENT : this.cp, sink);
        return;
      }
      this.need = 0;
      this.char(REPLACEMENT, sink);
    }
    this.held.length = 0;
    this.held.push(b);
    if (b < 0x80) return this.char(b, sink);
    if (b >= 0xc2 && b <= 0xdf) return this.lead(1, b & 0x1f);
    if (b >= 0xe0 && b <= 0xef) return this.lead(2, b & 0x0f);
    if (b >= 0xf0 && b <= 0xf4) return this.lead(3, b & 0x07);
    this.char(REPLACEMENT, sink);
  }

  private lead(need: number, bits: number): void {
    this.need = need;
    this.cp = bits;
  }

  private emit(): void {
    for (const b of this.held) this.forward.push(b);
  }

  private char(cp: number, sink: OutputSink): void {
    switch (this.state) {
      case State.Ground:
        return this.ground(cp, sink);
      case State.Escape:
        return this.escape(cp, sink);
      case State.EscapeIntermediate:
        return this.sequence(cp, sink, 0x30);
      case State.Csi:
        return this.sequence(cp, sink, 0x40);
      case State.String:
      case State.OscString:
        return this.string(cp);
    }
  }

  private ground(cp: number, sink: OutputSink): void {
    if (cp === ESC) {
      this.state = State.Escape;
    } else if (cp === 0x90 || cp === 0x98 || cp === 0x9e || cp === 0x9f) {
      this.state = State.String;
    } else if (cp === 0x9d) {
      this.state = State.OscString;
    } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      this.emit();
      if (cp === 0x9b) this.state = State.Csi;
      else if (cp >= 0x0a && cp <= 0x0c) sink.lineFeed();
    } else {
      const before = this.forward.length;
      this.emit();
      sink.text(cp, before, this.forward.length);
    }
  }

  /** After ESC, which is held back until the next character says what it starts. */
  private escape(cp: number, sink: OutputSink): void {
    if (cp === 0x5d) {
      this.state = State.OscString;
      return;
    }
    if (cp === 0x50 || cp === 0x58 || cp === 0x5e || cp === 0x5f || cp === 0x5c) {
      // DCS, SOS, PM, APC open a string; a lone ST closes nothing.
      this.state = cp === 0x5c ? State.Ground : State.String;
      return;
    }
    if (cp === ESC || cp === 0x7f) return;
    if (cp < 0x20) {
      // C0 controls inside a sequence act at once; the held ESC stays pending.
      this.emit();
      if (cp >= 0x0a && cp <= 0x0c) sink.lineFeed();
      return;
    }
    if (cp >= 0x80) {
      this.state = State.Ground;
      return this.ground(cp, sink);
    }
    this.forward.push(ESC);
    this.emit();
    this.state = cp === 0x5b ? State.Csi : cp < 0x30 ? State.EscapeIntermediate : State.Ground;
  }

  /** Inside CSI or an ESC sequence with intermediates: `finalFrom` starts the final bytes. */
  private sequence(cp: number, sink: OutputSink, finalFrom: number): void {
    if (cp === ESC) {
      this.state = State.Escape;
      return;
    }
    if (cp >= 0x80 && cp <= 0x9f) {
      this.state = State.Ground;
      return this.ground(cp, sink);
    }
    this.emit();
    if (cp >= 0x0a && cp <= 0x0c) sink.lineFeed();
    if (cp === 0x18 || cp === 0x1a || (cp >= finalFrom && cp <= 0x7e)) this.state = State.Ground;
  }

  private string(cp: number): void {
    if (cp === ESC) this.state = State.Escape;
    else if (cp === 0x9c || cp === 0x18 || cp === 0x1a || (cp === 0x07 && this.state === State.OscString)) this.state = State.Ground;
  }
}

/** End of the run of printable ASCII starting at `i`. */
function asciiRun(data: Uint8Array, i: number): number {
  while (i < data.length) {
    const b = data[i]!;
    if (b < 0x20 || b > 0x7e) break;
    i++;
  }
  return i;
}
