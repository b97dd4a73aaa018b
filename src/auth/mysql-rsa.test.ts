import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { test } from 'node:test';

import fc from 'fast-check';

import { isAuthError, NONCE, nonce20, password, utf8 } from './mysql-auth-test-support.js';
import { rsaDecryptPassword, rsaEncryptPassword, rsaPublicKeyPem } from './mysql-rsa.js';

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
