/**
 * Splits what the person types into keys: one printable character (a whole
 * UTF-8 sequence), one control byte, or one escape sequence a terminal sends
 * for a key (arrows, function keys, Alt+key, mouse reports).
 *
 *   CSI key   := ESC [ (0x20-0x3F)* (0x40-0x7E)      (ESC [ M b x y: X10 mouse)
 *   SS3 key   := ESC O (0x20-0x7E)
 *   Alt+key   := ESC (0x20-0x7E)
 *   report    := ESC (P | ] | _ | ^ | X) ... (ESC \ | BEL), whole within one chunk
 *                (a terminal's DCS/OSC answer, e.g. XTVERSION; else ESC P is Alt+P)
 *
 * A key may span input chunks; each of its bytes keeps the time of the chunk
 * it came in (`parts`). At most one key is open between chunks, and an open
 * key never exceeds MAX_KEY_BYTES.
 */

export const enum KeyKind {
  /** A character the target may echo. */
  Print,
  /** Anything else that carries no secret: controls, arrows, function keys. */
  Control,
  /** CR or LF: the line is submitted. */
  Enter,
  /** Ctrl-C: the line is abandoned. */
  Abort,
  /**
   * What the person's terminal sends on its own or for the mouse, not a key
   * that edits a line: cursor position and device attribute reports, focus
   * changes, mode reports, mouse reports.
   */
  Report,
}

export interface KeyPart {
  t: number;
  bytes: Uint8Array;
}

export interface Key {
  kind: KeyKind;
  /** The character, for Print keys. */
  cp: number;
  parts: KeyPart[];
}

const MAX_KEY_BYTES = 64;
const ESC = 0x1b;
const REPLACEMENT = 0xfffd;

const enum Open {
  Utf8,
  Escape,
  Csi,
  Ss3,
  Mouse,
}

interface OpenKey {
  what: Open;
  /** UTF-8 continuation bytes or mouse bytes still expected. */
  need: number;
  cp: number;
  size: number;
  parts: { t: number; bytes: number[] }[];
}

export class KeyReader {
  private open: OpenKey | undefined;

  push(t: number, data: Uint8Array, onKey: (key: Key) => void): void {
    for (let i = 0; i < data.length; i++) {
      const end = this.open === undefined && data[i] === ESC ? controlStringEnd(data, i) : -1;
      if (end < 0) {
        this.byte(t, data[i]!, onKey);
        continue;
      }
      onKey({ kind: KeyKind.Report, cp: 0, parts: [{ t, bytes: data.slice(i, end) }] });
      i = end - 1;
    }
  }

  /** Ends an open key (the channel closed): a cut character counts as printable. */
  flush(onKey: (key: Key) => void): void {
    const open = this.open;
    if (open) this.finish(open.what === Open.Utf8 ? KeyKind.Print : KeyKind.Control, REPLACEMENT, onKey);
  }

  private byte(t: number, b: number, onKey: (key: Key) => void): void {
    const open = this.open;
    if (open === undefined) return this.start(t, b, onKey);
    if (this.continues(open, b)) {
      append(open, t, b);
      if (this.complete(open, b)) this.finishOpen(open, onKey);
      return;
    }
    this.finishOpen(open, onKey, true);
    this.start(t, b, onKey);
  }

  private start(t: number, b: number, onKey: (key: Key) => void): void {
    const single = (kind: KeyKind, cp: number): void => onKey({ kind, cp, parts: [{ t, bytes: Uint8Array.of(b) }] });
    if (b === 0x0d || b === 0x0a) return single(KeyKind.Enter, b);
    if (b === 0x03) return single(KeyKind.Abort, b);
    if (b >= 0x20 && b < 0x7f) return single(KeyKind.Print, b);
    if (b < 0x80 && b !== ESC) return single(KeyKind.Control, b);
    const what = b === ESC ? Open.Escape : Open.Utf8;
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (what === Open.Utf8 && need === 0) return single(KeyKind.Print, REPLACEMENT);
    this.open = { what, need, cp: b & (0x3f >> need), size: 0, parts: [] };
    append(this.open, t, b);
  }

