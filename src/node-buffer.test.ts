import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as helpers from './node-buffer.js';

type Helpers = typeof helpers;

/** The helpers as a Node without Buffer's undocumented methods would load them: a fresh copy of the module, made while they are hidden. */
async function withoutNodeMethods(): Promise<Helpers> {
  const proto = Buffer.prototype as unknown as Record<string, unknown>;
  const names = ['utf8Slice', 'latin1Slice', 'utf8Write'];
  const saved = names.map((n) => Object.getOwnPropertyDescriptor(proto, n));
  for (const n of names) delete proto[n];
  try {
    const fresh = './node-buffer.js?without-node-methods';
    return (await import(fresh)) as Helpers;
  } finally {
    names.forEach((n, i) => Object.defineProperty(proto, n, saved[i]!));
  }
}

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.uint8Array().map((b) => Buffer.from(b).toString('latin1')));

for (const [label, load] of [
  ["Node's own methods", async () => helpers],
  ['the documented fallbacks', withoutNodeMethods],
] as const) {
  test(`with ${label}, the slices are toString's for any bytes and bounds within them`, async () => {
    const h = await load();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const buf = Buffer.from(bytes);
        const start = a % (buf.length + 1);
        const end = start + (b % (buf.length - start + 1));
        assert.equal(h.utf8Slice(buf, start, end), buf.toString('utf8', start, end));
        assert.equal(h.latin1Slice(buf, start, end), buf.toString('latin1', start, end));
      }),
    );
  });

  test(`with ${label}, utf8Write writes what write() does and says how many bytes`, async () => {
    const h = await load();
    fc.assert(
      fc.property(text, fc.nat(8), (s, offset) => {
        const expected = Buffer.alloc(offset + Buffer.byteLength(s) + 4, 0xaa);
        const n = expected.write(s, offset);
        const actual = Buffer.alloc(expected.length, 0xaa);
        assert.equal(h.utf8Write(actual, s, offset), n);
        assert.deepEqual(actual, expected);
      }),
    );
  });
}

test('the copy loaded without the methods took the documented calls, and the methods are back after it', async () => {
  const h = await withoutNodeMethods();
  assert.notEqual(h.utf8Slice, helpers.utf8Slice, 'a fresh copy of the module, not the one loaded before');
  for (const [name, call] of [['utf8Slice', /toString\('utf8'/], ['latin1Slice', /toString\('latin1'/], ['utf8Write', /\.write\(/]] as const) {
    assert.match(String(h[name]), call, `the copy's ${name} is the fallback`);
    assert.doesNotMatch(String(helpers[name]), call, `this Node's ${name} is its own method`);
    assert.equal(typeof (Buffer.prototype as unknown as Record<string, unknown>)[name], 'function', `Buffer.prototype.${name} is back`);
  }
});
