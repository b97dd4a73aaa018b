import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_TRACKED, remember } from './tracked.js';

test('remember keeps the most recently defined names, at most MAX_TRACKED, the oldest forgotten first', () => {
  // Names from a pool a little larger than the cap, and runs that define one name again and
  // again (an unnamed portal bound for every statement), alone in the map or not.
  const name = fc.oneof(fc.integer({ min: 0, max: MAX_TRACKED + 8 }), fc.constant(0));
  fc.assert(
    fc.property(fc.array(fc.tuple(name, fc.nat(3)), { maxLength: 2000 }), fc.boolean(), (steps, closeSome) => {
      const map = new Map<number, string>();
      // The model: names in order of definition, oldest first.
      let model: [number, string][] = [];
      steps.forEach(([key, times], i) => {
        for (let n = 0; n <= times; n++) {
          const value = `${i}.${n}`;
          remember(map, key, value);
          model = [...model.filter(([k]) => k !== key), [key, value]];
          if (model.length > MAX_TRACKED) model.shift();
        }
        // A Close forgets a name, which leaves one entry now and then.
        if (closeSome && i % 7 === 0) {
          map.delete(key);
          model = model.filter(([k]) => k !== key);
        }
      });
      assert.deepEqual([...map], model);
    }),
    { numRuns: 100 },
  );
});

test('a name defined again is the newest: past the cap the next oldest is forgotten', () => {
  const map = new Map<number, string>();
  for (let k = 0; k < MAX_TRACKED; k++) remember(map, k, 'first');
  remember(map, 0, 'again');
  remember(map, MAX_TRACKED, 'new');
  assert.equal(map.size, MAX_TRACKED);
  assert.equal(map.get(0), 'again');
  assert.equal(map.has(1), false);
  // Alone in the map, a name defined again is simply its new value.
  const one = new Map([['', 'a']]);
  remember(one, '', 'b');
  assert.deepEqual([...one], [['', 'b']]);
});
