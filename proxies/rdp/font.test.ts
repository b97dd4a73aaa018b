import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GLYPH_H, GLYPH_W, glyph, glyphArt, hasGlyph, REPLACEMENT } from './font.js';

const ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

test('the font has a glyph for every printable ASCII character and for nothing else', () => {
  assert.deepEqual(Object.keys(glyphArt()).sort(), [...ASCII].sort());
  for (const ch of ['\t', '\n', '\x7f', 'é', '€', '😀']) assert.equal(hasGlyph(ch), false, JSON.stringify(ch));
  assert.deepEqual(glyph('é'), glyph(REPLACEMENT));
});

test('every glyph is drawn on the 5-wide grid, at most 9 rows, only # and .', () => {
  for (const [ch, art] of Object.entries(glyphArt())) {
    if (art === '') continue;
    const rows = art.split('/');
    assert.ok(rows.length <= GLYPH_H, `${ch}: ${rows.length} rows`);
    for (const r of rows) assert.match(r, new RegExp(`^[.#]{${GLYPH_W}}$`), `${ch}: row ${r}`);
  }
});

test('glyphs are told apart: no two characters draw the same, only the space draws nothing', () => {
  const seen = new Map<string, string>();
  for (const ch of ASCII) {
    const rows = glyph(ch);
    assert.equal(rows.length, GLYPH_H);
    const key = rows.join(',');
    assert.equal(seen.get(key), undefined, `${ch} draws as ${seen.get(key)}`);
    seen.set(key, ch);
    assert.equal(rows.some((r) => r !== 0), ch !== ' ', ch);
  }
});

test('descenders go below the baseline and capitals stay above it', () => {
  for (const ch of 'gjpqy,;') assert.ok(glyph(ch).slice(7).some((r) => r !== 0), ch);
  for (const ch of 'ABCXYZ0189') assert.ok(glyph(ch).slice(7).every((r) => r === 0), ch);
});
