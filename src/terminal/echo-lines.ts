/**
 * Decides, key by key, whether what the person typed may be recorded in
 * clear: a printable character is released as typed only once the target
 * has displayed it (its echo); a character never echoed is released masked,
 * '*' for each of its bytes. Control keys carry no secret and are released
 * as they are.
 *
 * On the alternate screen (an editor, a pager, tmux) keystrokes are the
 * record: they are released as typed, echoed or not (vim's `dd` never is),
 * except while the cursor stands after a secret prompt. A line begun on one
 * screen ends when the program switches screens. A line entered there is a
 * command too: the cursor's line when the typed text ends with it (vim's
 * `:wq` after normal-mode keys), else the text typed when no editing key
 * was used (the program's echo may come after the Enter, or never).
 *
 * Typed keys are grouped in lines, ended by Enter or Ctrl-C. Only the
 * oldest undecided line (the head) is compared with the output, in one of
 * two ways:
 * - live: the line was (being) typed while it was the head. Each printable
 *   must be echoed before ECHO_SKIP + (characters of the line already echoed)
 *   other displayed characters (spaces free), and before the next key comes
 *   ECHO_WAIT_MS after it; else the line is closed (hidden, ended without a
 *   command) and the next key starts a new one. Once Enter is typed, a line
 *   feed that is not the echo of an earlier Enter hides what is unechoed.
 *   The line may meet output the target wrote before its keys reached it
 *   (the prompt, when the person typed as it came; a character of it may
 *   pass for an echo): past the skip it waits, as a typed-ahead line does,
 *   for all its printables as one run, which must be whole before
 *   PROMPT_CHARS more displayed characters break it, and takes no key but its Enter
 *   and the terminal's answers meanwhile (another closes it); once the run is seen,
 *   it goes on live.
 * - typed ahead: its Enter was typed while earlier lines still waited (a
 *   paste). It is echoed when the target displays all its printables as one
 *   run within one output line (spaces and escape sequences may sit
 *   between); it is hidden if a key comes ECHO_WAIT_MS after its Enter first.
 * Either way, a line typed at (or waiting across) a secret prompt is hidden.
 *
 * Invariants:
 * - records leave in the order the keys were typed, each with its own time;
 * - a printable byte reaches a record in clear only after the same character
 *   was displayed by the target after it was typed;
 * - at most MAX_PENDING_BYTES typed bytes wait for a decision; past that the
 *   head line is hidden and released;
 * - once a line is hidden, all of its remaining printable keys are masked.
 */
import { KeyKind, type Key } from './input-keys.js';
import { RecordQueue, type CommandEvent, type KeystrokeRecord } from './records.js';

export type { CommandEvent, KeystrokeRecord } from './records.js';

/** What the classifier reads from the screen; `mark` is a position in the forwarded output. */
export interface ScreenView {
  /** Text on the cursor's line before the cursor, once output up to `mark` is shown. */
  promptAt(mark?: number): string;
  /** The cursor's line without `prompt`, once output up to `mark` is shown; '' when none. */
  commandAt(prompt: string, mark?: number): string;
  /** Whether the last line of output asks for a secret. */
  secretPrompt(): boolean;
  /** A full-screen program has the alternate screen. */
  alternate(): boolean;
}

export const MAX_PENDING_BYTES = 4096;
/** Displayed characters that may precede an echo: redraws, colours, completions. */
export const ECHO_SKIP = 8;
/**
 * How long (ms) a typed character may wait for its echo before the next key
 * starts a new line: a key a program consumed silently (a pager's `q`) must
 * not hold the following command line back.
 */
export const ECHO_WAIT_MS = 2000;
/** Displayed characters that may break a live line's run once its echo was late (a prompt, and more). */
export const PROMPT_CHARS = 256;
const MAX_COMMAND_CHARS = 4096;
const SPACE = 0x20;
const COLON = 0x3a;
/** The keys a line waiting for its late echo takes (see key()). */
const WAITING_TAKES: ReadonlySet<KeyKind> = new Set([KeyKind.Enter, KeyKind.Abort, KeyKind.Report]);
/** What takeCommands returns while no command was entered (most keys): shared, never written to. */
const NO_COMMANDS: readonly CommandEvent[] = Object.freeze([]);