  /** Whether `b` belongs to the open key. */
  private continues(open: OpenKey, b: number): boolean {
    if (open.size >= MAX_KEY_BYTES) return false;
    switch (open.what) {
      case Open.Utf8:
        return (b & 0xc0) === 0x80;
      case Open.Escape:
        return b >= 0x20 && b < 0x7f;
      case Open.Csi:
        return b >= 0x20 && b < 0x7f;
      case Open.Ss3:
        return b >= 0x20 && b < 0x7f;
      case Open.Mouse:
        return true;
    }
  }

  /** Takes `b` (already appended) into the open key's state; true when the key is whole. */
  private complete(open: OpenKey, b: number): boolean {
    switch (open.what) {
      case Open.Utf8:
        open.cp = (open.cp << 6) | (b & 0x3f);
        return --open.need === 0;
      case Open.Escape:
        if (b === 0x5b) open.what = Open.Csi;
        else if (b === 0x4f) open.what = Open.Ss3;
        return b !== 0x5b && b !== 0x4f;
      case Open.Csi:
        if (b === 0x4d && open.size === 3) {
          open.what = Open.Mouse;
          open.need = 3;
          return false;
        }
        return b >= 0x40;
      case Open.Ss3:
        return true;
      case Open.Mouse:
        return --open.need === 0;
    }
  }

  /** `cut`: the next byte does not belong to the key, which ends as it is. */
  private finishOpen(open: OpenKey, onKey: (key: Key) => void, cut = false): void {
    if (open.what === Open.Utf8) {
      const cp = cut || open.cp > 0x10ffff ? REPLACEMENT : open.cp;
      this.finish(cp >= 0x80 && cp <= 0x9f ? KeyKind.Control : KeyKind.Print, cp, onKey);
    } else {
      this.finish(open.what === Open.Mouse || isReport(open) ? KeyKind.Report : KeyKind.Control, 0, onKey);
    }
  }

  private finish(kind: KeyKind, cp: number, onKey: (key: Key) => void): void {
    const open = this.open!;
    this.open = undefined;
    onKey({ kind, cp, parts: open.parts.map((p) => ({ t: p.t, bytes: Uint8Array.from(p.bytes) })) });
  }
}

/**
 * CSI sequences a terminal sends as answers or for the mouse (xterm's ctlseqs):
 * CPR `CSI r ; c R`, DA `CSI ? … c` / `CSI > … c`, DSR `CSI … n`, DECRPM
 * `CSI … $ y`, focus `CSI I` / `CSI O`, SGR mouse `CSI < … M` / `m`.
 */
function isReport(open: OpenKey): boolean {
  if (open.what !== Open.Csi) return false;
  const bytes = open.parts.flatMap((p) => p.bytes);
  const final = bytes[bytes.length - 1]!;
  const body = String.fromCharCode(...bytes.slice(2, -1));
  if (body === '' && (final === 0x49 || final === 0x4f)) return true;
  if (/^[<]\d+;\d+;\d+$/.test(body) && (final === 0x4d || final === 0x6d)) return true;
  if (/^[?>]?[\d;]*$/.test(body) && body !== '' && (final === 0x52 || final === 0x63 || final === 0x6e)) return true;
  return /^[?]?[\d;]+\$$/.test(body) && final === 0x79;
}

const MAX_REPORT_BYTES = 1024;
const BEL = 0x07;
/** P (DCS), ] (OSC), _ (APC), ^ (PM), X (SOS). */
const STRING_INTRODUCERS = new Set([0x50, 0x5d, 0x5f, 0x5e, 0x58]);

/**
 * The end of a control string that starts at `i` and ends within this chunk
 * (a terminal writes its answer at once), or -1. A person's Alt+P followed by
 * typing never gets a terminator in the same chunk, so it stays Alt+P.
 */
function controlStringEnd(data: Uint8Array, i: number): number {
  if (!STRING_INTRODUCERS.has(data[i + 1] ?? 0)) return -1;
  const limit = Math.min(data.length, i + MAX_REPORT_BYTES);
  for (let j = i + 2; j < limit; j++) {
    const b = data[j]!;
    if (b === BEL) return j + 1;
    if (b === ESC) return data[j + 1] === 0x5c ? j + 2 : -1;
    if (b < 0x08 || b === 0x7f) return -1;
  }
  return -1;
}

function append(open: OpenKey, t: number, b: number): void {
  const last = open.parts[open.parts.length - 1];
  if (last && last.t === t) last.bytes.push(b);
  else open.parts.push({ t, bytes: [b] });
  open.size++;
}
