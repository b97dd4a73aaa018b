/**
 * The terminal as the person sees it, kept by @xterm/headless, for reading
 * back the line the cursor is on.
 *
 * xterm's public `write` parses on a later tick; this model needs the screen
 * exactly as of a given byte, so it drives xterm's own synchronous entry
 * point (`writeSync` on the core terminal, as in 5.5; checked at
 * construction). With no asynchronous handlers registered, parsing is then
 * synchronous and deterministic. The size is clamped and there is no
 * scrollback, so memory stays bounded (at most MAX_COLS x MAX_ROWS cells)
 * and a resize reflows at most one screen, whatever the target or the
 * client asks for; a command is read from the rows on screen.
 */
import xterm from '@xterm/headless';

export const MAX_COLS = 512;
export const MAX_ROWS = 256;
/** Longest line text read back. */
export const MAX_LINE_CHARS = 4096;

interface SyncCore {
  writeSync(data: Uint8Array): void;
  /** xterm's escape sequence parser; state 0 is ground, where no sequence is open. */
  _inputHandler?: { _parser?: { currentState?: unknown } };
}

export class Screen implements ScreenModel {
  private readonly term: xterm.Terminal;
  private readonly core: SyncCore;
  /**
   * Which buffer is active, as xterm announces each switch (a reset's too). The observer asks
   * for every key and every echo. xterm's own answer (`buffer.active.type`) goes through four
   * getters, which took about a fifth of a keystroke's observation in the gateway's profile;
   * in process the observer takes 1.0 µs a keystroke with this field against 1.45.
   */
  private alternateActive = false;

  constructor(cols: number, rows: number) {
    this.term = new xterm.Terminal({
      cols: clamp(cols, 80, 2, MAX_COLS),
      rows: clamp(rows, 24, 1, MAX_ROWS),
      scrollback: 0,
      logLevel: 'off',
      // The buffer API is "proposed" in the headless build.
      allowProposedApi: true,
    });
    const core = (this.term as unknown as { _core?: Partial<SyncCore> })._core;
    if (typeof core?.writeSync !== 'function') throw new Error('@xterm/headless has no synchronous write');
    if (typeof core._inputHandler?._parser?.currentState !== 'number') throw new Error("@xterm/headless does not show its parser's state");
    this.core = core as SyncCore;
    this.term.buffer.onBufferChange((active) => (this.alternateActive = active.type === 'alternate'));
  }

  write(bytes: Uint8Array): void {
    if (bytes.length > 0) this.core.writeSync(bytes);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(clamp(cols, this.term.cols, 2, MAX_COLS), clamp(rows, this.term.rows, 1, MAX_ROWS));
  }

  /** A full-screen program (editor, pager) has the alternate screen. */
  get alternate(): boolean {
    return this.alternateActive;
  }

  /** The output so far ended outside any control sequence (xterm's parser is in its ground state). */
  get atRest(): boolean {
    return this.core._inputHandler!._parser!.currentState === 0;
  }

  /** The cursor's line, wrapped rows joined, up to the cursor. */
  beforeCursor(): string {
    const b = this.term.buffer.active;
    const y = b.baseY + b.cursorY;
    const { first } = this.logicalLine(y);
    let text = '';
    for (let row = first; row < y && text.length < MAX_LINE_CHARS; row++) text += b.getLine(row)?.translateToString(false) ?? '';
    text += b.getLine(y)?.translateToString(false, 0, b.cursorX) ?? '';
    return text.slice(0, MAX_LINE_CHARS);
  }

  /** The cursor's whole line, wrapped rows joined, trailing blanks cut. */
  cursorLine(): string {
    const b = this.term.buffer.active;
    const { first, last } = this.logicalLine(b.baseY + b.cursorY);
    let text = '';
    for (let row = first; row <= last && text.length < MAX_LINE_CHARS; row++) {
      text += b.getLine(row)?.translateToString(row === last) ?? '';
    }
    return text.slice(0, MAX_LINE_CHARS);
  }

