/**
 * The PostgreSQL target keys as the config loads them: auth methods and
 * their defaults, the TLS pin, and every combination that would let a
 * server read the target's password refused at start with the fix.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConfigScratch } from '../../test/fixtures/config-file.js';
import type { PostgresTargetOptions } from './spec.js';

const scratch = new ConfigScratch();
after(() => scratch.remove());

const PIN = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

function target(...lines: string[]): string[] {
  return ['  - name: pg01', '    protocol: postgres', '    host: db', '    login: { user: app, password: secret }', ...lines.map((l) => `    ${l}`)];
}

function options(...lines: string[]): PostgresTargetOptions {
  return scratch.load(target(...lines)).targets[0]!.options as PostgresTargetOptions;
}

describe('postgres target auth', () => {
  it('defaults to SCRAM only, and adds md5 and password when the TLS is verified', () => {
    for (const tls of [[], ['tls: disable'], ['tls: prefer'], ['tls: require']]) {
      assert.deepEqual(options(...tls).auth, ['scram-sha-256'], tls.join());
      assert.equal(options(...tls).verified, false);
    }
    for (const tls of [['tls: verify-full'], ['tls: require', `tlsPin: "${PIN}"`], ['tls: verify-full', `tlsPin: "${PIN}"`]]) {
      assert.deepEqual(options(...tls).auth, ['scram-sha-256', 'md5', 'password'], tls.join());
      assert.equal(options(...tls).verified, true);
    }
  });

  it('takes an explicit list, md5 and password only with verified TLS', () => {
    assert.deepEqual(options('auth: [scram-sha-256]', 'tls: verify-full').auth, ['scram-sha-256']);
    assert.deepEqual(options('auth: [md5]', 'tls: verify-full').auth, ['md5']);
    assert.deepEqual(options('auth: [password, md5]', 'tls: require', `tlsPin: "${PIN}"`).auth, ['password', 'md5']);
    assert.deepEqual(options('auth: [scram-sha-256]', 'tls: disable').auth, ['scram-sha-256']);
  });

  it('refuses at start a password-exposing method without verified TLS, saying how to fix it', () => {
    for (const tls of [[], ['tls: disable'], ['tls: prefer'], ['tls: require']]) {
      assert.equal(
        scratch.error(target('auth: [scram-sha-256, md5]', ...tls)),
        '8:11: targets[0].auth: md5 sends the password in a form the server can read; allow it only with tls: verify-full or a tlsPin',
      );
      assert.equal(
        scratch.error(target('auth: [password]', ...tls)),
        '8:11: targets[0].auth: password sends the password in a form the server can read; allow it only with tls: verify-full or a tlsPin',
      );
    }
  });

  it('refuses unknown methods and an empty list', () => {
    assert.equal(
      scratch.error(target('auth: [scram-sha-256, trust]')),
      '8:27: targets[0].auth[1]: unknown authentication method "trust"; expected one of scram-sha-256, md5, password',
    );
    assert.equal(scratch.error(target('auth: []')), '8:11: targets[0].auth: must name at least one authentication method');
    assert.equal(scratch.error(target('auth: md5')), '8:11: targets[0].auth: expected a list of authentication methods (scram-sha-256, md5, password), got a string');
  });
});

describe('postgres target tlsPin', () => {
  it('takes the fingerprint as openssl prints it, in any case, with or without colons', () => {
    const expected = PIN;
    for (const written of [PIN, PIN.toLowerCase(), PIN.replace(/:/g, ''), `sha256 Fingerprint=${PIN}`, `SHA256 Fingerprint=${PIN.toLowerCase()}`]) {
      assert.equal(options('tls: require', `tlsPin: "${written}"`).tlsPin, expected, written);
    }
    assert.equal(options('tls: require').tlsPin, null);
  });

  it('refuses a malformed fingerprint', () => {
    for (const written of [PIN.slice(3), `${PIN}:00`, 'SHA256:SZP3jHY8nxovcwW7szV2wbjN/NLFnCBHMPsXvNAkD0M', PIN.replace('AB', 'AG'), 'ABC:DEF']) {
      assert.match(scratch.error(target('tls: require', `tlsPin: "${written}"`)), /^9:13: targets\[0\]\.tlsPin: expected the SHA-256 fingerprint of the certificate, as openssl x509 -noout -fingerprint -sha256 prints it/);
    }
  });

  it('needs tls: require or verify-full', () => {
    for (const tls of [[], ['tls: disable'], ['tls: prefer']]) {
      assert.match(scratch.error(target(`tlsPin: "${PIN}"`, ...tls)), /^8:5: targets\[0\]\.tlsPin: tlsPin needs tls: require or verify-full; with prefer \(the default\) or disable/);
    }
  });
});
