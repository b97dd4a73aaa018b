/**
 * The gateway's answers in its login to a MySQL target: which method it
 * answers with, what each target config lets through, and that the
 * password leaves readable only over verified TLS or encrypted to the
 * pinned RSA key.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { makeMysqlNonce, nativeScramble, rsaDecryptPassword, sha2Scramble } from '../../src/auth/mysql-auth.js';
import { databaseTarget } from '../../test/fixtures/target-config.js';
import { MysqlTargetAuth, TargetAuthRefused } from './target-auth.js';

const PASSWORD = 'Target-Password-81f3';
const PIN = '00'.repeat(32);
const NONCE = makeMysqlNonce();
const FULL_AUTH = Buffer.of(0x04);

const dir = mkdtempSync(path.join(tmpdir(), 'recgate-mysql-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = path.join(dir, 'server.pem');
writeFileSync(keyFile, String(rsa.publicKey.export({ type: 'spki', format: 'pem' })));

function auth(keys: Record<string, unknown>, tls = keys.tls !== undefined && keys.tls !== 'disable'): MysqlTargetAuth {
  const target = databaseTarget('mysql', { name: 'my01', port: 3306, user: 'app', password: PASSWORD }, keys);
  return new MysqlTargetAuth(target, { tls }, NONCE);
}

function refused(step: () => unknown): string {
  try {
    step();
  } catch (err) {
    assert.ok(err instanceof TargetAuthRefused, String(err));
    assert.ok(!err.message.includes(PASSWORD));
    return err.message;
  }
  assert.fail('not refused');
}

/** A caching_sha2_password exchange up to the server's "perform full authentication". */
function atFullAuth(keys: Record<string, unknown>, tls?: boolean): MysqlTargetAuth {
  const a = auth(keys, tls);
  a.first('caching_sha2_password');
  return a;
}

describe('the first answer', () => {
  it("answers the greeting's method when allowed, else another allowed scramble, else lets the server switch", () => {
    assert.deepEqual(auth({}).first('mysql_native_password'), { plugin: 'mysql_native_password', response: nativeScramble(PASSWORD, NONCE) });
    assert.deepEqual(auth({}).first('caching_sha2_password'), { plugin: 'caching_sha2_password', response: sha2Scramble(PASSWORD, NONCE) });
    assert.deepEqual(auth({}).first('client_ed25519'), { plugin: 'caching_sha2_password', response: sha2Scramble(PASSWORD, NONCE) });
    assert.deepEqual(auth({ auth: ['caching_sha2_password'] }).first('mysql_native_password'), { plugin: 'caching_sha2_password', response: sha2Scramble(PASSWORD, NONCE) });
    assert.deepEqual(auth({ auth: ['client_ed25519'] }).first('mysql_native_password'), { plugin: 'client_ed25519', response: Buffer.alloc(0) });
  });
});

describe('auth switches', () => {
  it('a method outside the auth list is refused', () => {
    const a = auth({ auth: ['caching_sha2_password'] });
    a.first('mysql_native_password');
    assert.equal(
      refused(() => a.switchTo('mysql_native_password', NONCE)),
      "recgate: my01 asks for mysql_native_password authentication, which the target's auth setting does not allow (auth: [caching_sha2_password]); refused",
    );
  });

  it('mysql_clear_password is refused unless named and over verified TLS', () => {
    for (const keys of [{}, { tls: 'require' }, { tls: 'verify-full' }]) {
      const message = refused(() => auth(keys).switchTo('mysql_clear_password', Buffer.alloc(0)));
      assert.match(message, /^recgate: my01 asks for mysql_clear_password authentication, which /);
    }
    const named = { tls: 'verify-full', auth: ['mysql_clear_password'] };
    assert.deepEqual(auth(named).switchTo('mysql_clear_password', Buffer.alloc(0)), Buffer.from(`${PASSWORD}\0`));
    refused(() => auth(named, false).switchTo('mysql_clear_password', Buffer.alloc(0)));
  });

  it('methods the gateway does not speak are refused', () => {
    assert.equal(refused(() => auth({}).switchTo('sha256_password', NONCE)), 'recgate: my01 asks for sha256_password authentication, which the gateway does not support');
  });
});

describe('caching_sha2_password full authentication', () => {
  it('without TLS or a pinned key it is refused, naming serverRsaKey', () => {
    for (const keys of [{}, { tls: 'disable' }, { tls: 'prefer' }]) {
      assert.equal(
        refused(() => atFullAuth(keys, false).moreData(FULL_AUTH)),
        "recgate: my01 asks for caching_sha2_password full authentication, which outside TLS needs the server's RSA public key, and one the server sends proves nothing; refused: give the target its RSA public key as serverRsaKey, or tls: verify-full or a tlsPin",
      );
    }
  });

  it('over TLS that is not verified it is refused, even with a pinned RSA key', () => {
    for (const keys of [{ tls: 'prefer' }, { tls: 'require' }, { tls: 'require', serverRsaKey: keyFile }]) {
      assert.equal(
        refused(() => atFullAuth(keys, true).moreData(FULL_AUTH)),
        'recgate: my01 asks for caching_sha2_password full authentication, which sends the password in clear over TLS whose certificate was not checked; refused: give the target tls: verify-full or a tlsPin',
      );
    }
  });

  it('over verified TLS the password goes in clear', () => {
    for (const keys of [{ tls: 'verify-full' }, { tls: 'require', tlsPin: PIN }]) {
      assert.deepEqual(atFullAuth(keys).moreData(FULL_AUTH), Buffer.from(`${PASSWORD}\0`));
    }
  });

  it('outside TLS it goes encrypted to the pinned key, without asking the server for one', () => {
    const answer = atFullAuth({ tls: 'prefer', serverRsaKey: keyFile }, false).moreData(FULL_AUTH)!;
    assert.equal(answer.length, 256);
    assert.equal(rsaDecryptPassword(answer, NONCE, rsa.privateKey).toString('utf8'), PASSWORD);
  });

  it('fast authentication needs no answer; anything else from the server is refused', () => {
    assert.equal(atFullAuth({}).moreData(Buffer.of(0x03)), null);
    const pem = Buffer.from(String(rsa.publicKey.export({ type: 'spki', format: 'pem' })));
    assert.equal(refused(() => atFullAuth({}).moreData(pem)), 'recgate: my01 sent unexpected authentication data');
    const native = auth({});
    native.first('mysql_native_password');
    refused(() => native.moreData(FULL_AUTH));
  });
});
