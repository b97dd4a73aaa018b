import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AuthError } from './auth-error.js';
import { saslprep } from './saslprep.js';
import { ScramClient } from './scram-client.js';
import { isScramVerifier, makeScramVerifier, parseScramVerifier } from './scram-verifier.js';

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
