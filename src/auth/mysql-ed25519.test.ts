import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { test } from 'node:test';

import fc from 'fast-check';

import { hex, isAuthError } from './mysql-auth-test-support.js';
import { ed25519MessageFromAuthData, ed25519PublicKey, ed25519Signature } from './mysql-ed25519.js';

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
