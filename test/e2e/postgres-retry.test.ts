/**
 * psql's default sslmode=prefer retries a failed TLS login at once without TLS,
 * with the same password: one wrong password is one failed login, not two.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PgGateway } from '../fixtures/pg-gateway.js';

let g: PgGateway;

before(async () => {
  // Two failures block the address: a wrong password counted twice would lock alice out at once.
  g = await PgGateway.start({ top: 'admission: { maxFailures: 2 }' });
});
after(() => g?.stop());

const prefer = { sslmode: 'prefer' };

test('one wrong password with sslmode=prefer counts once; the second blocks, as it should', async () => {
  const wrong = await g.psql(['-c', 'SELECT 1'], { password: 'not-alices-password', conninfo: prefer });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /password authentication failed|28P01/);
  assert.match(g.log, /counted once/, 'the plain retry was seen as the same login');

  const right = await g.psql(['-At', '-c', 'SELECT 40 + 2'], { conninfo: prefer });
  assert.equal(right.code, 0, right.stderr);
  assert.equal(right.stdout, '42\n');

  // A success forgets the failures; two separate wrong logins are two failures and block the address.
  for (let i = 0; i < 2; i++) assert.notEqual((await g.psql(['-c', 'SELECT 1'], { password: `wrong-${i}`, conninfo: prefer })).code, 0);
  const blocked = await g.psql(['-c', 'SELECT 1'], { conninfo: prefer });
  assert.notEqual(blocked.code, 0);
  assert.match(blocked.stderr, /too many failed logins/i);
});
