import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';

import fc from 'fast-check';

import { isAuthError, NONCE } from './mysql-auth-test-support.js';
import {
  checkNativeScramble,
  checkSha2Scramble,
  makeNativeVerifier,
  makeSha2Verifier,
  nonceFromAuthData,
  readCleartextPassword,
  rsaDecryptPassword,
  rsaEncryptPassword,
} from './mysql-auth.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Runs `fn`; a throw other than AuthError fails the test. */
function onlyAuthErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isAuthError(e), `expected AuthError, got ${String(e)}`);
  }
}

test('arbitrary client bytes never throw anything but AuthError', () => {
  const native = makeNativeVerifier('password');
  const sha2 = makeSha2Verifier('password');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (raw) => {
      const bytes = Buffer.from(raw);
      assert.equal(typeof checkNativeScramble(native, NONCE, bytes), 'boolean');
      assert.equal(typeof checkSha2Scramble(sha2, NONCE, bytes), 'boolean');
      assert.equal(checkNativeScramble(native, NONCE, bytes), false);
      assert.equal(checkSha2Scramble(sha2, NONCE, bytes), false);
      onlyAuthErrors(() => readCleartextPassword(bytes));
      onlyAuthErrors(() => rsaDecryptPassword(bytes, NONCE, rsa.privateKey));
      onlyAuthErrors(() => nonceFromAuthData(bytes));
      onlyAuthErrors(() => rsaEncryptPassword('password', NONCE, bytes));
    }),
    { numRuns: 300 },
  );
  // Full-length random ciphertexts reach the OAEP decoder.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 256, maxLength: 256 }), (raw) => {
      assert.throws(() => rsaDecryptPassword(Buffer.from(raw), NONCE, rsa.privateKey), isAuthError);
    }),
    { numRuns: 50 },
  );
});