const enum KeyState {
  Pending,
  Clear,
  Masked,
}

interface LineKey {
  key: Key;
  state: KeyState;
  /** The first key typed on its line. */
  first: boolean;
}

interface Line {
  /** Keys not yet released, in typed order. */
  keys: LineKey[];
  /** Index in `keys` of the first pending printable key, or keys.length. */
  next: number;
  hidden: boolean;
  end: KeyKind.Enter | KeyKind.Abort | undefined;
  endT: number;
  echoed: number;
  /** Live: displayed characters that did not match since the last echo. */
  skipped: number;
  prompt: string;
  /** Begun on the alternate screen. */
  alternate: boolean;
  /** The printables typed (up to MAX_COMMAND_CHARS), and whether any other key but Enter was. */
  typed: number[];
  edited: boolean;
  /** Its first key was a printable. */
  printFirst: boolean;
  /** Awaited as one run: typed ahead, or live until output came before its first echo. */
  ahead: Run | undefined;
}

interface Run {
  /** The printables awaited, and how many of them were seen in a row. */
  want: number[];
  seen: number;
  /** Nothing was typed but these printables and the Enter. */
  plain: boolean;
  /** A live line's: how many more displayed characters (spaces free) may break the run; -1 when unbounded. */
  budget: number;
  /** Where in the output the run being seen began. */
  from: number;
}

export class EchoClassifier {
  private readonly lines: Line[] = [];
  private pendingBytes = 0;
  private readonly records = new RecordQueue();
  private commands: CommandEvent[] = [];
  /**
   * A line was just accepted in clear: the next line feed is the echo of its
   * Enter. Cleared by the next key, echo or line feed.
   */
  private enterEcho = false;

  constructor(private readonly screen: ScreenView) {}

  key(key: Key): void {
    this.enterEcho = false;
    this.expire(key.parts[0]!.t);
    const alternate = this.screen.alternate();
    let line = this.lines[this.lines.length - 1];
    if (line !== undefined && line.end === undefined && line.alternate !== alternate) this.close(line);
    // A live line waiting for its late echo as one run takes only its Enter (or Ctrl-C) and the terminal's
    // answers (a prompt may ask where the cursor is): another key begins anew.
    if (line?.ahead !== undefined && line.end === undefined && !WAITING_TAKES.has(key.kind)) this.close(line);
    const first = line === undefined || line.end !== undefined;
    if (line === undefined || line.end !== undefined) {
      line = { keys: [], next: 0, hidden: false, end: undefined, endT: 0, echoed: 0, skipped: 0, prompt: this.screen.promptAt(), alternate, typed: [], edited: false, printFirst: key.kind === KeyKind.Print, ahead: undefined };
      this.lines.push(line);
    }
    if (key.kind === KeyKind.Print && line.typed.length < MAX_COMMAND_CHARS) line.typed.push(key.cp);
    else if (key.kind !== KeyKind.Enter && key.kind !== KeyKind.Report) line.edited = true;
    const entry: LineKey = { key, state: KeyState.Clear, first };
    if (key.kind === KeyKind.Print) {
      if (!line.hidden && line.echoed === 0 && this.screen.secretPrompt()) this.hide(line);
      entry.state = line.hidden ? KeyState.Masked : this.screen.alternate() ? KeyState.Clear : KeyState.Pending;
    }
    line.keys.push(entry);
    this.pendingBytes += keySize(key);
    if (key.kind === KeyKind.Enter || key.kind === KeyKind.Abort) {
      line.end = key.kind;
      line.endT = key.parts[0]!.t;
    }
    this.settle(line);
    this.bound();
  }