  /** Rows first..last form one line: every row after the first is a wrapped continuation. */
  private logicalLine(y: number): { first: number; last: number } {
    const b = this.term.buffer.active;
    let first = y;
    while (first > 0 && b.getLine(first)?.isWrapped) first--;
    let last = y;
    // getLine wraps around past the end of the buffer (a ring): bound by its length.
    while (last + 1 < b.length && b.getLine(last + 1)?.isWrapped) last++;
    return { first, last };
  }
}

/** What the observer needs of a screen: Screen, or LazyScreen in front of one. */
export interface ScreenModel {
  write(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  readonly alternate: boolean;
  beforeCursor(): string;
  cursorLine(): string;
}

/** Output a LazyScreen keeps before it gives it to its Screen anyway. */
export const LAZY_SCREEN_BYTES = 32 * 1024;

const ESC = 0x1b;
/** C1 CSI; as UTF-8 (U+009B) its second byte. */
const CSI_8BIT = 0x9b;

/**
 * A Screen built only once something reads it, and given output only when
 * read. Writes and resizes are kept in order (at most LAZY_SCREEN_BYTES of
 * output) and replayed into the Screen on the next read: xterm's state is a
 * function of that sequence alone, so what is read back is the same as if
 * every write had gone straight in.
 *
 * - An xterm terminal costs about 150 KiB, most of an idle session's memory:
 *   a session nobody types in (a shell left at its prompt) never builds one.
 * - The observer asks for every key whether a full-screen program has the
 *   alternate screen, and reads the screen's text only at a line's first
 *   echo and at its Enter. Only a control sequence switches screens, and one
 *   begins with ESC or C1 CSI: while the kept output holds neither and xterm
 *   ended the output it was given outside any sequence, the answer is the one
 *   xterm gave last. So typing at a prompt parses each line's echoes once, at
 *   its Enter, not one xterm write per echo.
 */
export class LazyScreen implements ScreenModel {
  private screen: Screen | undefined;
  /** Output not yet given to the Screen, with the resizes between, in order. */
  private pending: (Uint8Array | { cols: number; rows: number })[] = [];
  private pendingBytes = 0;
  /** The pending output holds a byte that may begin a control sequence. */
  private pendingEscape = false;

  constructor(
    private readonly cols: number,
    private readonly rows: number,
  ) {}

  /** Whether the Screen was built (for tests and benchmarks). */
  get built(): boolean {
    return this.screen !== undefined;
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.pendingBytes + bytes.length > LAZY_SCREEN_BYTES) return this.current().write(bytes);
    // The caller may reuse its buffer (the observer does): keep a copy.
    this.pending.push(Uint8Array.prototype.slice.call(bytes));
    this.pendingBytes += bytes.length;
    if (!this.pendingEscape) this.pendingEscape = bytes.includes(ESC) || bytes.includes(CSI_8BIT);
  }

  resize(cols: number, rows: number): void {
    if (this.screen && this.pending.length === 0) this.screen.resize(cols, rows);
    else this.pending.push({ cols, rows });
  }

  get alternate(): boolean {
    if (this.pendingEscape || !(this.screen?.atRest ?? true)) return this.current().alternate;
    // Nothing pending can switch screens (a resize never does): xterm's last answer holds.
    return this.screen?.alternate ?? false;
  }

  beforeCursor(): string {
    return this.current().beforeCursor();
  }

  cursorLine(): string {
    return this.current().cursorLine();
  }

  /** The Screen, built if need be, with everything pending given to it. */
  private current(): Screen {
    const screen = (this.screen ??= new Screen(this.cols, this.rows));
    if (this.pending.length === 0) return screen;
    for (const op of this.pending) {
      if (op instanceof Uint8Array) screen.write(op);
      else screen.resize(op.cols, op.rows);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingEscape = false;
    return screen;
  }
}

/** A usable size from what a client sent; 0, NaN and the like keep `fallback`. */
function clamp(n: number, fallback: number, min: number, max: number): number {
  if (!Number.isFinite(n) || n < 1) return fallback;
  return Math.max(min, Math.min(Math.floor(n), max));
}
