import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KeyboardState, SYNC_CAPS_LOCK, SYNC_NUM_LOCK, TypedText, type Keystroke } from './keyboard.js';

const SHIFT = 0x2a;
const CTRL = 0x1d;

/** Press and release each code in turn, as a client sends a tap. */
function taps(keyboard: KeyboardState, codes: number[], extended = false): Keystroke[] {
  const out: Keystroke[] = [];
  for (const code of codes) {
    const down = keyboard.scancode(code, extended, false);
    if (down) out.push(down);
    assert.equal(keyboard.scancode(code, extended, true), null);
  }
  return out;
}

function typed(strokes: Keystroke[], mask = false): string[] {
  const text = new TypedText(mask);
  const lines = strokes.map((s) => text.add(s)).filter((p) => p !== null).map((p) => `${p.text}|${p.endedBy}`);
  const rest = text.flush();
  return rest ? [...lines, `${rest.text}|${rest.endedBy}`] : lines;
}

test('scan codes on a US layout read as the text typed, lines end at Enter', () => {
  const keyboard = new KeyboardState();
  // "ls -la" Enter
  const strokes = taps(keyboard, [0x26, 0x1f, 0x39, 0x0c, 0x26, 0x1e, 0x1c]);
  assert.deepEqual(typed(strokes), ['ls -la|Enter']);
});

test('shift and caps lock choose the case; shift gives the symbols', () => {
  const keyboard = new KeyboardState();
  keyboard.scancode(SHIFT, false, false);
  const shifted = taps(keyboard, [0x23, 0x02, 0x28]); // H ! "
  keyboard.scancode(SHIFT, false, true);
  taps(keyboard, [0x3a]); // caps lock on
  const caps = taps(keyboard, [0x17, 0x02]); // I 1
  keyboard.scancode(SHIFT, false, false);
  const capsShift = taps(keyboard, [0x17]); // i
  assert.deepEqual(typed([...shifted, ...caps, ...capsShift]), ['H!"I1i|null']);
});

test('the client synchronizes the lock keys; the keypad types digits only with num lock', () => {
  const keyboard = new KeyboardState();
  keyboard.sync(SYNC_CAPS_LOCK);
  assert.deepEqual(taps(keyboard, [0x1e]), [{ text: 'A' }]);
  keyboard.sync(SYNC_NUM_LOCK);
  assert.deepEqual(taps(keyboard, [0x4f, 0x37]), [{ text: '1' }, { text: '*' }]);
  keyboard.sync(0);
  assert.deepEqual(taps(keyboard, [0x4f]), [{ key: 'End' }]);
  assert.deepEqual(taps(keyboard, [0x4f, 0x35, 0x1c], true), [{ key: 'End' }, { text: '/' }, { key: 'Enter' }]);
});

test('Ctrl chords are keys, not text; backspace takes back a character', () => {
  const keyboard = new KeyboardState();
  const strokes = taps(keyboard, [0x20, 0x1e, 0x0e, 0x12]); // d a Backspace e
  keyboard.scancode(CTRL, true, false);
  strokes.push(...taps(keyboard, [0x2e])); // Ctrl+C
  keyboard.scancode(CTRL, true, true);
  assert.deepEqual(typed(strokes), ['de|Ctrl+C']);
});

test('unicode events are the characters themselves', () => {
  const keyboard = new KeyboardState();
  const strokes = [...'héllo'].map((c) => keyboard.unicode(c.charCodeAt(0), false)!);
  assert.equal(keyboard.unicode(0x41, true), null);
  assert.deepEqual(typed(strokes), ['héllo|null']);
});

test('masked typing keeps the shape of what was typed and nothing of its text', () => {
  const keyboard = new KeyboardState();
  assert.deepEqual(typed(taps(keyboard, [0x19, 0x1e, 0x1f, 0x1f, 0x1c]), true), ['****|Enter']);
});

test('any sequence of keyboard events reads without error, and masked text is only stars', () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constant('scan' as const), code: fc.integer({ min: 0, max: 0x7f }), extended: fc.boolean(), release: fc.boolean() }),
    fc.record({ kind: fc.constant('unicode' as const), code: fc.integer({ min: 0, max: 0xffff }), release: fc.boolean() }),
    fc.record({ kind: fc.constant('sync' as const), flags: fc.integer({ min: 0, max: 0xf }) }),
  );
  fc.assert(fc.property(fc.array(event, { maxLength: 200 }), (events) => {
    const keyboard = new KeyboardState();
    const masked = new TypedText(true, 64);
    for (const e of events) {
      const stroke = e.kind === 'scan' ? keyboard.scancode(e.code, e.extended, e.release)
        : e.kind === 'unicode' ? keyboard.unicode(e.code, e.release)
          : (keyboard.sync(e.flags), null);
      const piece = stroke ? masked.add(stroke) : null;
      if (piece) assert.match(piece.text, /^\**$/);
    }
    const rest = masked.flush();
    if (rest) assert.ok(rest.text.length <= 64 && /^\**$/.test(rest.text));
  }));
});
