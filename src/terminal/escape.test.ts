import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { safeJson, safeLine } from './escape.js';

/** Code points that must never reach a terminal raw from untrusted text. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('one field on one line: controls, DEL, C1 and bidi controls become visible escapes', () => {
  assert.equal(safeLine('alice'), 'alice');
  assert.equal(safeLine('a\x1b]52;c;eA==\x07b'), 'a\\x1B]52;c;eA==\\x07b');
  assert.equal(safeLine('tab\there\nnext\r'), 'tab\\x09here\\x0Anext\\r');
  assert.equal(safeLine('del\x7f c1\x9b\u0085'), 'del\\x7F c1\\u009B\\u0085');
  assert.equal(safeLine('evil\u202etxt.exe \u2066x\u2069 \u061c\u200e\u200f'), 'evil\\u202Etxt.exe \\u2066x\\u2069 \\u061C\\u200E\\u200F');
  assert.equal(safeLine('héllo ✓ 日本 😀'), 'héllo ✓ 日本 😀');
});

test('JSON stays JSON and parses to the same value, with what JSON.stringify leaves raw escaped', () => {
  const value = [{ user: 'mallory\x1b[31m', target: 'web\u202e10', note: 'del\x7f c1\x9b \u2028', n: 1 }];
  const json = safeJson(value, 2);
  assert.deepEqual(JSON.parse(json), value);
  assert.ok(!UNSAFE.test(json.replace(/\n/g, '')), json);
  assert.match(json, /"web\\u202e10"/);
  assert.match(json, /del\\u007f c1\\u009b \\u2028/);
  assert.equal(safeJson({ a: 'plain' }), '{"a":"plain"}');
});

test('fuzz: escaped text holds nothing unsafe, escaped JSON parses back', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      assert.ok(!UNSAFE.test(safeLine(s)));
      const json = safeJson({ s, list: [s] });
      assert.deepEqual(JSON.parse(json), { s, list: [s] });
      assert.ok(!UNSAFE.test(json));
    }),
    { numRuns: 2000 },
  );
});
