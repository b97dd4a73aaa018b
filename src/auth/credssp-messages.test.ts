import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../errors.js';
import { decodeTsCredentials, decodeTsRequest, encodeTsCredentials, encodeTsRequest, tsRequestSize, type TsRequest } from './credssp-messages.js';
import { integer, readTlv, readUint32 } from './der.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));

const tsRequest: fc.Arbitrary<TsRequest> = fc.record(
  {
    version: fc.integer({ min: 2, max: 6 }),
    negoTokens: fc.array(bytes(300).filter((b) => b.length > 0), { minLength: 1, maxLength: 3 }),
    authInfo: bytes(400),
    pubKeyAuth: bytes(600),
    errorCode: fc.nat({ max: 0xffffffff }),
    clientNonce: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b)),
  },
  { requiredKeys: ['version'] },
);

test('a TSRequest survives encoding and decoding, whichever fields it has', () => {
  fc.assert(
    fc.property(tsRequest, (m) => {
      assert.deepEqual(decodeTsRequest(encodeTsRequest(m)), { ...m });
    }),
    { numRuns: 300 },
  );
});

test('the size of a TSRequest is known once its header arrived, at every split', () => {
  const wire = encodeTsRequest({ version: 6, negoTokens: [Buffer.alloc(300, 7)], pubKeyAuth: Buffer.alloc(40, 1), clientNonce: Buffer.alloc(32, 2) });
  for (let cut = 0; cut <= wire.length; cut++) {
    const size = tsRequestSize(wire.subarray(0, cut));
    if (cut < 4) assert.equal(size, null, `at ${cut}`);
    else assert.equal(size, wire.length, `at ${cut}`);
  }
});

test('NTSTATUS codes are written as 4-byte negative integers and read back unsigned', () => {
  assert.equal(integer(0xc000006d).toString('hex'), '0204c000006d');
  assert.equal(readUint32(readTlv(integer(0xc000006d)).value, 'x'), 0xc000006d);
  assert.equal(integer(0x80).toString('hex'), '02020080');
  assert.equal(integer(6).toString('hex'), '020106');
  // FreeRDP's errorCode bytes from a real capture: a0 06 02 04 c0 00 00 6d
  assert.equal(decodeTsRequest(Buffer.from('300da003020106a4060204c000006d', 'hex')).errorCode, 0xc000006d);
});

test('a version 2 TSRequest with an NTLM token decodes like mstsc sends it', () => {
  // version 2, negoTokens = [ "NTLMSSP\0" ]
  const wire = Buffer.from('3018a003020102a111300f300da00b0409' + Buffer.from('NTLMSSP\0\x01').toString('hex'), 'hex');
  const m = decodeTsRequest(wire);
  assert.equal(m.version, 2);
  assert.equal(m.negoTokens?.[0]?.toString('latin1'), 'NTLMSSP\0\x01');
});

test('garbage is refused with a protocol error, never anything else', () => {
  fc.assert(
    fc.property(bytes(200), (b) => {
      try {
        decodeTsRequest(b);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, String(err));
      }
    }),
    { numRuns: 2000 },
  );
  const wire = encodeTsRequest({ version: 6, negoTokens: [Buffer.from('abc')], authInfo: Buffer.from('x') });
  fc.assert(
    fc.property(fc.nat(wire.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const bad = Buffer.from(wire);
      bad[at]! ^= flip;
      try {
        decodeTsRequest(bad);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, String(err));
      }
    }),
  );
});

test('an indefinite or oversized length is refused before the body arrives', () => {
  assert.throws(() => tsRequestSize(Buffer.from('3080', 'hex')), /indefinite/);
  assert.throws(() => tsRequestSize(Buffer.from('3084ffffffff', 'hex')), /larger/);
  assert.throws(() => tsRequestSize(Buffer.from('6082', 'hex')), /TSRequest/);
});

test('password credentials survive a round trip in UTF-16, and smart-card credentials are refused', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (domain, user, password) => {
      const c = { domain, user, password };
      const back = decodeTsCredentials(encodeTsCredentials(c));
      assert.deepEqual(back, { domain: Buffer.from(domain, 'utf16le').toString('utf16le'), user: Buffer.from(user, 'utf16le').toString('utf16le'), password: Buffer.from(password, 'utf16le').toString('utf16le') });
    }),
  );
  const smartCard = Buffer.from('3009a003020102a1020400', 'hex');
  assert.throws(() => decodeTsCredentials(smartCard), /smart card/);
});