  /** Whether some typed character waits for its echo (else `echo` has nothing to do). */
  get waiting(): boolean {
    const head = this.lines[0];
    if (head === undefined || head.hidden) return false;
    advance(head);
    return head.next < head.keys.length;
  }

  /** A character the target displayed; its bytes are output[before, after). */
  echo(cp: number, before: number, after: number): void {
    const head = this.lines[0];
    if (head === undefined || head.hidden) return;
    if (head.ahead !== undefined) return this.echoAhead(head, head.ahead, cp, before, after);
    advance(head);
    const expected = head.keys[head.next];
    if (expected === undefined) return;
    if (expected.key.cp === cp) {
      if (expected.first) head.prompt = this.screen.promptAt(before);
      expected.state = KeyState.Clear;
      head.echoed++;
      head.skipped = 0;
      this.enterEcho = false;
      this.settle(head, after);
    } else if (cp !== SPACE) {
      if (this.askedForSecret(head, cp)) return this.close(head);
      if (++head.skipped <= ECHO_SKIP + head.echoed) return;
      // This may be output written before the keys reached the target, a character of it taken for an echo.
      head.ahead = { want: head.typed, seen: 0, plain: false, budget: PROMPT_CHARS, from: 0 };
      this.echoAhead(head, head.ahead, cp, before, after);
    }
  }

  /** A key comes at `t`: lines that waited ECHO_WAIT_MS for an echo before it will not get one. */
  private expire(t: number): void {
    for (let head = this.lines[0]; head?.ahead !== undefined && head.end !== undefined && !head.hidden && t - head.endT > ECHO_WAIT_MS; head = this.lines[0]) {
      this.hide(head);
      this.settle();
    }
    const line = this.lines[0];
    if (line === undefined || (line.ahead !== undefined && line.end !== undefined) || line.hidden) return;
    advance(line);
    const pending = line.keys[line.next];
    if (pending !== undefined && t - pending.key.parts[0]!.t > ECHO_WAIT_MS) this.close(line);
  }

  /** The line will get no echo: it is hidden and, if still open, ended (without a command). */
  private close(line: Line): void {
    this.hide(line);
    line.end ??= KeyKind.Abort;
    this.settle();
  }

  private echoAhead(head: Line, ahead: Run, cp: number, before: number, after: number): void {
    if (cp !== ahead.want[ahead.seen]) {
      if (cp === SPACE) return;
      if (this.askedForSecret(head, cp) || (ahead.budget >= 0 && ahead.budget-- === 0)) return this.close(head);
      ahead.seen = 0;
      if (cp !== ahead.want[0]) return;
    }
    if (ahead.seen++ === 0) ahead.from = before;
    if (ahead.seen < ahead.want.length) return;
    for (const k of head.keys) if (k.state === KeyState.Pending) k.state = KeyState.Clear;
    head.echoed = ahead.want.length;
    if (ahead.budget >= 0) {
      // A live line again, read from the screen; if its first key began the run, the run followed its prompt.
      if (head.printFirst) head.prompt = this.screen.promptAt(ahead.from);
      head.ahead = undefined;
    }
    this.enterEcho = false;
    this.settle(head, after);
  }

  /** A secret prompt appeared while the line, typed before it, waited for its first echo. */
  private askedForSecret(head: Line, cp: number): boolean {
    return cp === COLON && head.echoed === 0 && this.screen.secretPrompt();
  }

  /** The target moved to a new line. */
  lineFeed(): void {
    if (this.enterEcho) {
      this.enterEcho = false;
      return;
    }
    const head = this.lines[0];
    if (head === undefined || head.hidden) return;
    if (head.ahead !== undefined) {
      head.ahead.seen = 0;
      return;
    }
    if (head.end === undefined) return;
    advance(head);
    if (head.next < head.keys.length) {
      this.hide(head);
      this.settle();
    }
  }

  /** Masks and releases everything still pending. */
  flush(): void {
    for (const line of this.lines) this.hide(line);
    this.settle();
    this.lines.length = 0;
    this.pendingBytes = 0;
  }

