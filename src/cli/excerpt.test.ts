import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CONTEXT, excerpt, stripControls } from './excerpt.js';

test('a full-screen redraw is reduced to the words on it', () => {
  const line = '\x1b[?1049h\x1b[1;1H\x1b[2J\x1b[7m  GNU nano 7.2 \x1b[0m\x1b[3;1Hrm -rf /tmp/build\x1b[K\x1b]0;title\x07';
  assert.equal(stripControls(line), '  GNU nano 7.2 rm -rf /tmp/build');
});

test('an excerpt is the match with at most CONTEXT characters each side, marked where cut', () => {
  const long = 'a'.repeat(5000) + ' rm -rf / ' + 'b'.repeat(5000);
  const got = excerpt(long, 'rm -rf');
  assert.equal(got, `…${'a'.repeat(CONTEXT - 1)} rm -rf / ${'b'.repeat(CONTEXT - 3)}…`);
  assert.equal(excerpt('short RM -RF line', 'rm -rf'), 'short RM -RF line');
  assert.equal(excerpt('nothing here', 'rm -rf'), undefined);
});

test('every excerpt holds the match and stays short, whatever the line', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 3000 }), fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 3000 }), (before, needle, after) => {
      const n = needle.toLowerCase();
      if (n.length !== needle.length) return;
      const got = excerpt(before + needle + after, n);
      assert.ok(got !== undefined);
      assert.ok(got.toLowerCase().includes(n.trim()));
      assert.ok(got.length <= needle.length + 2 * CONTEXT + 2);
    }),
  );
});
