/**
 * Turns terminal output into searchable plain-text lines with the time each
 * line began. Escape sequences (CSI, OSC, DCS, and other ESC forms) are
 * dropped, backspace erases, carriage return before a line feed is ignored.
 * Bounded: a line longer than MAX_LINE is cut into pieces, an unterminated
 * escape sequence is abandoned after MAX_ESCAPE bytes.
 */
const MAX_LINE = 4096;
const MAX_ESCAPE = 4096;

export interface TextLine {
  t: number;
  text: string;
}

type EscState = 'none' | 'esc' | 'csi' | 'string' | 'string-esc';

export class TextLines {
  private readonly decoder = new TextDecoder('utf-8');
  private line = '';
  private lineT = -1;
  private esc: EscState = 'none';
  private escLength = 0;

  /** Feeds output written at `t`; returns the lines completed by it. */
  push(t: number, data: Uint8Array): TextLine[] {
    const out: TextLine[] = [];
    for (const ch of this.decoder.decode(data, { stream: true })) {
      if (this.esc !== 'none') {
        this.escape(ch);
        continue;
      }
      const code = ch.codePointAt(0)!;
      if (code === 0x1b) {
        this.esc = 'esc';
        this.escLength = 0;
      } else if (code === 0x9b) {
        this.esc = 'csi';
      } else if (code === 0x0a) {
        this.emit(out);
      } else if (code === 0x08) {
        this.line = this.line.slice(0, -1);
      } else if (code >= 0x20 && !(code >= 0x7f && code < 0xa0)) {
        if (this.lineT < 0) this.lineT = t;
        this.line += ch;
        if (this.line.length >= MAX_LINE) this.emit(out);
      }
    }
    return out;
  }

  /** The unfinished last line, if any. */
  end(): TextLine[] {
    const out: TextLine[] = [];
    if (this.line.length > 0) this.emit(out);
    return out;
  }

  private emit(out: TextLine[]): void {
    const text = this.line.trimEnd();
    if (text.length > 0) out.push({ t: Math.max(0, this.lineT), text });
    this.line = '';
    this.lineT = -1;
  }

  // ECMA-48: ESC [ ... final (0x40-0x7e) is CSI; ESC ] / P / X / ^ / _ open a string ended by BEL or ESC \.
  private escape(ch: string): void {
    const code = ch.codePointAt(0)!;
    if (++this.escLength > MAX_ESCAPE) {
      this.esc = 'none';
      return;
    }
    switch (this.esc) {
      case 'esc':
        if (ch === '[') this.esc = 'csi';
        else if (']PX^_'.includes(ch)) this.esc = 'string';
        else if (code >= 0x30 && code <= 0x7e) this.esc = 'none';
        break;
      case 'csi':
        if (code >= 0x40 && code <= 0x7e) this.esc = 'none';
        break;
      case 'string':
        if (code === 0x07) this.esc = 'none';
        else if (code === 0x1b) this.esc = 'string-esc';
        break;
      case 'string-esc':
        this.esc = ch === '\\' ? 'none' : 'string';
        break;
    }
  }
}
