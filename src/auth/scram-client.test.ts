import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { AuthError } from './auth-error.js';
import { ScramClient } from './scram-client.js';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS } from './scram-messages.js';
import { ScramServer } from './scram-server.js';
import { binding, isAuthError, mockSecret, RFC, text } from './scram-test-support.js';
import { makeScramVerifier } from './scram-verifier.js';

test('client side reproduces the RFC 7677 example exchange', async () => {
  for (const async of [false, true]) {
    const client = new ScramClient({ password: 'pencil', user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    assert.equal(client.mechanism([SCRAM_SHA_256]), SCRAM_SHA_256);
    assert.equal(client.clientFirst().toString(), RFC.clientFirst);
    const final = async ? await client.serverFirstAsync(text(RFC.serverFirst)) : client.serverFirst(text(RFC.serverFirst));
    assert.equal(final.toString(), RFC.clientFinal);
    assert.equal(client.completed, false);
    client.serverFinal(text(RFC.serverFinal));
    assert.equal(client.completed, true);
  }
});

test('client-first and client-final messages look as libpq’s do', () => {
  const client = new ScramClient({ password: 'pw', channelBinding: binding, nonce: 'abc' });
  client.mechanism([SCRAM_SHA_256_PLUS, SCRAM_SHA_256]);
  assert.equal(client.clientFirst().toString(), 'p=tls-server-end-point,,n=,r=abc');
  const final = client.serverFirst(text('r=abcdef,s=QUJD,i=1')).toString();
  const cbind = Buffer.concat([text('p=tls-server-end-point,,'), binding]).toString('base64');
  assert.match(final, new RegExp(`^c=${cbind.replace(/[+/]/g, '\\$&')},r=abcdef,p=[A-Za-z0-9+/]{43}=$`));
  const named = new ScramClient({ password: 'pw', user: 'a,b=c', nonce: 'n' });
  named.mechanism([SCRAM_SHA_256]);
  assert.equal(named.clientFirst().toString(), 'n,,n=a=2Cb=3Dc,r=n');
  // Random nonces: 18 bytes in base64, different each time.
  const nonces = new Set(
    [1, 2, 3].map(() => {
      const c = new ScramClient({ password: 'pw' });
      c.mechanism([SCRAM_SHA_256]);
      return c.clientFirst().toString().slice('n,,n=,r='.length);
    }),
  );
  assert.equal(nonces.size, 3);
  for (const n of nonces) assert.match(n, /^[A-Za-z0-9+/]{24}$/);
});

test('the client checks server-first-message', () => {
  const attempt = (msg: string, opts: { maxIterations?: number } = {}): void => {
    const client = new ScramClient({ password: 'pw', nonce: 'cn', ...opts });
    client.mechanism([SCRAM_SHA_256]);
    client.clientFirst();
    client.serverFirst(text(msg));
  };
  attempt('r=cnX,s=QUJD,i=1');
  attempt('r=cnX,s=QUJD,i=1,x=future');
  for (const bad of [
    'r=cn,s=QUJD,i=1', // no server part
    'r=xxcn,s=QUJD,i=1', // does not extend ours
    'r=cnX,s=QUJD,i=0',
    'r=cnX,s=QUJD,i=-1',
    'r=cnX,s=QUJD,i=1e3',
    'r=cnX,s=QUJD,i=10000001',
    'r=cnX,s=QUJD',
    'r=cnX,s=,i=1',
    'r=cnX,s=QUJ,i=1',
    'r=cnX,s=QUJD,i=1,',
    'm=ext,r=cnX,s=QUJD,i=1',
    'e=other-error',
    's=QUJD,r=cnX,i=1',
  ]) {
    assert.throws(() => attempt(bad), AuthError, bad);
  }
  assert.throws(() => attempt('r=cnX,s=QUJD,i=5000', { maxIterations: 4096 }), /outside 1\.\.4096/);
});

test('mechanism choice and call order', () => {
  assert.throws(() => new ScramClient({ password: 'pw' }).mechanism([SCRAM_SHA_256_PLUS]), /only SCRAM-SHA-256-PLUS/);
  assert.throws(() => new ScramClient({ password: 'pw' }).mechanism(['SCRAM-SHA-1']), /no SASL mechanism we support/);
  assert.equal(new ScramClient({ password: 'pw', channelBinding: binding }).mechanism([SCRAM_SHA_256, SCRAM_SHA_256_PLUS]), SCRAM_SHA_256_PLUS);
  assert.throws(() => new ScramClient({ password: 'pw' }).clientFirst(), /out of order/);
  const client = new ScramClient({ password: 'pw' });
  assert.throws(() => client.serverFinal(text('v=AAAA')), /out of order/);

  const server = new ScramServer({ verifier: makeScramVerifier('pw'), user: 'a', mockSecret });
  assert.throws(() => server.clientFinal(text('c=biws,r=x,p=AAAA')), /out of order/);
  server.clientFirst(SCRAM_SHA_256, text('n,,n=,r=x'));
  assert.throws(() => server.clientFirst(SCRAM_SHA_256, text('n,,n=,r=x')), /out of order/);
  // A throw ends the exchange.
  const once = new ScramServer({ verifier: makeScramVerifier('pw'), user: 'a', mockSecret });
  assert.throws(() => once.clientFirst(SCRAM_SHA_256, text('bogus')), AuthError);
  assert.throws(() => once.clientFirst(SCRAM_SHA_256, text('n,,n=,r=x')), /out of order/);
});

test('fuzz: arbitrary bytes into the client never throw anything but AuthError', () => {
  const token = fc.constantFrom('r=cn', 'r=cnX', 's=QUJD', 's=', 'i=1', 'i=0', 'i=99999999999', 'v=AAAA', 'e=x', 'm=1', '');
  const structured = fc.array(fc.oneof(token, fc.string({ maxLength: 6 })), { maxLength: 6 }).map((parts) => text(parts.join(',')));
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)), structured);
  fc.assert(
    fc.property(bytes, bytes, (first, final) => {
      const client = new ScramClient({ password: 'pw', nonce: 'cn', maxIterations: 16 });
      client.mechanism([SCRAM_SHA_256]);
      client.clientFirst();
      try {
        client.serverFirst(first);
        client.serverFinal(final);
        assert.fail('a random server-final cannot carry the right signature');
      } catch (e) {
        assert.ok(isAuthError(e), String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
