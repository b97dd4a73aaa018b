import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import fc from 'fast-check';

import { AuthError } from './auth-error.js';
import { ScramClient } from './scram-client.js';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS } from './scram-messages.js';
import { ScramServer } from './scram-server.js';
import { b64, binding, isAuthError, mockSecret, RFC, text } from './scram-test-support.js';
import { makeScramVerifier } from './scram-verifier.js';

/** Runs a whole exchange; the client checks the server's signature when the server accepts. */
function exchange(server: ScramServer, client: ScramClient): { mechanism: string; result: ReturnType<ScramServer['clientFinal']> } {
  const mechanism = client.mechanism(server.mechanisms());
  const serverFirst = server.clientFirst(mechanism, client.clientFirst());
  const result = server.clientFinal(client.serverFirst(serverFirst));
  if (result.ok) client.serverFinal(result.serverFinal);
  return { mechanism, result };
}

test('server side reproduces the RFC 7677 example exchange', () => {
  const verifier = makeScramVerifier('pencil', { salt: b64('W22ZaJ0SNY7soEsUEjb6gQ=='), iterations: 4096 });
  const server = new ScramServer({ verifier, user: 'user', mockSecret, nonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
  assert.deepEqual(server.mechanisms(), [SCRAM_SHA_256]);
  assert.equal(server.clientFirst(SCRAM_SHA_256, text(RFC.clientFirst)).toString(), RFC.serverFirst);
  const result = server.clientFinal(text(RFC.clientFinal));
  assert.ok(result.ok);
  assert.equal(result.serverFinal.toString(), RFC.serverFinal);
});

test('server and client agree, with and without channel binding', () => {
  const verifier = makeScramVerifier('s3cret p\u00e4ss');
  const plain = exchange(new ScramServer({ verifier, user: 'alice', mockSecret }), new ScramClient({ password: 's3cret p\u00e4ss' }));
  assert.equal(plain.mechanism, SCRAM_SHA_256);
  assert.equal(plain.result.ok, true);

  const server = new ScramServer({ verifier, user: 'alice', mockSecret, channelBinding: binding });
  assert.deepEqual(server.mechanisms(), [SCRAM_SHA_256_PLUS, SCRAM_SHA_256]);
  const client = new ScramClient({ password: 's3cret p\u00e4ss', channelBinding: binding });
  const plus = exchange(server, client);
  assert.equal(plus.mechanism, SCRAM_SHA_256_PLUS);
  assert.equal(plus.result.ok, true);
  assert.equal(client.completed, true);

  // A client with binding data facing a server that does not offer -PLUS says "y", which that server accepts.
  const yClient = new ScramClient({ password: 's3cret p\u00e4ss', channelBinding: binding });
  assert.equal(yClient.mechanism([SCRAM_SHA_256]), SCRAM_SHA_256);
  const yFirst = yClient.clientFirst();
  assert.ok(yFirst.toString().startsWith('y,,n=,r='));
  const yServer = new ScramServer({ verifier, user: 'alice', mockSecret });
  const yResult = yServer.clientFinal(yClient.serverFirst(yServer.clientFirst(SCRAM_SHA_256, yFirst)));
  assert.equal(yResult.ok, true);

  // A client without binding data uses plain SCRAM-SHA-256 ("n") even when -PLUS is offered.
  const nResult = exchange(new ScramServer({ verifier, user: 'alice', mockSecret, channelBinding: binding }), new ScramClient({ password: 's3cret p\u00e4ss' }));
  assert.equal(nResult.mechanism, SCRAM_SHA_256);
  assert.equal(nResult.result.ok, true);
});

test('a wrong password fails at the end, for the log only', () => {
  const server = new ScramServer({ verifier: makeScramVerifier('right'), user: 'alice', mockSecret });
  const { result } = exchange(server, new ScramClient({ password: 'wrong' }));
  assert.deepEqual(result, { ok: false, reason: 'wrong password' });
});

test('an unknown user gets a normal-looking, deterministic server-first and fails at the end', () => {
  const first = (user: string, secret = mockSecret, verifier: string | null = null): { salt: string; iterations: string; nonceLength: number } => {
    const server = new ScramServer({ verifier, user, mockSecret: secret });
    const client = new ScramClient({ password: 'anything', nonce: 'clientnonce' });
    const msg = server.clientFirst(client.mechanism(server.mechanisms()), client.clientFirst()).toString();
    const m = /^r=clientnonce([A-Za-z0-9+/]{24}),s=([A-Za-z0-9+/]{22}==),i=(\d+)$/.exec(msg);
    assert.ok(m, msg);
    return { salt: m[2]!, iterations: m[3]!, nonceLength: m[1]!.length };
  };
  const real = first('alice', mockSecret, makeScramVerifier('pw'));
  const ghost = first('ghost');
  assert.equal(ghost.iterations, real.iterations);
  assert.equal(ghost.salt.length, real.salt.length);
  assert.equal(ghost.nonceLength, real.nonceLength);
  assert.deepEqual(first('ghost'), ghost, 'the same salt every time for one name');
  assert.notEqual(first('ghost2').salt, ghost.salt);
  assert.notEqual(first('ghost', Buffer.alloc(32, 1)).salt, ghost.salt, 'the salt depends on the server secret');
  assert.equal(new ScramServer({ verifier: null, user: 'g', mockSecret, mockIterations: 10000 }).clientFirst(SCRAM_SHA_256, text('n,,n=,r=x')).toString().endsWith(',i=10000'), true);

  const ghostServer = new ScramServer({ verifier: null, user: 'ghost', mockSecret });
  assert.deepEqual(exchange(ghostServer, new ScramClient({ password: 'anything' })).result, { ok: false, reason: 'unknown user' });
  const brokenServer = new ScramServer({ verifier: 'md53175bce1d3201d16594cebf9d7eb3f9d', user: 'alice', mockSecret });
  assert.deepEqual(exchange(brokenServer, new ScramClient({ password: 'postgres' })).result, { ok: false, reason: 'invalid verifier' });
  assert.throws(() => new ScramServer({ verifier: null, user: 'x', mockSecret: Buffer.alloc(8) }), AuthError);
});

test('channel binding: downgrade, wrong flag and wrong binding data are refused', () => {
  const verifier = makeScramVerifier('pw');
  const server = (): ScramServer => new ScramServer({ verifier, user: 'alice', mockSecret, channelBinding: binding });
  const rejects = (mech: string, first: string, pattern: RegExp, s = server()): void => {
    assert.throws(() => s.clientFirst(mech, text(first)), (e: unknown) => isAuthError(e) && pattern.test((e as Error).message));
  };
  // "y" while the server offers -PLUS: someone removed -PLUS from the list.
  rejects(SCRAM_SHA_256, 'y,,n=,r=abc', /downgrade/);
  rejects(SCRAM_SHA_256_PLUS, 'y,,n=,r=abc', /no channel binding/);
  rejects(SCRAM_SHA_256_PLUS, 'n,,n=,r=abc', /no channel binding/);
  rejects(SCRAM_SHA_256, 'p=tls-server-end-point,,n=,r=abc', /without -PLUS/);
  rejects(SCRAM_SHA_256_PLUS, 'p=tls-unique,,n=,r=abc', /unsupported SCRAM channel binding type "tls-unique"/);
  rejects(SCRAM_SHA_256_PLUS, 'p=tls-server-end-point,,n=,r=abc', /unsupported SASL mechanism/, new ScramServer({ verifier, user: 'alice', mockSecret }));
  rejects('SCRAM-SHA-1', 'n,,n=,r=abc', /unsupported SASL mechanism "SCRAM-SHA-1"/);

  // The client saw a different certificate (a man in the middle): its binding data differs.
  const mitm = exchange(server(), new ScramClient({ password: 'pw', channelBinding: createHash('sha256').update('other').digest() }));
  assert.deepEqual(mitm.result, { ok: false, reason: 'channel binding mismatch' });

  // c= must repeat the GS2 header of client-first ("n" sent, "y" claimed).
  const t = server();
  const c2 = new ScramClient({ password: 'pw', nonce: 'cn' });
  const sf = t.clientFirst(c2.mechanism([SCRAM_SHA_256]), c2.clientFirst());
  const final = c2.serverFirst(sf).toString().replace('c=biws', 'c=eSws');
  assert.deepEqual(t.clientFinal(text(final)), { ok: false, reason: 'channel binding mismatch' });
});

test('tampered proof, nonce or server signature fail', () => {
  const verifier = makeScramVerifier('pw');
  const run = (edit: (final: string) => string): ReturnType<ScramServer['clientFinal']> => {
    const server = new ScramServer({ verifier, user: 'alice', mockSecret });
    const client = new ScramClient({ password: 'pw' });
    const final = client.serverFirst(server.clientFirst(client.mechanism(server.mechanisms()), client.clientFirst())).toString();
    return server.clientFinal(text(edit(final)));
  };
  const flipProof = (final: string): string => {
    const [head, proof] = final.split(',p=') as [string, string];
    const bytes = b64(proof);
    bytes[7]! ^= 0x20;
    return `${head},p=${bytes.toString('base64')}`;
  };
  assert.deepEqual(run(flipProof), { ok: false, reason: 'wrong password' });
  assert.deepEqual(run((f) => f.replace(/,r=([^,]*)/, ',r=$1x')), { ok: false, reason: 'nonce mismatch' });
  assert.equal(run((f) => f.replace(',p=', ',x=ext,p=')).ok, false, 'an extension changes the AuthMessage');

  const server = new ScramServer({ verifier, user: 'alice', mockSecret });
  const client = new ScramClient({ password: 'pw' });
  const ok = server.clientFinal(client.serverFirst(server.clientFirst(client.mechanism(server.mechanisms()), client.clientFirst())));
  assert.ok(ok.ok);
  const sig = b64(ok.serverFinal.toString().slice(2));
  sig[0]! ^= 1;
  assert.throws(() => client.serverFinal(text(`v=${sig.toString('base64')}`)), /server signature is wrong/);
  assert.equal(client.completed, false);

  const refused = new ScramClient({ password: 'hunter2hunter2', nonce: 'cn' });
  refused.mechanism([SCRAM_SHA_256]);
  refused.clientFirst();
  refused.serverFirst(text('r=cnsn,s=QUJD,i=1'));
  assert.throws(
    () => refused.serverFinal(text('e=invalid-proof')),
    (e: unknown) => isAuthError(e) && /invalid-proof/.test((e as Error).message) && !(e as Error).message.includes('hunter2'),
  );
});

test('malformed client messages throw AuthError', () => {
  const server = (): ScramServer => new ScramServer({ verifier: makeScramVerifier('pw', { iterations: 1 }), user: 'a', mockSecret });
  for (const bad of [
    '',
    'n',
    'n,',
    'x,,n=,r=abc',
    'n,a=admin,n=,r=abc',
    'n,zz,n=,r=abc',
    'n,,r=abc',
    'n,,n=',
    'n,,n=,r=',
    'n,,n=,r=a b',
    'n,,m=ext,n=,r=abc',
    'n,,n=,r=abc,1=x',
    'n,,n=,r=abc,',
    'n,,n=\0,r=abc',
    '\ufeffn,,n=,r=abc',
  ]) {
    assert.throws(() => server().clientFirst(SCRAM_SHA_256, text(bad)), AuthError, JSON.stringify(bad));
  }
  assert.throws(() => server().clientFirst(SCRAM_SHA_256, Buffer.from([0x6e, 0x2c, 0x2c, 0xff])), /not valid UTF-8/);
  assert.throws(() => server().clientFirst(SCRAM_SHA_256, Buffer.alloc(70000, 0x61)), /longer than/);
  assert.equal(server().clientFirst(SCRAM_SHA_256, text('n,,n=anyone,r=abc,x=ext')).toString().startsWith('r=abc'), true);

  const proof = Buffer.alloc(32).toString('base64');
  for (const bad of [
    '',
    'c=biws',
    'c=biws,r=abc',
    `r=abc,c=biws,p=${proof}`,
    `c=biw,r=abc,p=${proof}`,
    `c=biws,r=abc,p=${Buffer.alloc(31).toString('base64')}`,
    `c=biws,r=abc,p=${proof.slice(0, -1)}`,
    `c=biws,r=,p=${proof}`,
    `c=biws,r=abc,1=x,p=${proof}`,
    `c=biws,r=abc,p=${proof},x=y`,
  ]) {
    const s = server();
    s.clientFirst(SCRAM_SHA_256, text('n,,n=,r=abc'));
    assert.throws(() => s.clientFinal(text(bad)), AuthError, JSON.stringify(bad));
  }
});

test('fuzz: arbitrary bytes into the server never throw anything but AuthError, and never authenticate', () => {
  const verifier = makeScramVerifier('pw', { iterations: 1 });
  const token = fc.constantFrom('n', 'y', 'p=tls-server-end-point', 'p=x', 'a=u', 'n=', 'r=abc', 'r=', 'm=x', 'c=biws', 'c=eSws', 'p=', 'x=1', '=', '', ',');
  const structured = fc.array(fc.oneof(token, fc.string({ maxLength: 6 })), { maxLength: 8 }).map((parts) => text(parts.join(',')));
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)), structured);
  const allowed = (e: unknown): boolean => isAuthError(e);
  fc.assert(
    fc.property(fc.constantFrom(SCRAM_SHA_256, SCRAM_SHA_256_PLUS, 'other'), bytes, bytes, fc.boolean(), (mech, first, final, cb) => {
      const server = new ScramServer({ verifier, user: 'a', mockSecret, ...(cb ? { channelBinding: binding } : {}) });
      try {
        server.clientFirst(mech, first);
      } catch (e) {
        assert.ok(allowed(e), String(e));
        return;
      }
      try {
        const result = server.clientFinal(final);
        assert.equal(result.ok, false);
      } catch (e) {
        assert.ok(allowed(e), String(e));
      }
    }),
    { numRuns: 2000 },
  );
  // After a well-formed client-first, arbitrary client-final messages.
  fc.assert(
    fc.property(bytes, (final) => {
      const server = new ScramServer({ verifier, user: 'a', mockSecret });
      server.clientFirst(SCRAM_SHA_256, text('n,,n=,r=abc'));
      try {
        assert.equal(server.clientFinal(final).ok, false);
      } catch (e) {
        assert.ok(allowed(e), String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