  takeRecords(): KeystrokeRecord[] {
    return this.records.take();
  }

  takeCommands(): readonly CommandEvent[] {
    if (this.commands.length === 0) return NO_COMMANDS;
    const out = this.commands;
    this.commands = [];
    return out;
  }

  private hide(line: Line): void {
    line.hidden = true;
    for (const k of line.keys) if (k.state === KeyState.Pending) k.state = KeyState.Masked;
    line.next = line.keys.length;
  }

  /**
   * Releases what is decided from the head of the queue and drops resolved
   * lines. Only `reading` may yield a command: it is the line whose Enter or
   * echo is being processed, and the screen shows it as of `mark`.
   */
  private settle(reading?: Line, mark?: number): void {
    for (let head = this.lines[0]; head !== undefined; head = this.lines[0]) {
      advance(head);
      this.release(head);
      if (head.end === undefined || (!head.hidden && head.next < head.keys.length)) return;
      if (head === reading && !head.hidden && head.end === KeyKind.Enter) {
        this.command(head, mark);
        this.enterEcho = true;
      }
      this.lines.shift();
      const next = this.lines[0];
      if (next !== undefined && next.end !== undefined) next.ahead = awaited(next);
    }
  }

  private release(line: Line): void {
    let n = 0;
    for (const k of line.keys) {
      if (k.state === KeyState.Pending) break;
      for (const part of k.key.parts) this.records.push(part.t, part.bytes, k.state === KeyState.Masked);
      this.pendingBytes -= keySize(k.key);
      n++;
    }
    if (n === 0) return;
    // Most often every key goes (each echoed as typed): a new array, not a splice's copy of them.
    if (n === line.keys.length) line.keys = [];
    else line.keys.splice(0, n);
    line.next -= n;
  }

  private command(line: Line, mark: number | undefined): void {
    const text = line.ahead?.plain ? String.fromCodePoint(...line.ahead.want).trim() : this.commandText(line, mark);
    if (text === '') return;
    const command: CommandEvent = { t: line.endT, command: text.slice(0, MAX_COMMAND_CHARS) };
    if (line.alternate) command.alternate = true;
    this.commands.push(command);
  }

  /**
   * The command a line entered: the cursor's line, less its prompt. A line of
   * printables only is its typed text wherever the screen shows more around
   * it (text echoed by the tty while a previous command ran, then redrawn
   * after the prompt); on the alternate screen, where a program's echo may
   * come after the Enter or never, the typed text unless the screen shows a
   * tail of it (vim's `:wq` after normal-mode keys).
   */
  private commandText(line: Line, mark: number | undefined): string {
    const shown = this.screen.commandAt(line.prompt, mark);
    if (line.edited) return shown;
    const typed = String.fromCodePoint(...line.typed).trim();
    if (line.alternate) return shown !== '' && typed.endsWith(shown) ? shown : typed;
    return typed !== '' && shown.endsWith(typed) ? typed : shown;
  }

  private bound(): void {
    while (this.pendingBytes > MAX_PENDING_BYTES && this.lines.length > 0) {
      const head = this.lines[0]!;
      if (head.hidden && head.end === undefined) return;
      this.hide(head);
      this.settle();
    }
  }
}

/** What a typed-ahead line waits for: its printables in order. */
function awaited(line: Line): Run {
  const want: number[] = [];
  let plain = true;
  for (const k of line.keys) {
    if (k.state === KeyState.Pending) want.push(k.key.cp);
    else if (k.key.kind !== KeyKind.Enter && k.key.kind !== KeyKind.Report) plain = false;
  }
  return { want, seen: 0, plain, budget: -1, from: 0 };
}

/** Moves `next` past keys that are no longer waiting for their echo. */
function advance(line: Line): void {
  while (line.next < line.keys.length && line.keys[line.next]!.state !== KeyState.Pending) line.next++;
}

function keySize(key: Key): number {
  let n = 0;
  for (const p of key.parts) n += p.bytes.length;
  return n;
}
