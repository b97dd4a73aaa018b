import assert from 'node:assert/strict';
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, sign, verify, webcrypto } from 'node:crypto';
import { test } from 'node:test';

import fc from 'fast-check';

import {
  AUTH_MORE_DATA,
  AuthError,
  checkNativeScramble,
  checkSha2Password,
  checkSha2Scramble,
  cleartextPasswordPayload,
  ed25519MessageFromAuthData,
  ed25519PublicKey,
  ed25519Signature,
  isEmptyPasswordResponse,
  isNativeVerifier,
  isSha2Verifier,
  makeMysqlNonce,
  makeMysqlVerifiers,
  makeNativeVerifier,
  makeSha2Verifier,
  mockMysqlVerifiers,
  MYSQL_NONCE_BYTES,
  nativeScramble,
  nonceFromAuthData,
  parseNativeVerifier,
  parseSha2Verifier,
  readCleartextPassword,
  rsaDecryptPassword,
  rsaEncryptPassword,
  rsaPublicKeyPem,
  SHA2_FAST_AUTH_SUCCESS,
  SHA2_PERFORM_FULL_AUTH,
  SHA2_REQUEST_PUBLIC_KEY,
  sha2Digest,
  sha2Scramble,
  SHA256_PASSWORD_REQUEST_PUBLIC_KEY,
} from './mysql-auth.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const nonce20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a));
const password = fc.oneof(
  fc.string({ minLength: 1, unit: 'grapheme' }),
  fc.uint8Array({ minLength: 1, maxLength: 80 }).map((a) => Buffer.from(a)),
);
const NONCE = Buffer.from('0123456789abcdefghij');

function isAuthError(e: unknown): boolean {
  return e instanceof AuthError && e.code === 'RG_ERR_AUTH';
}

/** Runs `fn`; a throw other than AuthError fails the test. */
function onlyAuthErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isAuthError(e), `expected AuthError, got ${String(e)}`);
  }
}

// An independent route to the same values: WebCrypto digests and a plain XOR loop.
async function digest(alg: 'SHA-1' | 'SHA-256', ...parts: Uint8Array[]): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.digest(alg, Buffer.concat(parts)));
}
function xorBytes(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((x, i) => x ^ b[i % b.length]!));
}
async function expectedNative(pw: Buffer, nonce: Buffer): Promise<Buffer> {
  const h1 = await digest('SHA-1', pw);
  return xorBytes(h1, await digest('SHA-1', nonce, await digest('SHA-1', h1)));
}
async function expectedSha2(pw: Buffer, nonce: Buffer): Promise<Buffer> {
  const h1 = await digest('SHA-256', pw);
  return xorBytes(h1, await digest('SHA-256', await digest('SHA-256', h1), nonce));
}

// ---------------------------------------------------------------------------
// mysql_native_password
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// caching_sha2_password
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// RSA full authentication
// ---------------------------------------------------------------------------

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** No NUL, and short enough for a 2048-bit key. */
const framable = (pw: Buffer): boolean => !pw.includes(0) && pw.length < 200;
const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' };

test('RSA: encrypt and decrypt round trip, also long passwords (nonce repeated)', () => {
  const long = 'a-much-longer-pässwört-that-exceeds-twenty-bytes-§';
  for (const pw of ['p', 'password', long, Buffer.from([0xff, 0x01, 0x80])]) {
    const cipher = rsaEncryptPassword(pw, NONCE, rsa.publicKey);
    assert.equal(cipher.length, 256);
    assert.deepEqual(rsaDecryptPassword(cipher, NONCE, rsa.privateKey), typeof pw === 'string' ? utf8(pw) : pw);
  }
  // Fresh OAEP randomness each time.
  assert.notDeepEqual(rsaEncryptPassword('password', NONCE, rsa.publicKey), rsaEncryptPassword('password', NONCE, rsa.publicKey));
  fc.assert(
    fc.property(password.filter((p) => framable(typeof p === 'string' ? utf8(p) : p)), nonce20, (pw, n) => {
      const cipher = rsaEncryptPassword(pw, n, rsa.publicKey);
      assert.deepEqual(rsaDecryptPassword(cipher, n, rsa.privateKey), typeof pw === 'string' ? utf8(pw) : pw);
    }),
    { numRuns: 50 },
  );
});

