import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { hex, isAuthError, nonce20, password, utf8 } from './mysql-auth-test-support.js';
import { checkNativeScramble, isNativeVerifier, nativeScramble, parseNativeVerifier } from './mysql-native.js';
import { checkSha2Password, checkSha2Scramble, sha2Digest, sha2Scramble } from './mysql-sha2.js';
import { isSha2Verifier, makeMysqlVerifiers, makeSha2Verifier, mockMysqlVerifiers, parseSha2Verifier } from './mysql-verifiers.js';

test('gateway verifiers: format, parsing, refusal of empty passwords', () => {
  const v = makeMysqlVerifiers('password');
  assert.equal(v.native, '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  assert.match(v.sha2, /^\$mysql-sha2\$[A-Za-z0-9+/]{43}=$/);
  // SHA256(SHA256("password")), worked out with openssl dgst -sha256 twice.
  assert.equal(v.sha2, '$mysql-sha2$c2Qcmfdxn1fY9L6xGjA6/NGQJDpRzth4LKbT2+AU0UY=');
  assert.deepEqual(parseSha2Verifier(v.sha2), sha2Digest('password'));
  assert.deepEqual(parseNativeVerifier(v.native), hex('2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'));
  assert.equal(isNativeVerifier(v.native), true);
  assert.equal(isSha2Verifier(v.sha2), true);
  assert.equal(isNativeVerifier(v.sha2), false);
  assert.equal(isSha2Verifier(v.native), false);
  assert.deepEqual(makeMysqlVerifiers(utf8('password')), v);
  for (const bad of [undefined, null, 42, {}, '', '*', '*XYZ', v.native + '0', ' ' + v.native, v.native.slice(1)]) {
    assert.equal(parseNativeVerifier(bad), null, JSON.stringify(bad));
  }
  for (const bad of [
    undefined,
    null,
    42,
    '',
    '$mysql-sha2$',
    '$mysql-sha2$AAAA',
    v.sha2.slice(0, -1),
    v.sha2 + 'AAAA',
    v.sha2.replace(/=$/, 'A'),
    v.sha2.slice(0, -2) + 'B=', // non-canonical unused bits
    v.sha2.replace('$mysql-sha2$', '$MYSQL-SHA2$'),
    '$A$005$' + 'x'.repeat(63),
  ]) {
    assert.equal(parseSha2Verifier(bad), null, JSON.stringify(bad));
  }
  assert.throws(() => makeMysqlVerifiers(''), isAuthError);
  assert.throws(() => makeSha2Verifier(''), isAuthError);
  assert.throws(() => makeMysqlVerifiers(undefined as unknown as string), isAuthError);
});

test('mock verifiers: deterministic, well-formed, never pass', () => {
  const secret = Buffer.alloc(32, 0x5a);
  const a = mockMysqlVerifiers(secret, 'alice');
  assert.deepEqual(mockMysqlVerifiers(secret, 'alice'), a);
  assert.notDeepEqual(mockMysqlVerifiers(secret, 'bob'), a);
  assert.notDeepEqual(mockMysqlVerifiers(Buffer.alloc(32, 0x5b), 'alice'), a);
  assert.equal(isNativeVerifier(a.native), true);
  assert.equal(isSha2Verifier(a.sha2), true);
  assert.match(a.native, /^\*[0-9A-F]{40}$/);
  fc.assert(
    fc.property(fc.string(), password, nonce20, (user, pw, nonce) => {
      const mock = mockMysqlVerifiers(secret, user);
      assert.equal(checkNativeScramble(mock.native, nonce, nativeScramble(pw, nonce)), false);
      assert.equal(checkSha2Scramble(mock.sha2, nonce, sha2Scramble(pw, nonce)), false);
      assert.equal(checkSha2Password(mock.sha2, pw), false);
    }),
    { numRuns: 100 },
  );
  assert.throws(() => mockMysqlVerifiers(Buffer.alloc(15), 'alice'), isAuthError);
  assert.throws(() => mockMysqlVerifiers('x'.repeat(32) as unknown as Buffer, 'alice'), isAuthError);
  assert.throws(() => mockMysqlVerifiers(secret, undefined as unknown as string), isAuthError);
});
