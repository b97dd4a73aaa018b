/**
 * Watches an interactive channel (a pty) in both directions and decides what
 * of the person's typing the recording may keep in clear, and which lines
 * were commands.
 *
 *   output bytes ─▶ OutputScanner ─┬─▶ displayed characters ─▶ EchoClassifier (echo)
 *                                  ├─▶ line feeds           ─▶ EchoClassifier, OutputTail
 *                                  └─▶ screen's share       ─▶ LazyScreen ─▶ Screen (xterm, synchronous),
 *                                                                built when first read
 *   input bytes  ─▶ KeyReader ─▶ keys ─▶ EchoClassifier ─▶ KeystrokeRecord[], CommandEvent[]
 *
 * Pure: no timers, no I/O. Times only travel with the data they came with.
 */
import { EchoClassifier, type CommandEvent, type KeystrokeRecord, type ScreenView } from './echo-lines.js';
import { KeyReader, type Key } from './input-keys.js';
import { ForwardBuffer, OutputScanner, type OutputSink } from './output-scanner.js';
import { LazyScreen, type ScreenModel } from './screen.js';

/** A line of output that asks for something not to be shown. */
export const SECRET_PROMPT = /(pass(word|phrase)|PIN|passcode|token|secret|OTP)[^\n]*:\s*$/i;

const TAIL_CHARS = 256;

/** The last line of output (its last TAIL_CHARS characters), for recognising secret prompts. */
class OutputTail {
  private line = new Uint32Array(TAIL_CHARS);
  private previous = new Uint32Array(TAIL_CHARS);
  /** Characters seen on the line so far; line[n % TAIL_CHARS] is the n-th. */
  private lineChars = 0;
  private previousChars = 0;
  private blank = true;

  char(cp: number): void {
    this.line[this.lineChars++ % TAIL_CHARS] = cp;
    if (cp > 0x20) this.blank = false;
  }

  ascii(data: Uint8Array, from: number, to: number): void {
    const start = Math.max(from, to - TAIL_CHARS);
    if (start > from) {
      this.lineChars += start - from;
      this.blank = false;
    }
    for (let k = start; k < to; k++) this.char(data[k]!);
  }

  lineFeed(): void {
    if (!this.blank) {
      [this.previous, this.line] = [this.line, this.previous];
      this.previousChars = this.lineChars;
    }
    this.lineChars = 0;
    this.blank = true;
  }

  secret(): boolean {
    const [ring, count] = this.blank ? [this.previous, this.previousChars] : [this.line, this.lineChars];
    let text = '';
    for (let n = Math.max(0, count - TAIL_CHARS); n < count; n++) text += String.fromCodePoint(ring[n % TAIL_CHARS]!);
    return SECRET_PROMPT.test(text);
  }
}

/**
 * A resize reflows the screen, which costs xterm up to tens of milliseconds
 * at the largest size: resizes are applied before the next output is shown,
 * at most one per RESIZE_EVERY_MS of session time, the latest size winning.
 */
export const RESIZE_EVERY_MS = 100;
/** Output is scanned and shown in slices of this size, so the copy kept for the screen stays small. */
const OUTPUT_SLICE = 1 << 16;

export class TerminalObserver {
  private readonly screen: ScreenModel;
  /** The latest session time seen (ms), and the size waiting to be applied. */
  private now = 0;
  private wanted: { cols: number; rows: number } | undefined;
  private resizedAt = Number.NEGATIVE_INFINITY;
  private readonly forward = new ForwardBuffer();
  /** How much of `forward` the screen has been given. */
  private shown = 0;
  private readonly scanner = new OutputScanner(this.forward);
  private readonly keys = new KeyReader();
  private readonly tail = new OutputTail();
  private readonly lines: EchoClassifier;
  private readonly sink: OutputSink;
  /** Each key read goes to the classifier (one function for the observer's life, not one per chunk). */
  private readonly onKey = (key: Key): void => this.lines.key(key);

  constructor(cols: number, rows: number) {
    this.screen = new LazyScreen(cols, rows);
    this.lines = new EchoClassifier(this.view());
    this.sink = {
      text: (cp, before, after) => {
        this.tail.char(cp);
        this.lines.echo(cp, before, after);
      },
      ascii: (data, from, to, before) => {
        this.tail.ascii(data, from, to);
        for (let k = from; k < to && this.lines.waiting; k++) this.lines.echo(data[k]!, before + k - from, before + k - from + 1);
      },
      lineFeed: () => {
        this.tail.lineFeed();
        this.lines.lineFeed();
      },
    };
  }

  resize(cols: number, rows: number): void {
    this.wanted = { cols, rows };
  }

  /** Bytes the target sent; returns keystrokes whose echo (or its absence) this output settled. */
  output(t: number, data: Uint8Array): KeystrokeRecord[] {
    this.now = t;
    for (let i = 0; i < data.length; i += OUTPUT_SLICE) {
      this.scanner.scan(data.length <= OUTPUT_SLICE ? data : data.subarray(i, i + OUTPUT_SLICE), this.sink);
      this.show();
      this.forward.clear();
      this.shown = 0;
    }
    return this.lines.takeRecords();
  }

  /**
   * Bytes the person typed at time `t`. Returns the keystrokes that may be
   * recorded now, and the commands submitted since the last call (a command
   * whose echo completed during `output` is returned here, with its own time).
   */
  input(t: number, data: Uint8Array): { records: KeystrokeRecord[]; commands: readonly CommandEvent[] } {
    this.now = t;
    this.keys.push(t, data, this.onKey);
    return { records: this.lines.takeRecords(), commands: this.lines.takeCommands() };
  }

  /** The channel ended: everything still waiting is released, masked unless already echoed. */
  flush(t: number): KeystrokeRecord[] {
    this.now = t;
    this.keys.flush(this.onKey);
    this.lines.flush();
    return this.lines.takeRecords();
  }

  /** Commands settled since the last `input` (after `flush`, the last ones). */
  takeCommands(): readonly CommandEvent[] {
    return this.lines.takeCommands();
  }

  private show(upTo = this.forward.length): void {
    if (this.wanted !== undefined && !(this.now - this.resizedAt < RESIZE_EVERY_MS)) {
      this.screen.resize(this.wanted.cols, this.wanted.rows);
      this.wanted = undefined;
      this.resizedAt = this.now;
    }
    if (upTo <= this.shown) return;
    this.screen.write(this.forward.bytes.subarray(this.shown, upTo));
    this.shown = upTo;
  }

  private view(): ScreenView {
    return {
      promptAt: (mark) => {
        this.show(mark);
        return this.screen.beforeCursor();
      },
      commandAt: (prompt, mark) => {
        this.show(mark);
        return stripPrompt(this.screen.cursorLine(), prompt);
      },
      // A full-screen program draws its prompts where it likes: there, the cursor's line asks.
      secretPrompt: () => this.tail.secret() || (this.screen.alternate && SECRET_PROMPT.test(this.screen.beforeCursor())),
      alternate: () => this.screen.alternate,
    };
  }
}

/** The line without the prompt it was typed after, when that prompt is still in front of it. */
function stripPrompt(line: string, prompt: string): string {
  const p = prompt.trimEnd();
  return (p !== '' && line.startsWith(p) ? line.slice(p.length) : line).trim();
}
