import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import fc from 'fast-check';

import { AuthError } from './auth-error.js';
import { md5PasswordHash, md5PasswordResponse } from './md5-password.js';

const md5hex = (data: Buffer): string => createHash('md5').update(data).digest('hex');

test('known values', () => {
  // md5("postgrespostgres"), the widely quoted hash for user postgres / password postgres.
  assert.equal(md5PasswordHash('postgres', 'postgres'), 'md53175bce1d3201d16594cebf9d7eb3f9d');
  // What PostgreSQL 15 stored for CREATE ROLE dave PASSWORD 'dave-pw' with password_encryption = md5.
  assert.equal(md5PasswordHash('dave', 'dave-pw'), 'md54aea2d8fa8447cc4a4949ac4431b10e7');
  // Responses worked out with coreutils md5sum over the concatenated bytes.
  assert.equal(md5PasswordResponse('postgres', 'postgres', Buffer.from([0x7f, 0x00, 0xff, 0x10])), 'md57b063944490e109aa3eec3fa9497d932');
  assert.equal(md5PasswordResponse('postgres', 'secret', Buffer.from([1, 2, 3, 4])), 'md5bb41a296aab6baccb36ff243a562abff');
});

test('matches the formula for any user, password and salt (UTF-8)', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.uint8Array({ minLength: 4, maxLength: 4 }), (user, password, salt) => {
      const inner = md5hex(Buffer.from(password + user, 'utf8'));
      const expected = 'md5' + md5hex(Buffer.concat([Buffer.from(inner, 'ascii'), salt]));
      assert.equal(md5PasswordResponse(user, password, Buffer.from(salt)), expected);
      assert.equal(md5PasswordHash(user, password), 'md5' + inner);
    }),
  );
  assert.match(md5PasswordResponse('żółw', 'hasło', Buffer.alloc(4)), /^md5[0-9a-f]{32}$/);
});

test('the salt must be 4 bytes', () => {
  for (const n of [0, 3, 5, 8]) assert.throws(() => md5PasswordResponse('u', 'p', Buffer.alloc(n)), AuthError);
});
