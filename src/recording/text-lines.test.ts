import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TextLines } from './text-lines.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('lines carry the time they began and lose escape sequences', () => {
  const lines = new TextLines();
  assert.deepEqual(lines.push(10, enc('\x1b[1;32muser@web01\x1b[0m:~$ ls -')), []);
  assert.deepEqual(lines.push(20, enc('la\r\ntotal 0\r\n')), [
    { t: 10, text: 'user@web01:~$ ls -la' },
    { t: 20, text: 'total 0' },
  ]);
  assert.deepEqual(lines.push(30, enc('\x1b]0;title\x07done')), []);
  assert.deepEqual(lines.end(), [{ t: 30, text: 'done' }]);
});

test('a UTF-8 character split across writes stays whole; backspace erases', () => {
  const lines = new TextLines();
  const bytes = enc('héllo wörld\n');
  lines.push(1, bytes.subarray(0, 2));
  assert.deepEqual(lines.push(2, bytes.subarray(2)), [{ t: 1, text: 'héllo wörld' }]);
  assert.deepEqual(lines.push(3, enc('abx\bc\n')), [{ t: 3, text: 'abc' }]);
});

test('an unterminated OSC is abandoned instead of swallowing the rest of the output', () => {
  const lines = new TextLines();
  const out = [...lines.push(0, enc('\x1b]52;c;' + 'A'.repeat(10000))), ...lines.push(1, enc('visible\n'))];
  assert.ok(out.at(-1)?.text.endsWith('visible'));
});

test('arbitrary output never throws and lines stay bounded', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 500 })), (writes) => {
      const lines = new TextLines();
      for (const [i, w] of writes.entries()) for (const l of lines.push(i, w)) assert.ok(l.text.length <= 4096);
      lines.end();
    }),
  );
});