test('RSA: the wire format is OAEP-SHA1 of (password NUL) XOR nonce (independent computation)', () => {
  const pw = utf8('a-much-longer-pässwört-that-exceeds-twenty-bytes');
  const framed = Buffer.concat([pw, Buffer.from([0])]);
  const masked = Buffer.from(framed.map((b, i) => b ^ NONCE[i % 20]!));
  // Ours, opened by hand.
  const ours = rsaEncryptPassword(pw, NONCE, rsa.publicKey);
  assert.deepEqual(privateDecrypt({ key: rsa.privateKey, ...oaep }, ours), masked);
  // By hand, opened by ours.
  const theirs = publicEncrypt({ key: rsa.publicKey, ...oaep }, masked);
  assert.deepEqual(rsaDecryptPassword(theirs, NONCE, rsa.privateKey), pw);
});

test('RSA: keys as PEM text, PEM bytes or KeyObjects; the public key PEM a server sends', () => {
  const pem = rsaPublicKeyPem(rsa.privateKey);
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
  assert.equal(rsaPublicKeyPem(rsa.publicKey), pem);
  const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const pkcs1Public = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  for (const pub of [pem, Buffer.from(pem), pkcs1Public, rsa.publicKey, rsa.privateKey]) {
    const cipher = rsaEncryptPassword('password', NONCE, pub);
    assert.deepEqual(rsaDecryptPassword(cipher, NONCE, privatePem), utf8('password'));
    assert.deepEqual(rsaDecryptPassword(cipher, NONCE, Buffer.from(privatePem)), utf8('password'));
  }
});

test('RSA: refusals are AuthErrors that carry no secret', () => {
  const pw = 'correct horse battery staple';
  const cipher = rsaEncryptPassword(pw, NONCE, rsa.publicKey);
  const check = (fn: () => unknown): void => {
    assert.throws(fn, (e: unknown) => {
      const message = (e as Error).message;
      return isAuthError(e) && !message.includes(pw) && !message.includes(NONCE.toString());
    });
  };
  // Tampered, truncated, extended ciphertext.
  const tampered = Buffer.from(cipher);
  tampered[100]! ^= 1;
  check(() => rsaDecryptPassword(tampered, NONCE, rsa.privateKey));
  check(() => rsaDecryptPassword(cipher.subarray(1), NONCE, rsa.privateKey));
  check(() => rsaDecryptPassword(Buffer.concat([cipher, Buffer.from([0])]), NONCE, rsa.privateKey));
  check(() => rsaDecryptPassword(Buffer.alloc(0), NONCE, rsa.privateKey));
  // Another nonce: the terminating NUL no longer decodes to NUL.
  check(() => rsaDecryptPassword(cipher, Buffer.from(NONCE.map((b) => b ^ 0x55)), rsa.privateKey));
  // Another key.
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  check(() => rsaDecryptPassword(cipher, NONCE, other.privateKey));
  // PKCS#1 v1.5 padding (pre-8.0.5 servers) is not accepted.
  const masked = Buffer.from(Buffer.concat([utf8(pw), Buffer.from([0])]).map((b, i) => b ^ NONCE[i % 20]!));
  const v15 = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_PADDING }, masked);
  check(() => rsaDecryptPassword(v15, NONCE, rsa.privateKey));
  // Missing NUL, or a NUL inside.
  check(() => rsaDecryptPassword(publicEncrypt({ key: rsa.publicKey, ...oaep }, masked.subarray(0, -1)), NONCE, rsa.privateKey));
  const inner = Buffer.from(Buffer.from('ab\0cd\0').map((b, i) => b ^ NONCE[i % 20]!));
  check(() => rsaDecryptPassword(publicEncrypt({ key: rsa.publicKey, ...oaep }, inner), NONCE, rsa.privateKey));
  // Too long for the key: 2048-bit leaves 256 - 42 = 214 bytes for password and NUL.
  assert.equal(rsaDecryptPassword(rsaEncryptPassword('x'.repeat(213), NONCE, rsa.publicKey), NONCE, rsa.privateKey).length, 213);
  check(() => rsaEncryptPassword('x'.repeat(214), NONCE, rsa.publicKey));
  const small = generateKeyPairSync('rsa', { modulusLength: 512 });
  check(() => rsaEncryptPassword(pw, NONCE, small.publicKey));
  // Passwords with NUL cannot be framed.
  check(() => rsaEncryptPassword('ab\0cd', NONCE, rsa.publicKey));
  // Keys that are not RSA keys of the right kind, or not keys.
  const ed = generateKeyPairSync('ed25519');
  check(() => rsaEncryptPassword(pw, NONCE, ed.publicKey));
  check(() => rsaDecryptPassword(cipher, NONCE, ed.privateKey));
  check(() => rsaDecryptPassword(cipher, NONCE, rsa.publicKey));
  check(() => rsaEncryptPassword(pw, NONCE, '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n'));
  check(() => rsaEncryptPassword(pw, NONCE, 'garbage'));
  check(() => rsaDecryptPassword(cipher, NONCE, 'garbage'));
  check(() => rsaEncryptPassword(pw, NONCE, null as unknown as string));
  check(() => rsaEncryptPassword(pw, Buffer.alloc(8), rsa.publicKey));
  check(() => rsaDecryptPassword(cipher, Buffer.alloc(21), rsa.privateKey));
});

