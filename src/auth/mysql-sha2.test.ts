import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { digest, isAuthError, NONCE, nonce20, password, utf8, xorBytes } from './mysql-auth-test-support.js';
import { makeNativeVerifier } from './mysql-native.js';
import {
  AUTH_MORE_DATA,
  checkSha2Password,
  checkSha2Scramble,
  cleartextPasswordPayload,
  readCleartextPassword,
  SHA2_FAST_AUTH_SUCCESS,
  SHA2_PERFORM_FULL_AUTH,
  SHA2_REQUEST_PUBLIC_KEY,
  sha2Digest,
  sha2Scramble,
  SHA256_PASSWORD_REQUEST_PUBLIC_KEY,
} from './mysql-sha2.js';
import { makeSha2Verifier } from './mysql-verifiers.js';

async function expectedSha2(pw: Buffer, nonce: Buffer): Promise<Buffer> {
  const h1 = await digest('SHA-256', pw);
  return xorBytes(h1, await digest('SHA-256', await digest('SHA-256', h1), nonce));
}

test('sha2 scramble matches published vectors and the formula', async () => {
  // Vectors published in go-sql-driver/mysql's tests (TestScrambleSHA256Pass).
  const nonce = Buffer.from([10, 47, 74, 111, 75, 73, 34, 48, 88, 76, 114, 74, 37, 13, 3, 80, 82, 2, 23, 21]);
  assert.equal(sha2Scramble('secret', nonce).toString('hex'), 'f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c');
  assert.equal(sha2Scramble('secret2', nonce).toString('hex'), 'abc3934a012cf342e876071c8ee202de51785b430258a7a0138bc79c4d800bc6');
  assert.deepEqual(sha2Scramble('', nonce), Buffer.alloc(0));
  await fc.assert(
    fc.asyncProperty(password, nonce20, async (pw, n) => {
      const bytes = typeof pw === 'string' ? utf8(pw) : pw;
      assert.deepEqual(sha2Scramble(pw, n), await expectedSha2(bytes, n));
      assert.deepEqual(sha2Digest(pw), await digest('SHA-256', await digest('SHA-256', bytes)));
    }),
    { numRuns: 200 },
  );
});

test('sha2 fast auth round trip: right password passes, any other fails', () => {
  fc.assert(
    fc.property(password, password, nonce20, (pw, other, nonce) => {
      const verifier = makeSha2Verifier(pw);
      const digestBytes = sha2Digest(pw);
      const response = sha2Scramble(pw, nonce);
      assert.equal(checkSha2Scramble(verifier, nonce, response), true);
      assert.equal(checkSha2Scramble(digestBytes, nonce, response), true);
      assert.equal(checkSha2Scramble(new Uint8Array(digestBytes) as Buffer, nonce, response), true);
      const same = Buffer.compare(typeof pw === 'string' ? utf8(pw) : pw, typeof other === 'string' ? utf8(other) : other) === 0;
      assert.equal(checkSha2Scramble(verifier, nonce, sha2Scramble(other, nonce)), same);
      assert.equal(checkSha2Password(verifier, pw), true);
      assert.equal(checkSha2Password(digestBytes, other), same);
      const otherNonce = Buffer.from(nonce.map((b) => b ^ 0x80));
      assert.equal(checkSha2Scramble(verifier, otherNonce, response), false);
    }),
    { numRuns: 300 },
  );
});

test('sha2: malformed responses and digests fail without throwing', () => {
  const verifier = makeSha2Verifier('password');
  const good = sha2Scramble('password', NONCE);
  for (let n = 0; n <= 80; n++) {
    if (n === 32) continue;
    const response = Buffer.alloc(n, 0x41);
    good.copy(response, 0, 0, Math.min(n, 32));
    assert.equal(checkSha2Scramble(verifier, NONCE, response), false, `length ${n}`);
  }
  assert.equal(checkSha2Scramble(verifier, NONCE, Buffer.from([0])), false);
  const malformed = ['', '$mysql-sha2$', verifier.slice(0, -1), verifier + '=', verifier.replace('$mysql-sha2$', '$mysql-sha1$')];
  for (const bad of [...malformed, makeNativeVerifier('password')]) {
    assert.equal(checkSha2Scramble(bad, NONCE, good), false, JSON.stringify(bad));
    assert.equal(checkSha2Password(bad, 'password'), false);
  }
  assert.equal(checkSha2Scramble(Buffer.alloc(31), NONCE, good), false);
  assert.equal(checkSha2Scramble(undefined as unknown as string, NONCE, good), false);
  // An empty password never passes full authentication against a verifier.
  assert.equal(checkSha2Password(sha2Digest(''), ''), false);
  assert.throws(() => checkSha2Scramble(verifier, Buffer.alloc(21), good), isAuthError);
  assert.throws(() => checkSha2Scramble(verifier, NONCE, [1, 2] as unknown as Buffer), isAuthError);
});

test('cleartext full authentication (TLS): password and one NUL', () => {
  assert.deepEqual(cleartextPasswordPayload('pässwört'), Buffer.concat([utf8('pässwört'), Buffer.from([0])]));
  assert.deepEqual(cleartextPasswordPayload(''), Buffer.from([0]));
  assert.deepEqual(readCleartextPassword(utf8('secret\0')), utf8('secret'));
  assert.deepEqual(readCleartextPassword(Buffer.from([0])), Buffer.alloc(0));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }).filter((a) => !a.includes(0)), (pw) => {
      const read = readCleartextPassword(cleartextPasswordPayload(Buffer.from(pw)));
      assert.deepEqual(read, Buffer.from(pw));
    }),
  );
  for (const bad of ['', 'secret', 'sec\0ret\0', '\0\0', 'secret\0x']) {
    assert.throws(() => readCleartextPassword(utf8(bad)), isAuthError, JSON.stringify(bad));
  }
  assert.throws(() => cleartextPasswordPayload('a\0b'), isAuthError);
  assert.throws(() => readCleartextPassword('secret\0' as unknown as Buffer), isAuthError);
});

test('AuthMoreData bytes are those MySQL documents', () => {
  assert.equal(AUTH_MORE_DATA, 0x01);
  assert.equal(SHA2_REQUEST_PUBLIC_KEY, 0x02);
  assert.equal(SHA2_FAST_AUTH_SUCCESS, 0x03);
  assert.equal(SHA2_PERFORM_FULL_AUTH, 0x04);
  assert.equal(SHA256_PASSWORD_REQUEST_PUBLIC_KEY, 0x01);
});
