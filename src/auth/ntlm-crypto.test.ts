/**
 * NTLMv2 against the worked example of MS-NLMP 4.2.4 (user "User", domain
 * "Domain", password "Password", server challenge 0123456789abcdef, client
 * challenge aa..aa, time 0, random session key 55..55).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Av, encodeAvPairs } from './ntlm-messages.js';
import { clientBlob, encryptSessionKey, ntHash, ntowfv2, SealingDirection, sealKey, signKey, v2Responses, verifyV2 } from './ntlm-crypto.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const serverChallenge = hex('0123456789abcdef');
const clientChallenge = Buffer.alloc(8, 0xaa);
const time = Buffer.alloc(8);
const randomSessionKey = Buffer.alloc(16, 0x55);
// 4.2.4.1.3 / 4.2.4.2.2: NbDomainName "Domain", NbComputerName "Server", MsvAvEOL
const targetInfo = encodeAvPairs([
  { id: Av.NbDomainName, value: Buffer.from('Domain', 'utf16le') },
  { id: Av.NbComputerName, value: Buffer.from('Server', 'utf16le') },
]);

test('NTOWFv2 is the MS-NLMP 4.2.4.1.1 value', () => {
  assert.deepEqual(ntowfv2(ntHash('Password'), 'User', 'Domain'), hex('0c868a403bfd7a93a3001ef22ef02e3f'));
});

test('the NTLMv2 and LMv2 responses and the session base key are the MS-NLMP 4.2.4.2 values', () => {
  const key = ntowfv2(ntHash('Password'), 'User', 'Domain');
  const r = v2Responses(key, serverChallenge, clientChallenge, clientBlob(time, clientChallenge, targetInfo));
  assert.deepEqual(r.lmResponse, hex('86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa'));
  assert.deepEqual(r.ntProofStr, hex('68cd0ab851e51c96aabc927bebef6a1c'));
  assert.deepEqual(r.sessionBaseKey, hex('8de40ccadbc14a82f15cb0ad0de95ca3'));
  // With NTLMv2 the key exchange key is the session base key (3.4.5.1).
  assert.deepEqual(encryptSessionKey(r.sessionBaseKey, randomSessionKey), hex('c5dad2544fc9799094ce1ce90bc9d03e'));
});

test('the server accepts the response made with the right password and refuses any other', () => {
  const key = ntowfv2(ntHash('Password'), 'User', 'Domain');
  const r = v2Responses(key, serverChallenge, clientChallenge, clientBlob(time, clientChallenge, targetInfo));
  assert.deepEqual(verifyV2(key, serverChallenge, r.ntResponse), r.sessionBaseKey);
  assert.equal(verifyV2(ntowfv2(ntHash('password'), 'User', 'Domain'), serverChallenge, r.ntResponse), null);
  assert.equal(verifyV2(key, hex('0123456789abcdee'), r.ntResponse), null, 'a replay against another challenge');
  assert.equal(verifyV2(key, serverChallenge, r.ntResponse.subarray(0, 24)), null, 'an NTLMv1-sized response');
  // The user name is case-insensitive, the domain is not.
  assert.deepEqual(ntowfv2(ntHash('Password'), 'user', 'Domain'), key);
});

test('sealing and signing give the MS-NLMP 4.2.4.4 keys, ciphertext and signature', () => {
  assert.deepEqual(sealKey(randomSessionKey, 'client'), hex('59f600973cc4960a25480a7c196e4c58'));
  assert.deepEqual(signKey(randomSessionKey, 'client'), hex('4788dc861b4782f35d43fd98fe1a2d39'));
  const [signature, sealed] = new SealingDirection(randomSessionKey, 'client', true).seal(Buffer.from('Plaintext', 'utf16le'));
  assert.deepEqual(sealed, hex('54e50165bf1936dc996020c1811b0f06fb5f'));
  assert.deepEqual(signature, hex('010000007fb38ec5c55d497600000000'));
});

test('the peer opens every sealed message in sequence and refuses a tampered or replayed one', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 5 }), (key, messages) => {
      const k = Buffer.from(key);
      const out = new SealingDirection(k, 'server', true);
      const inn = new SealingDirection(k, 'server', true);
      for (const m of messages) {
        const [sig, sealed] = out.seal(Buffer.from(m));
        assert.deepEqual(inn.unseal(sig, sealed), Buffer.from(m));
      }
    }),
  );
  const k = Buffer.alloc(16, 3);
  const out = new SealingDirection(k, 'client', true);
  const [sig, sealed] = out.seal(Buffer.from('public key'));
  const flipped = Buffer.from(sealed);
  flipped[0]! ^= 1;
  assert.equal(new SealingDirection(k, 'client', true).unseal(sig, flipped), null);
  const inn = new SealingDirection(k, 'client', true);
  inn.unseal(sig, sealed);
  assert.equal(inn.unseal(sig, sealed), null, 'the same message again is out of sequence');
});
