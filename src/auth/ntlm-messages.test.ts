import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../errors.js';
import { decodeAuthenticate, decodeAvPairs, decodeChallenge, decodeNegotiate, encodeAuthenticate, encodeAvPairs, encodeChallenge, encodeNegotiate } from './ntlm-messages.js';

const buf = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b));
const utf16able = fc.string({ maxLength: 30 }).map((s) => Buffer.from(s, 'utf16le').toString('utf16le'));

test('NTLM messages survive encoding and decoding', () => {
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), buf(8, 8), buf(0, 40), fc.array(fc.record({ id: fc.integer({ min: 1, max: 10 }), value: buf(0, 20) }), { maxLength: 5 }), (flags, serverChallenge, targetName, pairs) => {
      assert.equal(decodeNegotiate(encodeNegotiate({ flags })).flags, flags);
      const targetInfo = encodeAvPairs(pairs);
      const c = decodeChallenge(encodeChallenge({ flags: flags | 0x800000, serverChallenge, targetName, targetInfo }));
      assert.deepEqual([c.serverChallenge, c.targetName, c.targetInfo], [serverChallenge, targetName, targetInfo]);
      assert.deepEqual(decodeAvPairs(c.targetInfo), pairs.map((p) => ({ ...p })));
    }),
  );
  fc.assert(
    fc.property(utf16able, utf16able, utf16able, buf(0, 24), buf(0, 100), buf(16, 16), (user, domain, workstation, lm, nt, mic) => {
      const m = { flags: 1, lmResponse: lm, ntResponse: nt, user, domain, workstation, encryptedSessionKey: Buffer.alloc(16, 5), mic };
      assert.deepEqual(decodeAuthenticate(encodeAuthenticate(m)), { ...m, micOffset: 72 });
    }),
  );
});

test('malformed NTLM messages are refused with a protocol error', () => {
  const auth = encodeAuthenticate({ flags: 1, lmResponse: Buffer.alloc(24), ntResponse: Buffer.alloc(60), user: 'u', domain: 'd', workstation: 'w', encryptedSessionKey: Buffer.alloc(16), mic: Buffer.alloc(16) });
  for (let cut = 0; cut < auth.length; cut++) {
    assert.throws(() => decodeAuthenticate(auth.subarray(0, cut)), ProtocolError, `cut at ${cut}`);
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      for (const decode of [decodeNegotiate, decodeChallenge, decodeAuthenticate, decodeAvPairs]) {
        try {
          decode(Buffer.from(b));
        } catch (err) {
          assert.ok(err instanceof ProtocolError, String(err));
        }
      }
    }),
    { numRuns: 2000 },
  );
  assert.throws(() => decodeChallenge(Buffer.from('NTLMSSP\0\x03\0\0\0' + '\0'.repeat(40), 'latin1')), /type 3 where 2/);
});
