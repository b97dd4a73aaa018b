/**
 * The MySQL target keys as the config loads them: auth methods and their
 * default, mysql_clear_password only with verified TLS, and the pinned RSA
 * key read and checked at load.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { ConfigScratch } from '../../test/fixtures/config-file.js';
import type { MysqlTargetOptions } from './spec.js';

const scratch = new ConfigScratch();
after(() => scratch.remove());

const PIN = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

function target(...lines: string[]): string[] {
  return ['  - name: my01', '    protocol: mysql', '    host: db', '    login: { user: app, password: secret }', ...lines.map((l) => `    ${l}`)];
}

function options(...lines: string[]): MysqlTargetOptions {
  return scratch.load(target(...lines)).targets[0]!.options as MysqlTargetOptions;
}

describe('mysql target auth', () => {
  it('defaults to the three methods that keep the password, whatever the TLS', () => {
    for (const tls of [[], ['tls: disable'], ['tls: require'], ['tls: verify-full'], ['tls: require', `tlsPin: "${PIN}"`]]) {
      assert.deepEqual(options(...tls).auth, ['mysql_native_password', 'caching_sha2_password', 'client_ed25519'], tls.join());
    }
  });

  it('allows mysql_clear_password when named, over verified TLS only', () => {
    assert.deepEqual(options('auth: [mysql_clear_password]', 'tls: verify-full').auth, ['mysql_clear_password']);
    assert.deepEqual(options('auth: [caching_sha2_password, mysql_clear_password]', 'tls: require', `tlsPin: "${PIN}"`).auth, ['caching_sha2_password', 'mysql_clear_password']);
    for (const tls of [[], ['tls: disable'], ['tls: prefer'], ['tls: require']]) {
      assert.equal(
        scratch.error(target('auth: [mysql_clear_password]', ...tls)),
        '8:11: targets[0].auth: mysql_clear_password sends the password in a form the server can read; allow it only with tls: verify-full or a tlsPin',
      );
    }
  });

  it('refuses a method of another protocol', () => {
    assert.equal(
      scratch.error(target('auth: [md5]')),
      '8:12: targets[0].auth[0]: unknown authentication method "md5"; expected one of mysql_native_password, caching_sha2_password, client_ed25519, mysql_clear_password',
    );
  });
});

describe('mysql target serverRsaKey', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = String(rsa.publicKey.export({ type: 'spki', format: 'pem' }));

  it('reads the PEM public key, against the config folder, at load', () => {
    scratch.write('my01.pub.pem', publicPem);
    assert.equal(options('serverRsaKey: ./my01.pub.pem').serverRsaKey, publicPem);
    scratch.write('my01.pkcs1.pem', String(rsa.publicKey.export({ type: 'pkcs1', format: 'pem' })));
    assert.equal(options('serverRsaKey: my01.pkcs1.pem').serverRsaKey, publicPem);
    assert.equal(options().serverRsaKey, null);
  });

  it('refuses a missing file, a private key, a key that is not RSA, and anything that is not PEM', () => {
    const at = (file: string) => `8:19: targets[0].serverRsaKey: ${scratch.dir}/${file}`;
    assert.equal(scratch.error(target('serverRsaKey: ./absent.pem')), `8:19: targets[0].serverRsaKey: cannot read ${scratch.dir}/absent.pem: not found`);
    scratch.write('private.pem', String(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })));
    assert.equal(scratch.error(target('serverRsaKey: ./private.pem')), `${at('private.pem')} holds a private key; give the server's public key (as its public_key.pem)`);
    const ed = generateKeyPairSync('ed25519');
    scratch.write('ed.pem', String(ed.publicKey.export({ type: 'spki', format: 'pem' })));
    assert.equal(scratch.error(target('serverRsaKey: ./ed.pem')), `${at('ed.pem')} is not an RSA public key in PEM ("-----BEGIN PUBLIC KEY-----")`);
    scratch.write('garbage.pem', '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n');
    assert.equal(scratch.error(target('serverRsaKey: ./garbage.pem')), `${at('garbage.pem')} is not an RSA public key in PEM ("-----BEGIN PUBLIC KEY-----")`);
  });
});
