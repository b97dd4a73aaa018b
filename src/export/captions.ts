/**
 * Captions for --overlay: what the person typed and clicked, from the
 * events stream, as lines shown under the picture. Keystrokes close together
 * gather into one caption; a caption stays up `holdMs` after its last input.
 *
 * Events read: `{type:"key", text}` or `{type:"key", key}` (a named key such
 * as Enter or Ctrl+C), `{type:"click", button, x, y}`.
 */
import type { RecordedEvent } from '../recording/frames.js';

export interface Caption {
  from: number;
  to: number;
  text: string;
}

const MAX_CHARS = 80;

export class CaptionBuilder {
  readonly captions: Caption[] = [];
  private open: Caption | undefined;

  constructor(private readonly holdMs = 2000) {}

  /** An event at recording time `t`. */
  event(t: number, e: RecordedEvent): void {
    const piece = describe(e);
    if (piece === undefined) return;
    if (this.open && t <= this.open.to && !piece.startsWith('[click')) {
      this.open.text = tail(this.open.text + piece);
      this.open.to = t + this.holdMs;
      return;
    }
    if (this.open) this.open.to = Math.min(this.open.to, t);
    this.open = { from: t, to: t + this.holdMs, text: tail(piece) };
    this.captions.push(this.open);
  }
}

function describe(e: RecordedEvent): string | undefined {
  if (e.type === 'key') {
    if (typeof e.text === 'string') return printable(e.text);
    if (typeof e.key === 'string') return `[${printable(e.key)}]`;
  }
  if (e.type === 'click') {
    const button = typeof e.button === 'string' || typeof e.button === 'number' ? String(e.button) : 'left';
    const at = typeof e.x === 'number' && typeof e.y === 'number' ? ` ${e.x},${e.y}` : '';
    return `[click ${printable(button)}${at}] `;
  }
  return undefined;
}

/** Control characters would reach ffmpeg's text renderer: shown as '?'. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
}

function tail(s: string): string {
  const chars = [...s];
  return chars.length > MAX_CHARS ? '…' + chars.slice(-MAX_CHARS + 1).join('') : s;
}
