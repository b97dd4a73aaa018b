import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LayoutCache, MAX_LAYOUT_COLUMNS } from './layouts.js';
import { ColumnLayout } from './table.js';

test('a layout is found again by the same descriptions in the same order, in any array', () => {
  const a = { name: 'a' };
  const b = { name: 'b' };
  const cache = new LayoutCache<{ name: string }>();
  const ab = new ColumnLayout([]);
  cache.add([a, b], ab);
  assert.equal(cache.find([a, b]), ab);
  assert.equal(cache.find([b, a]), undefined, 'another order');
  assert.equal(cache.find([a]), undefined, 'fewer');
  assert.equal(cache.find([a, b, a]), undefined, 'more');
  assert.equal(cache.find([{ name: 'a' }, b]), undefined, 'equal but another object');
});

test('the array a layout was added for may be reused by the caller', () => {
  const a = { name: 'a' };
  const cache = new LayoutCache<{ name: string }>();
  const key = [a];
  const layout = new ColumnLayout([]);
  cache.add(key, layout);
  key.push({ name: 'b' });
  assert.equal(cache.find([a]), layout);
});

test('a layout of more than MAX_LAYOUT_COLUMNS columns is not held', () => {
  const cache = new LayoutCache<{ i: number }>();
  const wide = Array.from({ length: MAX_LAYOUT_COLUMNS + 1 }, (_, i) => ({ i }));
  cache.add(wide, new ColumnLayout([]));
  assert.equal(cache.find(wide), undefined);
  const widest = wide.slice(0, MAX_LAYOUT_COLUMNS);
  const layout = new ColumnLayout([]);
  cache.add(widest, layout);
  assert.equal(cache.find(widest), layout);
});

test('the cache holds the layouts of its last `size` additions, as a list of them would', () => {
  const descriptions = Array.from({ length: 6 }, (_, i) => ({ i }));
  const shape = fc.array(fc.integer({ min: 0, max: descriptions.length - 1 }), { minLength: 0, maxLength: 3 });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.record({ add: fc.boolean(), shape }), { maxLength: 40 }), (size, steps) => {
      const cache = new LayoutCache<{ i: number }>(size);
      const model: { key: number[]; layout: ColumnLayout }[] = [];
      for (const { add, shape: s } of steps) {
        const key = s.map((i) => descriptions[i]!);
        if (add) {
          const layout = new ColumnLayout([]);
          cache.add(key, layout);
          model.push({ key: s, layout });
          if (model.length > size) model.shift();
        } else {
          const expected = [...model].reverse().find((m) => m.key.length === s.length && m.key.every((v, j) => v === s[j]));
          assert.equal(cache.find(key), expected?.layout);
        }
      }
    }),
  );
});
