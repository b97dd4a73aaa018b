import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FILL, INK, layoutBanner, MAX_COLUMNS, MAX_LINES, printable, renderBanner, scaleFor, wrap } from './banner.js';
import { CELL_W } from './font.js';
import { pixelsAt, readBanner } from './test-banner.js';

test('printable: tabs become spaces, line breaks are kept, anything the font lacks becomes ?', () => {
  assert.equal(printable('a\tb\r\nc\rd\ne'), 'a b\nc\nd\ne');
  assert.equal(printable('caf\u00e9 \u20ac5 \u{1F600}\x00\x1b[31m\x7f'), 'caf? ?5 ???[31m?');
  assert.equal(printable('x'.repeat(5000)).length, 2000);
});

test('wrap: breaks at spaces, cuts words longer than a line, keeps line breaks, ends an overflow with ...', () => {
  assert.deepEqual(wrap('Maintenance at 18:00', 40, 3), ['Maintenance at 18:00']);
  assert.deepEqual(wrap('the quick brown fox jumps', 10, 5), ['the quick', 'brown fox', 'jumps']);
  assert.deepEqual(wrap('abcdefghijkl mn', 5, 5), ['abcde', 'fghij', 'kl mn']);
  assert.deepEqual(wrap('one\n\ntwo  three', 20, 5), ['one', '', 'two three']);
  assert.deepEqual(wrap('a b c d e f', 3, 2), ['a b', '...']);
  assert.deepEqual(wrap('aa bb cc dd', 8, 1), ['aa bb...']);
  assert.deepEqual(wrap('anything', 2, 1), ['..']);
  assert.deepEqual(wrap('anything', 0, 3), []);
});

test('the banner is centred on the desktop, framed in ink on amber, and scaled to the desktop', () => {
  assert.equal(scaleFor(800, 600), 3);
  assert.equal(scaleFor(1024, 768), 3);
  assert.equal(scaleFor(1920, 1080), 4);
  assert.equal(scaleFor(320, 200), 1);
  const b = renderBanner('Maintenance at 18:00', 1024, 768)!;
  const { x, y, w, h, scale, lines } = b.layout;
  assert.deepEqual(lines, ['Maintenance at 18:00']);
  assert.ok(Math.abs(x + w / 2 - 512) <= 1 && Math.abs(y + h / 2 - 384) <= 1, JSON.stringify(b.layout));
  assert.equal(w % 4, 0);
  assert.ok(w >= 20 * CELL_W * scale);
  const at = pixelsAt(b.rgba, w, 4, x, y);
  assert.deepEqual(at(x, y), INK);
  assert.deepEqual(at(x + w - 1, y + h - 1), INK);
  assert.deepEqual(at(x + b.layout.frame, y + b.layout.frame), FILL);
  assert.deepEqual(readBanner(at, b.layout), ['Maintenance at 18:00']);
});

test('a long message wraps within the desktop and stops at the line limit', () => {
  const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
  const b = renderBanner(words, 800, 600)!;
  assert.equal(b.layout.lines.length, MAX_LINES);
  assert.ok(b.layout.lines.at(-1)!.endsWith('...'));
  assert.ok(b.layout.x >= 0 && b.layout.x + b.layout.w <= 800 && b.layout.y >= 0 && b.layout.y + b.layout.h <= 600);
  assert.deepEqual(readBanner(pixelsAt(b.rgba, b.layout.w, 4, b.layout.x, b.layout.y), b.layout), b.layout.lines);
});

test('however large the desktop, lines stop at MAX_COLUMNS characters and the banner stays a few megabytes', () => {
  const b = renderBanner('x'.repeat(5000), 32766, 32766)!;
  assert.equal(b.layout.lines.length, MAX_LINES);
  assert.ok(b.layout.lines.every((l) => l.length === MAX_COLUMNS), JSON.stringify(b.layout.lines));
  assert.ok(b.rgba.length < 4 << 20, `${b.rgba.length} bytes`);
});

test('a desktop too small for one character gets no banner', () => {
  assert.equal(layoutBanner('hello', 8, 8), null);
  assert.ok(layoutBanner('hello', 64, 48));
});

test('any message on any desktop: a banner inside it, rows 4-byte aligned, whose text reads back as the wrapped message', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400, unit: 'binary' }), fc.integer({ min: 32, max: 3840 }), fc.integer({ min: 32, max: 2160 }), (message, dw, dh) => {
      const b = renderBanner(message, dw, dh);
      if (!b) return;
      const { x, y, w, h, lines } = b.layout;
      assert.ok(x >= 0 && y >= 0 && x + w <= dw && y + h <= dh, JSON.stringify(b.layout));
      assert.equal(w % 4, 0);
      assert.equal(b.rgba.length, w * h * 4);
      assert.ok(lines.length >= 1 && lines.length <= MAX_LINES);
      assert.ok(lines.every((l) => l.length <= MAX_COLUMNS));
      const flat = printable(message).replace(/\s+/g, '');
      const shown = lines.join('').replace(/\s+/g, '');
      // All of the message, or a beginning of it marked cut with up to three dots.
      if (shown !== flat) {
        assert.match(shown, /\.$/);
        assert.ok(flat.startsWith(shown.replace(/\.{1,3}$/, '')), `${JSON.stringify(shown)} of ${JSON.stringify(flat)}`);
      }
      assert.deepEqual(readBanner(pixelsAt(b.rgba, w, 4, x, y), b.layout), lines);
    }),
    { numRuns: 150 },
  );
});
