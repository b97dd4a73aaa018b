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
}

export class Screen {
  private readonly term: xterm.Terminal;
  private readonly core: SyncCore;

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
    this.core = core as SyncCore;
  }

  write(bytes: Uint8Array): void {
    if (bytes.length > 0) this.core.writeSync(bytes);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(clamp(cols, this.term.cols, 2, MAX_COLS), clamp(rows, this.term.rows, 1, MAX_ROWS));
  }

  /** A full-screen program (editor, pager) has the alternate screen. */
  get alternate(): boolean {
    return this.term.buffer.active.type === 'alternate';
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

/** A usable size from what a client sent; 0, NaN and the like keep `fallback`. */
function clamp(n: number, fallback: number, min: number, max: number): number {
  if (!Number.isFinite(n) || n < 1) return fallback;
  return Math.max(min, Math.min(Math.floor(n), max));
}
