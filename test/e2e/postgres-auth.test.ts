/**
 * Real PostgreSQL servers that ask for md5 and for the password in clear
 * (pg_hba.conf md5 and password, TLS only): the gateway answers them only
 * when the target's TLS is verified, with verify-full against the CA or
 * with the server's certificate pinned by the fingerprint openssl prints,
 * and otherwise refuses with a message that says what to configure.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { generateSelfSignedCertificate } from '../../src/daemon/tls-cert.js';
import { run } from '../fixtures/gateway-env.js';
import { PgGateway, type ExtraTarget } from '../fixtures/pg-gateway.js';
import type { Postgres } from '../fixtures/postgres.js';

const OTHER_PIN = new X509Certificate(generateSelfSignedCertificate({ commonName: 'localhost' }).certPem).fingerprint256;

/** The fingerprint line `openssl x509 -noout -fingerprint -sha256` prints for the server's certificate. */
async function opensslFingerprint(pg: Postgres): Promise<string> {
  const r = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', pg.certPath!]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Targets on the server for `method`: pinned, pinned and verified, TLS unverified, a wrong pin. */
async function targets(pg: Postgres, method: string): Promise<ExtraTarget[]> {
  const pin = await opensslFingerprint(pg);
  return [
    { name: 'pinned01', lines: ['tls: require', `tlsPin: "${pin}"`, `auth: [${method}]`] },
    { name: 'both01', lines: ['tls: verify-full', `tlsCa: ${pg.caPath}`, `tlsPin: "${pin.toLowerCase().replace(/^sha256 fingerprint=/i, '').replace(/:/g, '')}"`, `auth: [${method}]`] },
    { name: 'unverified01', lines: ['tls: require'] },
    { name: 'wrongpin01', lines: ['tls: require', `tlsPin: "${OTHER_PIN}"`] },
  ];
}

for (const method of ['md5', 'password'] as const) {
  describe(`a server that asks for ${method}`, () => {
    let g: PgGateway;
    before(async () => {
      g = await PgGateway.start({ postgres: { tls: true, hba: method }, target: [`auth: [${method}]`], extraTargets: (pg) => targets(pg, method) });
    });
    after(() => g?.stop());

    test(`is answered over verify-full with auth: [${method}], and the session is encrypted`, async () => {
      const r = await g.psql(['-At', '-c', 'SELECT ssl, current_user FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE pid = pg_backend_pid()']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 't|app\n');
    });

    test('is answered over tls: require with the certificate pinned, and with verify-full and the pin together', async () => {
      for (const login of ['alice+pinned01', 'alice+both01']) {
        const r = await g.psql(['-At', '-c', 'SELECT current_user'], { login });
        assert.equal(r.code, 0, `${login}: ${r.stderr}`);
        assert.equal(r.stdout, 'app\n');
      }
    });

    test('is refused over TLS that is not verified, and with a pin it does not match', async () => {
      const unverified = await g.psql(['-c', 'SELECT 1'], { login: 'alice+unverified01' });
      assert.notEqual(unverified.code, 0);
      assert.match(unverified.stderr, new RegExp(`FATAL: {2}recgate: unverified01 asks for ${method} authentication, which would let it read the password; refused: the gateway sends it only when the target's TLS is verified \\(tls: verify-full or a tlsPin\\) and its auth allows ${method}\\n`));
      const fingerprint = new X509Certificate(readFileSync(g.pg.certPath!)).fingerprint256;
      const wrong = await g.psql(['-c', 'SELECT 1'], { login: 'alice+wrongpin01' });
      assert.match(wrong.stderr, new RegExp(`FATAL: {2}recgate: TLS to wrongpin01 failed: the target presented a certificate with SHA-256 fingerprint ${fingerprint}, not the one pinned in tlsPin \\(${OTHER_PIN}\\)\\n`));
    });
  });
}
