/**
 * What the person does, from their decoded input PDUs: key presses read by
 * KeyboardState become `key` events and typed-text lines (`typed`), masked
 * when the target does not record keystrokes; mouse button presses become
 * `click` events; pointer moves become PointerPosition screen records.
 */
import { RecordType, type ScreenRecord } from '../../src/graphics/records.js';
import type { RecordedEvent } from '../../src/recording/frames.js';
import type { Envelope } from './codec/envelope.js';
import { FASTPATH_KBDFLAGS_EXTENDED, FASTPATH_KBDFLAGS_RELEASE, KBDFLAGS_EXTENDED, KBDFLAGS_RELEASE, type InputEvent } from './codec/input.js';
import { KeyboardState, TypedText, type Keystroke } from './keyboard.js';

/** TS_POINTER_EVENT pointerFlags (MS-RDPBCGR 2.2.8.1.1.3.1.1.3). */
const PTRFLAGS_MOVE = 0x0800;
const PTRFLAGS_DOWN = 0x8000;
const BUTTONS: readonly [number, string][] = [
  [0x1000, 'left'],
  [0x2000, 'right'],
  [0x4000, 'middle'],
];

export interface InputSeen {
  events: RecordedEvent[];
  screen: ScreenRecord[];
}

export class InputObserver {
  private readonly keyboard = new KeyboardState();
  private readonly typed: TypedText;

  constructor(private readonly keystrokes: boolean) {
    this.typed = new TypedText(!keystrokes);
  }

  /** The events and pointer records one client PDU carries. */
  observe(env: Envelope): InputSeen {
    const seen: InputSeen = { events: [], screen: [] };
    if (env.fastpath?.input) {
      for (const e of env.fastpath.input.events) {
        this.event(e.event, (e.flags & FASTPATH_KBDFLAGS_EXTENDED) !== 0, (e.flags & FASTPATH_KBDFLAGS_RELEASE) !== 0, seen);
      }
    } else if (env.data?.kind === 'input') {
      for (const e of env.data.events) {
        const flags = 'flags' in e.event ? e.event.flags : 0;
        this.event(e.event, (flags & KBDFLAGS_EXTENDED) !== 0, (flags & KBDFLAGS_RELEASE) !== 0, seen);
      }
    }
    return seen;
  }

  /** Text typed and not yet ended by a key, as a `typed` event (the session's end flushes it). */
  flush(): RecordedEvent | null {
    const piece = this.typed.flush();
    return piece ? { type: 'typed', text: piece.text, endedBy: null } : null;
  }

  private event(e: InputEvent, extended: boolean, release: boolean, seen: InputSeen): void {
    switch (e.type) {
      case 'sync':
        this.keyboard.sync(e.toggleFlags);
        return;
      case 'scancode':
        return this.stroke(this.keyboard.scancode(e.keyCode, extended, release), seen);
      case 'unicode':
        return this.stroke(this.keyboard.unicode(e.code, release), seen);
      case 'mouse': {
        if (e.pointerFlags & PTRFLAGS_MOVE) seen.screen.push({ type: RecordType.PointerPosition, x: e.x, y: e.y });
        if (!(e.pointerFlags & PTRFLAGS_DOWN)) return;
        const button = BUTTONS.find(([bit]) => e.pointerFlags & bit)?.[1];
        if (button) seen.events.push({ type: 'click', button, x: e.x, y: e.y });
        return;
      }
      default:
        return;
    }
  }

  private stroke(stroke: Keystroke | null, seen: InputSeen): void {
    if (!stroke) return;
    seen.events.push('text' in stroke ? { type: 'key', text: this.keystrokes ? stroke.text : '*'.repeat(stroke.text.length) } : { type: 'key', key: stroke.key });
    const piece = this.typed.add(stroke);
    if (piece && piece.text !== '') seen.events.push({ type: 'typed', text: piece.text, endedBy: piece.endedBy });
  }
}
