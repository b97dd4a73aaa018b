import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import fc from 'fast-check';

import {
  AuthError,
  isScramVerifier,
  makeScramVerifier,
  parseScramVerifier,
  saslprep,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  ScramClient,
  ScramServer,
  tlsServerEndPoint,
} from './scram.js';

const mockSecret = Buffer.alloc(32, 0x5a);
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const binding = createHash('sha256').update('gateway certificate').digest();

/** Runs a whole exchange; the client checks the server's signature when the server accepts. */
function exchange(server: ScramServer, client: ScramClient): { mechanism: string; result: ReturnType<ScramServer['clientFinal']> } {
  const mechanism = client.mechanism(server.mechanisms());
  const serverFirst = server.clientFirst(mechanism, client.clientFirst());
  const result = server.clientFinal(client.serverFirst(serverFirst));
  if (result.ok) client.serverFinal(result.serverFinal);
  return { mechanism, result };
}

function isAuthError(e: unknown): boolean {
  return e instanceof AuthError && e.code === 'RG_ERR_AUTH';
}

// RFC 7677 §3: user "user", password "pencil".
const RFC = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

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

test('server side reproduces the RFC 7677 example exchange', () => {
  const verifier = makeScramVerifier('pencil', { salt: b64('W22ZaJ0SNY7soEsUEjb6gQ=='), iterations: 4096 });
  const server = new ScramServer({ verifier, user: 'user', mockSecret, nonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
  assert.deepEqual(server.mechanisms(), [SCRAM_SHA_256]);
  assert.equal(server.clientFirst(SCRAM_SHA_256, text(RFC.clientFirst)).toString(), RFC.serverFirst);
  const result = server.clientFinal(text(RFC.clientFinal));
  assert.ok(result.ok);
  assert.equal(result.serverFinal.toString(), RFC.serverFinal);
});

test('verifiers have PostgreSQL’s format and parse back', () => {
  const v = makeScramVerifier('correct horse');
  assert.match(v, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
  const parsed = parseScramVerifier(v);
  assert.ok(parsed);
  assert.equal(parsed.iterations, 4096);
  assert.equal(parsed.salt.length, 16);
  assert.equal(parsed.storedKey.length, 32);
  assert.equal(parsed.serverKey.length, 32);
  assert.notEqual(makeScramVerifier('correct horse'), v, 'a fresh salt each time');
  const salt = Buffer.alloc(16, 1);
  assert.equal(makeScramVerifier('x', { salt, iterations: 7 }), makeScramVerifier('x', { salt, iterations: 7 }));
  assert.equal(parseScramVerifier(makeScramVerifier('x', { salt, iterations: 7 }))?.iterations, 7);
  assert.equal(isScramVerifier(v), true);
  for (const bad of [0, 2 ** 31, 1.5, -1, Number.NaN]) assert.throws(() => makeScramVerifier('x', { iterations: bad }), AuthError);
  assert.throws(() => makeScramVerifier('x', { salt: Buffer.alloc(0) }), AuthError);
});

test('malformed verifiers parse to null', () => {
  const good = makeScramVerifier('pw', { salt: Buffer.alloc(16, 2), iterations: 4096 });
  const [, iterSalt, keys] = good.split('$') as [string, string, string];
  const [storedKey, serverKey] = keys.split(':') as [string, string];
  const bad = [
    '',
    'md53175bce1d3201d16594cebf9d7eb3f9d',
    '$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA',
    good.replace('SCRAM-SHA-256', 'SCRAM-SHA-1'),
    good.replace('4096:', '0:'),
    good.replace('4096:', '2147483648:'),
    good.replace('4096:', 'x:'),
    `SCRAM-SHA-256$${iterSalt}$${storedKey}`,
    `SCRAM-SHA-256$${iterSalt}$${storedKey}:${serverKey}:`,
    `SCRAM-SHA-256$4096:$${storedKey}:${serverKey}`,
    `SCRAM-SHA-256$${iterSalt}$${storedKey.slice(4)}:${serverKey}`,
    `SCRAM-SHA-256$${iterSalt}$${storedKey}:${Buffer.alloc(31).toString('base64')}`,
    `SCRAM-SHA-256$${iterSalt}$${storedKey}:${serverKey.replace('=', '')}`,
    ` ${good}`,
    `${good}\n`,
  ];
  for (const v of bad) {
    assert.equal(parseScramVerifier(v), null, v);
    assert.equal(isScramVerifier(v), false, v);
  }
  assert.equal(isScramVerifier(undefined), false);
  assert.equal(isScramVerifier(42), false);
});

test('verifiers match ones PostgreSQL 15 computed (CREATE ROLE ... PASSWORD), SASLprep included', () => {
  // Each password and the rolpassword PostgreSQL 15.20 stored for it; ours uses the same salt and count.
  const vectors: [string, string][] = [
    // NBSP -> space, U+00AD removed, NFKC: U+2168 -> "IX", U+017F -> "s", U+FB01 -> "fi"
    ['\u2168\u00a0\u017fecret\u00ad\u00df\ufb01', 'SCRAM-SHA-256$4096:lVoCDrCGGo5wOLva/jaVtA==$D9TJBF4djvTbm1wd7iEMXK3brQt9cGTisFfaKZaMJMQ=:HJJYf/L5dz4CRNpLOeCbIjlLjgeqMTWkEF8bb6+Dq8I='],
    // RandALCat with LCat: SASLprep refuses, raw bytes are hashed
    ['\u05d0a', 'SCRAM-SHA-256$4096:ZzQZHXNI/1xRAx8cB/RNeQ==$JKYGX3YXSaKmNx49kKJ6jd4bOyjkfxn1G5civpF046g=:iy0AiV6ETLYiqad1PCbSWuKYfBdVukWTSYzFIFkZrHs='],
    // a control character beside non-ASCII: prohibited, raw bytes
    ['a\u0007\u00e9', 'SCRAM-SHA-256$4096:zX66H9SwP2UwBuOz9veuSA==$WofH7mEZHsDs55D74mOQUcIOD4tB/CrgrGpZ2lad4E8=:Wqwl+DHOO+fl9krXF7lXIXI7W4hCm4sKFgdvTfpEnWc='],
    // U+1F600 is unassigned in Unicode 3.2: raw bytes, so U+FB01 is not normalised
    ['\ufb01\u{1f600}', 'SCRAM-SHA-256$4096:PmIXarA1fMVgi0+irFJAvA==$8fS7Qz5TLmjwXqhN6MKBeMircyd3eGP6UWdCU8On8Jg=:QXkaoOlLAlzplssfh6ZVOFRuqMLbE5JyXPb8nKQCdH4='],
    // fullwidth letters, U+200B and U+3000 (both mapped to space)
    ['\uff50\uff41\uff53\uff53\u200b\u3000\uff57\uff4f\uff52\uff44', 'SCRAM-SHA-256$4096:K+j+KSwCt0vWDTHJIDilKQ==$IRDr/CyGHw37svamnenkH2vcaRa49lG3G2tGncBUvCU=:xrG8NUWRCMe3rmUHUxi6LCdINXDpFBFCIJOekFzvUM4='],
    // right-to-left only: allowed
    ['\u05e9\u05dc\u05d5\u05dd', 'SCRAM-SHA-256$4096:UY4csl2y14OX1vedyLxI8A==$g5iYRi3JkERCqCFYB4oD+iO5nP+mz7asOFYOJ7f7I2I=:gdo1pwxG+zIXKQ/WmjS7qMVaHkPR/5b4W+dpNW0Nz4U='],
    ['pencil', 'SCRAM-SHA-256$4096:DN8azVImzfjCjB2usMQneQ==$hP3gzy7M5tgiXs4bezpUertPseLNH9n/T4+7aO1E+MI=:Ji63/PaXV00fTfFe8uPdWLHoeciEYt+nxWSr/3vVBt8='],
  ];
  for (const [password, stored] of vectors) {
    const parsed = parseScramVerifier(stored);
    assert.ok(parsed);
    assert.equal(makeScramVerifier(password, { salt: parsed.salt, iterations: parsed.iterations }), stored, JSON.stringify(password));
  }
});

test('SASLprep as PostgreSQL applies it (RFC 4013 §3 examples and PostgreSQL’s fallbacks)', () => {
  assert.equal(saslprep('I\u00adX'), 'IX');
  assert.equal(saslprep('user'), 'user');
  assert.equal(saslprep('USER'), 'USER');
  assert.equal(saslprep('\u00aa'), 'a');
  assert.equal(saslprep('\u2168'), 'IX');
  assert.equal(saslprep('\u0627\u0031'), null, 'RFC 4013: bidi rule violation');
  // PostgreSQL passes pure ASCII through untouched, control characters included (RFC 4013 would refuse U+0007).
  assert.equal(saslprep('\u0007'), '\u0007');
  assert.equal(saslprep(''), '');
  assert.equal(saslprep('\u00ad'), null, 'nothing left after mapping');
  assert.equal(saslprep('caf\u00e9\ue000'), null, 'private use');
  assert.equal(saslprep('\u0221x\u00e9'), null, 'unassigned in Unicode 3.2');
  assert.equal(saslprep('\u00e9\u00a0\u1680\u3000'), '\u00e9   ');
  assert.equal(saslprep('e\u0301'), '\u00e9', 'NFKC composes');
  assert.equal(saslprep('\u0627\u0628'), '\u0627\u0628');
  assert.equal(saslprep('1\u0627'), null, 'must start with RandALCat');
  assert.equal(saslprep('\ud800x\u00e9'), null, 'lone surrogate');
  assert.throws(() => makeScramVerifier('\ud800\u00e9'), AuthError);
  assert.throws(() => new ScramClient({ password: 'x\udfff' }), AuthError);
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

// --- tls-server-end-point -------------------------------------------------------

test('tls-server-end-point hashes with the certificate’s signature hash; MD5/SHA-1 become SHA-256', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recgate-cbind-'));
  try {
    const rsa = join(dir, 'rsa.pem');
    const ec = join(dir, 'ec.pem');
    const ed = join(dir, 'ed.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(ec, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(ed, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const cert = (key: string, ...args: string[]): Buffer => {
      const out = join(dir, 'cert.der');
      execFileSync('/usr/bin/openssl', ['req', '-x509', '-new', '-key', key, '-subj', '/CN=t', '-days', '1', '-outform', 'DER', '-out', out, ...args], { stdio: 'pipe' });
      return readFileSync(out);
    };
    const cases: [string, Buffer, string][] = [
      ['sha1WithRSAEncryption', cert(rsa, '-sha1'), 'sha256'],
      ['md5WithRSAEncryption', cert(rsa, '-md5'), 'sha256'],
      ['sha224WithRSAEncryption', cert(rsa, '-sha224'), 'sha224'],
      ['sha256WithRSAEncryption', cert(rsa, '-sha256'), 'sha256'],
      ['sha384WithRSAEncryption', cert(rsa, '-sha384'), 'sha384'],
      ['sha512WithRSAEncryption', cert(rsa, '-sha512'), 'sha512'],
      ['RSASSA-PSS with SHA-384', cert(rsa, '-sha384', '-sigopt', 'rsa_padding_mode:pss'), 'sha384'],
      ['RSA with SHA3-256', cert(rsa, '-sha3-256'), 'sha3-256'],
      ['ecdsa-with-SHA1', cert(ec, '-sha1'), 'sha256'],
      ['ecdsa-with-SHA384', cert(ec, '-sha384'), 'sha384'],
      ['ecdsa-with-SHA512', cert(ec, '-sha512'), 'sha512'],
      ['ecdsa-with-SHA3-384', cert(ec, '-sha3-384'), 'sha3-384'],
    ];
    for (const [name, der, hash] of cases) {
      assert.deepEqual(tlsServerEndPoint(der), createHash(hash).update(der).digest(), name);
    }
    // Ed25519 signs without a separate hash: PostgreSQL refuses channel binding there, and so do we.
    assert.throws(() => tlsServerEndPoint(cert(ed)), (e: unknown) => isAuthError(e) && /Ed25519/.test((e as Error).message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tls-server-end-point: hand-built structures and malformed DER', () => {
  const der = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts);
    const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  };
  const oid = (hex: string): Buffer => der(0x06, Buffer.from(hex, 'hex'));
  const tbs = der(0x30, der(0x02, Buffer.from([1])));
  const sigValue = der(0x03, Buffer.from([0, 1, 2]));
  const certWith = (alg: Buffer): Buffer => der(0x30, tbs, alg, sigValue);
  const pss = '2a864886f70d01010a';
  // RSASSA-PSS with all-default parameters: SHA-1, so SHA-256.
  const pssDefault = certWith(der(0x30, oid(pss), der(0x30)));
  assert.deepEqual(tlsServerEndPoint(pssDefault), createHash('sha256').update(pssDefault).digest());
  const pss512 = certWith(der(0x30, oid(pss), der(0x30, der(0xa0, der(0x30, oid('608648016503040203'), der(0x05)))))); // sha512
  assert.deepEqual(tlsServerEndPoint(pss512), createHash('sha512').update(pss512).digest());
  assert.throws(() => tlsServerEndPoint(certWith(der(0x30, oid(pss)))), /1\.2\.840\.113549\.1\.1\.10/);
  assert.throws(() => tlsServerEndPoint(certWith(der(0x30, oid('2b6571')))), /Ed448/);
  assert.throws(() => tlsServerEndPoint(certWith(der(0x30, oid('2a0304')))), /algorithm 1\.2\.3\.4/);
  const good = certWith(der(0x30, oid('2a8648ce3d040302'))); // ecdsa-with-SHA256
  assert.deepEqual(tlsServerEndPoint(good), createHash('sha256').update(good).digest());
  for (const bad of [
    Buffer.alloc(0),
    Buffer.from([0x30]),
    Buffer.from([0x30, 0x80, 0, 0]),
    Buffer.concat([good, Buffer.from([0])]),
    good.subarray(0, good.length - 1),
    der(0x31, tbs, der(0x30, oid('2a8648ce3d040302')), sigValue),
    certWith(der(0x30, der(0x05))),
    certWith(der(0x30, oid(''))),
    certWith(der(0x30, oid('2a86'))),
  ]) {
    assert.throws(() => tlsServerEndPoint(bad), AuthError, bad.toString('hex'));
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      try {
        tlsServerEndPoint(Buffer.from(bytes));
      } catch (e) {
        assert.ok(isAuthError(e), String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
