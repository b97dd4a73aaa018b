import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cleanMessage, MAX_MESSAGE } from './message.js';

test('a message is one line of printable text, at most MAX_MESSAGE characters', () => {
  assert.equal(cleanMessage('  Maintenance at 18:00\r\n\x1b]52;c;Zm9v\x07 bye \u2028x '), 'Maintenance at 18:00 ]52;c;Zm9v  bye  x');
  assert.equal(cleanMessage('\x1b[2J\x1b[H'), '[2J [H');
  assert.equal(cleanMessage('a'.repeat(MAX_MESSAGE + 10)).length, MAX_MESSAGE);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (text) => {
      const out = cleanMessage(text);
      assert.ok(out.length <= MAX_MESSAGE);
      assert.doesNotMatch(out, /[\p{Cc}\u2028\u2029]/u);
      assert.equal(out, out.trim());
    }),
  );
});
