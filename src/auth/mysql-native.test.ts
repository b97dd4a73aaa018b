import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { digest, hex, isAuthError, NONCE, nonce20, password, utf8, xorBytes } from './mysql-auth-test-support.js';
import { checkNativeScramble, makeNativeVerifier, nativeScramble } from './mysql-native.js';
import { isEmptyPasswordResponse } from './mysql-nonce.js';

async function expectedNative(pw: Buffer, nonce: Buffer): Promise<Buffer> {
  const h1 = await digest('SHA-1', pw);
  return xorBytes(h1, await digest('SHA-1', nonce, await digest('SHA-1', h1)));
}

test('native verifiers match what MySQL/MariaDB store', () => {
  // The widely published PASSWORD('password'), also what MariaDB 10.11 returns.
  assert.equal(makeNativeVerifier('password'), '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  // MariaDB 10.11 PASSWORD() over a utf8mb4 connection, and over raw bytes x'00ff'.
  assert.equal(makeNativeVerifier('hasło'), '*B292E506DD0A33862F3DC27DDA9AD32C113DF637');
  assert.equal(makeNativeVerifier('Sch0n-pässwört!'), '*C228AE68CF90D4837E6AC3647D020586E6D94184');
  assert.equal(makeNativeVerifier(Buffer.from([0x00, 0xff])), '*E73FA6BCA6EA55761379D611899B4D75AF039928');
  // MySQL stores an empty authentication_string for an account without a password.
  assert.equal(makeNativeVerifier(''), '');
  assert.equal(makeNativeVerifier(new Uint8Array(0)), '');
});

test('native scramble accepted by MariaDB 10.11 reproduces and verifies', () => {
  // A login captured against MariaDB 10.11.19 (mysql_native_password account,
  // password "Sch0n-pässwört!"): the server's nonce and the response it accepted.
  const nonce = hex('4d3e2d653826524d6b54433475756b3874626c77');
  const accepted = hex('dc33754577ae2e107e7ad1921a0b322824226556');
  assert.deepEqual(nativeScramble('Sch0n-pässwört!', nonce), accepted);
  assert.equal(checkNativeScramble('*C228AE68CF90D4837E6AC3647D020586E6D94184', nonce, accepted), true);
  assert.equal(checkNativeScramble('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19', nonce, accepted), false);
});

test('native scramble follows the formula (independent computation)', async () => {
  await fc.assert(
    fc.asyncProperty(password, nonce20, async (pw, nonce) => {
      const bytes = typeof pw === 'string' ? utf8(pw) : pw;
      assert.deepEqual(nativeScramble(pw, nonce), await expectedNative(bytes, nonce));
      const stored = await digest('SHA-1', await digest('SHA-1', bytes));
      assert.equal(makeNativeVerifier(pw), '*' + stored.toString('hex').toUpperCase());
    }),
    { numRuns: 200 },
  );
  // 'password' with a fixed nonce, both routes.
  assert.deepEqual(nativeScramble('password', NONCE), await expectedNative(utf8('password'), NONCE));
});

test('native round trip: right password passes, any other fails', () => {
  fc.assert(
    fc.property(password, password, nonce20, (pw, other, nonce) => {
      const verifier = makeNativeVerifier(pw);
      assert.equal(checkNativeScramble(verifier, nonce, nativeScramble(pw, nonce)), true);
      const same = Buffer.compare(typeof pw === 'string' ? utf8(pw) : pw, typeof other === 'string' ? utf8(other) : other) === 0;
      assert.equal(checkNativeScramble(verifier, nonce, nativeScramble(other, nonce)), same);
      // A response for another nonce fails (replay).
      const otherNonce = Buffer.from(nonce.map((b) => b ^ 1));
      assert.equal(checkNativeScramble(verifier, otherNonce, nativeScramble(pw, nonce)), false);
    }),
    { numRuns: 300 },
  );
  assert.equal(checkNativeScramble(makeNativeVerifier('password'), NONCE, nativeScramble('Password', NONCE)), false);
  // Lowercase hex in a stored verifier is read too.
  assert.equal(checkNativeScramble(makeNativeVerifier('password').toLowerCase(), NONCE, nativeScramble('password', NONCE)), true);
});

test('native empty password rules', () => {
  const verifier = makeNativeVerifier('password');
  assert.deepEqual(nativeScramble('', NONCE), Buffer.alloc(0));
  // An empty response never matches a real verifier.
  assert.equal(checkNativeScramble(verifier, NONCE, Buffer.alloc(0)), false);
  assert.equal(checkNativeScramble(verifier, NONCE, Buffer.alloc(0), { allowEmptyPassword: true }), false);
  // An empty verifier accepts an empty response only when asked to.
  assert.equal(checkNativeScramble('', NONCE, Buffer.alloc(0)), false);
  assert.equal(checkNativeScramble('', NONCE, Buffer.alloc(0), { allowEmptyPassword: true }), true);
  // ... and never a non-empty one (MySQL denies a password for a passwordless account).
  assert.equal(checkNativeScramble('', NONCE, nativeScramble('password', NONCE), { allowEmptyPassword: true }), false);
  assert.equal(isEmptyPasswordResponse(Buffer.alloc(0)), true);
  assert.equal(isEmptyPasswordResponse(Buffer.from([0])), true);
  assert.equal(isEmptyPasswordResponse(Buffer.from([1])), false);
  assert.equal(isEmptyPasswordResponse(Buffer.alloc(20)), false);
});

test('native: malformed responses and verifiers fail without throwing', () => {
  const verifier = makeNativeVerifier('password');
  const good = nativeScramble('password', NONCE);
  for (let n = 0; n <= 64; n++) {
    if (n === 20) continue;
    const response = Buffer.alloc(n, 0x41);
    good.copy(response, 0, 0, Math.min(n, 20));
    assert.equal(checkNativeScramble(verifier, NONCE, response), false, `length ${n}`);
  }
  assert.equal(checkNativeScramble(verifier, NONCE, Buffer.concat([good, Buffer.from([0])])), false);
  const hash = '2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19';
  for (const bad of ['', '*', hash, '*' + hash.slice(0, -1), `*${hash} `, '*' + hash.slice(0, -1) + 'G', '$mysql-sha2$']) {
    assert.equal(checkNativeScramble(bad, NONCE, good), false, JSON.stringify(bad));
  }
  assert.equal(checkNativeScramble(undefined as unknown as string, NONCE, good), false);
});

test('native: the gateway own mistakes throw AuthError', () => {
  const verifier = makeNativeVerifier('password');
  for (const n of [0, 8, 19, 21, 32]) {
    assert.throws(() => nativeScramble('password', Buffer.alloc(n)), isAuthError);
    assert.throws(() => checkNativeScramble(verifier, Buffer.alloc(n), Buffer.alloc(20)), isAuthError);
  }
  assert.throws(() => checkNativeScramble(verifier, NONCE, 'x'.repeat(20) as unknown as Buffer), isAuthError);
  assert.throws(() => checkNativeScramble(verifier, NONCE, null as unknown as Buffer), isAuthError);
  assert.throws(() => nativeScramble(42 as unknown as string, NONCE), isAuthError);
  assert.throws(() => nativeScramble('password', 'x'.repeat(20) as unknown as Buffer), isAuthError);
});
