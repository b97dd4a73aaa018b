import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { md4 } from './md4.js';
import { Rc4, rc4 } from './rc4.js';

test('MD4 gives the RFC 1320 A.5 test suite digests', () => {
  const suite: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of suite) assert.equal(md4(Buffer.from(input)).toString('hex'), digest, JSON.stringify(input));
});

test('MD4 pads correctly at every length around a block boundary', () => {
  // Lengths 55, 56, 63, 64 cross the padding edge; the digests differ from each other and are stable.
  const seen = new Set<string>();
  for (let n = 50; n < 130; n++) seen.add(md4(Buffer.alloc(n, 0x61)).toString('hex'));
  assert.equal(seen.size, 80);
});

test('the NT hash of "Password" is the MS-NLMP 4.2.2.1.2 value', () => {
  assert.equal(md4(Buffer.from('Password', 'utf16le')).toString('hex'), 'a4f49c406510bdcab6824ee7c30fd852');
});

test('RC4 gives the known keystream vectors', () => {
  // Widely published vectors (also the RFC 6229 style "Key", "Wiki", "Secret").
  assert.equal(rc4(Buffer.from('Key'), Buffer.from('Plaintext')).toString('hex'), 'bbf316e8d940af0ad3');
  assert.equal(rc4(Buffer.from('Wiki'), Buffer.from('pedia')).toString('hex'), '1021bf0420');
  assert.equal(rc4(Buffer.from('Secret'), Buffer.from('Attack at dawn')).toString('hex'), '45a01f645fc35b383552544b9bf5');
  // RFC 6229, key 0x0102030405, keystream offset 0.
  assert.equal(rc4(Buffer.from('0102030405', 'hex'), Buffer.alloc(16)).toString('hex'), 'b2396305f03dc027ccc3524a0a1118a8');
});

test('RC4 keeps its keystream across updates, however the data is split', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat(300), (key, data, cut) => {
      const at = Math.min(cut, data.length);
      const s = new Rc4(key);
      const split = Buffer.concat([s.update(data.subarray(0, at)), s.update(data.subarray(at))]);
      assert.deepEqual(split, rc4(key, data));
      assert.deepEqual(rc4(key, split), Buffer.from(data));
    }),
  );
});