// ---------------------------------------------------------------------------
// Gateway verifiers and mocks
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Nonces, constants, robustness
// ---------------------------------------------------------------------------

test('nonces: fresh ones are 20 printable bytes without "$"; auth data is trimmed', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const nonce = makeMysqlNonce();
    assert.equal(nonce.length, MYSQL_NONCE_BYTES);
    for (const b of nonce) assert.ok(b >= 0x21 && b <= 0x7e && b !== 0x24, `byte ${b}`);
    seen.add(nonce.toString('hex'));
  }
  assert.equal(seen.size, 200);
  assert.deepEqual(nonceFromAuthData(Buffer.concat([NONCE, Buffer.from([0])])), NONCE);
  assert.deepEqual(nonceFromAuthData(NONCE), NONCE);
  const badData = [0, 8, 19, 22, 32].map((n) => Buffer.alloc(n));
  badData.push(Buffer.concat([NONCE, Buffer.from([1])]));
  for (const bad of badData) {
    assert.throws(() => nonceFromAuthData(bad), isAuthError);
  }
  assert.throws(() => nonceFromAuthData('x'.repeat(20) as unknown as Buffer), isAuthError);
});

test('AuthMoreData bytes are those MySQL documents', () => {
  assert.equal(AUTH_MORE_DATA, 0x01);
  assert.equal(SHA2_REQUEST_PUBLIC_KEY, 0x02);
  assert.equal(SHA2_FAST_AUTH_SUCCESS, 0x03);
  assert.equal(SHA2_PERFORM_FULL_AUTH, 0x04);
  assert.equal(SHA256_PASSWORD_REQUEST_PUBLIC_KEY, 0x01);
});

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

// --- client_ed25519 ---------------------------------------------------------

/** An Ed25519 public key for node:crypto from its 32 raw bytes. */
function ed25519Key(raw: Buffer) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

test('client_ed25519: the public key is the one MariaDB stores for the password', () => {
  // authentication_string of `CREATE USER … IDENTIFIED VIA ed25519 USING PASSWORD('…')`, MariaDB 10.11.
  assert.equal(ed25519PublicKey('secret').toString('base64').replace(/=+$/, ''), 'ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY');
  assert.equal(
    ed25519PublicKey('pässwörd with a longer phrase, über 32 bytes lang').toString('base64').replace(/=+$/, ''),
    'hXBmw3T6wxURp6bfpia1pZFk+75alhYZQ2DBJcNjXY8',
  );
});

test('client_ed25519: a 32-byte password signs exactly as RFC 8032 Ed25519 with that seed', () => {
  // SHA-512 of a 32-byte seed is RFC 8032's own key expansion, so both must agree bit for bit.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed, message) => {
      const pkcs8 = Buffer.concat([hex('302e020100300506032b657004220420'), seed]);
      const expected = sign(null, message, createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
      assert.deepEqual(ed25519Signature(seed, message), expected);
    }),
    { numRuns: 50 },
  );
});

test('client_ed25519: signatures of any password verify under its public key, and only there', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 100 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (password, message) => {
      const signature = ed25519Signature(password, message);
      assert.equal(signature.length, 64);
      assert.ok(verify(null, message, ed25519Key(ed25519PublicKey(password)), signature));
      assert.ok(!verify(null, message, ed25519Key(ed25519PublicKey(`${password}x`)), signature));
    }),
    { numRuns: 50 },
  );
  assert.throws(() => ed25519Signature('', Buffer.alloc(32)), isAuthError);
});

test('client_ed25519: the message is 32 bytes, with or without a trailing NUL', () => {
  const message = Buffer.alloc(32, 7);
  assert.deepEqual(ed25519MessageFromAuthData(message), message);
  assert.deepEqual(ed25519MessageFromAuthData(Buffer.concat([message, Buffer.alloc(1)])), message);
  assert.throws(() => ed25519MessageFromAuthData(Buffer.alloc(20)), isAuthError);
  assert.throws(() => ed25519MessageFromAuthData(Buffer.alloc(33, 1)), isAuthError);
});
