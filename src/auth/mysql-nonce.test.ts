import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isAuthError, NONCE } from './mysql-auth-test-support.js';
import { makeMysqlNonce, MYSQL_NONCE_BYTES, nonceFromAuthData } from './mysql-nonce.js';

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
