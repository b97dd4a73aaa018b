/**
 * A server that merely answers on a PostgreSQL target's address gets
 * neither the target's password nor its md5 hash, in any TLS mode the
 * config allows: it declines TLS and asks for the password in clear or for
 * md5, or terminates TLS itself with a certificate of its own, or presents
 * one that does not match the pin. The person reads why, and the log names
 * the target and what to configure.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { md5PasswordResponse } from '../../src/auth/md5-password.js';
import { generateSelfSignedCertificate } from '../../src/daemon/tls-cert.js';
import { connectTarget, TargetError } from '../../proxies/postgres/target.js';
import { PgGateway } from '../fixtures/pg-gateway.js';
import { RoguePostgres, type RoguePostgresOptions } from '../fixtures/rogue-postgres.js';
import { databaseTarget } from '../fixtures/target-config.js';

const PASSWORD = 'Rogue-Bait-Password-7c1e';
const USER = 'app';
/** A certificate that is not the rogue's: its fingerprint is the pin the rogue must match. */
const PIN = new X509Certificate(generateSelfSignedCertificate({ commonName: 'the real target' }).certPem).fingerprint256;

/** Every TLS mode the config accepts, with the auth lists it accepts for each. */
const MODES: Record<string, Record<string, unknown>> = {
  disable: { tls: 'disable' },
  'prefer (default)': {},
  require: { tls: 'require' },
  'verify-full': { tls: 'verify-full' },
  'verify-full, auth: [md5, password]': { tls: 'verify-full', auth: ['md5', 'password'] },
  'require + tlsPin': { tls: 'require', tlsPin: PIN },
  'require + tlsPin, auth: [password, md5]': { tls: 'require', tlsPin: PIN, auth: ['password', 'md5'] },
  'verify-full + tlsPin': { tls: 'verify-full', tlsPin: PIN },
};

const ROGUES: Record<string, RoguePostgresOptions> = {
  'declines TLS, asks for the password in clear': { tls: false, ask: 'cleartext' },
  'declines TLS, asks for md5': { tls: false, ask: 'md5' },
  'terminates TLS itself, asks for the password in clear': { tls: true, ask: 'cleartext' },
  'terminates TLS itself, asks for md5': { tls: true, ask: 'md5' },
  'declines TLS, asks for SCRAM': { tls: false, ask: 'scram' },
};

/** What the rogue must never see: the password, md5(password ‖ user), and the md5 answer to its salt. */
function assertNothingTaken(rogue: RoguePostgres): void {
  const received = rogue.received();
  const md5Hash = createHash('md5').update(PASSWORD + USER).digest('hex');
  assert.ok(!received.includes(PASSWORD), 'the password reached the rogue');
  assert.ok(!received.includes(md5Hash), 'md5(password ‖ user) reached the rogue');
  for (const c of rogue.connections) assert.ok(!received.includes(md5PasswordResponse(USER, PASSWORD, c.salt)), 'the md5 answer reached the rogue');
}

/** The refusal expected when `rogue` answers a target configured as `mode`. */
function expected(rogue: RoguePostgresOptions, mode: Record<string, unknown>, fingerprint: string): RegExp {
  const method = rogue.ask === 'md5' ? 'md5' : 'password';
  const policy = new RegExp(`^recgate: db01 asks for ${method} authentication, which would let it read the password; refused`);
  if (rogue.ask === 'scram') return mode.tls === 'disable' || mode.tls === undefined ? /^recgate: db01 refused the gateway's login/ : /^recgate: db01 does not accept TLS/;
  if (mode.tls === 'disable') return policy;
  if (!rogue.tls) return mode.tls === undefined ? policy : /^recgate: db01 does not accept TLS, which the gateway's config requires/;
  if (mode.tls === 'verify-full') return /^recgate: TLS to db01 failed: self.signed certificate/;
  if (mode.tlsPin) return new RegExp(`^recgate: TLS to db01 failed: the target presented a certificate with SHA-256 fingerprint ${fingerprint}, not the one pinned in tlsPin \\(${PIN}\\)$`);
  return policy;
}

describe('the gateway gives a rogue PostgreSQL server nothing to take', () => {
  for (const [what, options] of Object.entries(ROGUES)) {
    test(`a server that ${what}`, async () => {
      const rogue = await RoguePostgres.start(options);
      try {
        for (const [name, keys] of Object.entries(MODES)) {
          const target = databaseTarget('postgres', { port: rogue.port, user: USER, password: PASSWORD }, keys);
          const err = await connectTarget(target, new Map([['database', 'app']])).then(
            () => assert.fail(`${name}: logged in`),
            (e: unknown) => e,
          );
          assert.ok(err instanceof TargetError, `${name}: ${String(err)}`);
          assert.match(err.message, expected(options, keys, rogue.fingerprint), name);
          assert.ok(!err.message.includes(PASSWORD));
        }
        assertNothingTaken(rogue);
        // The record is of what the rogue could read: the startup packets, decrypted where it terminated TLS.
        assert.ok(rogue.received().includes(Buffer.from(`user\0${USER}\0`)));
        assert.equal(rogue.connections.some((c) => c.tls), options.tls);
      } finally {
        await rogue.stop();
      }
    });
  }
});

describe('through the gateway, the person reads why', () => {
  let g: PgGateway;
  let plain: RoguePostgres;
  let terminating: RoguePostgres;

  before(async () => {
    [plain, terminating] = await Promise.all([RoguePostgres.start({ tls: false, ask: 'cleartext' }), RoguePostgres.start({ tls: true, ask: 'md5' })]);
    const login = `login: { user: ${USER}, password: "${PASSWORD}" }`;
    g = await PgGateway.start({
      extraTargets: [
        { name: 'rogue01', port: plain.port, lines: [login] },
        { name: 'rogue02', port: terminating.port, lines: ['tls: require', login] },
        { name: 'rogue03', port: terminating.port, lines: ['tls: require', `tlsPin: "${PIN}"`, 'auth: [md5]', login] },
      ],
    });
  });
  after(async () => {
    await g?.stop();
    await Promise.all([plain?.stop(), terminating?.stop()]);
  });

  test('psql prints the refusal; the log names the target and what to configure', async () => {
    const cleartext = await g.psql(['-c', 'SELECT 1'], { login: 'alice+rogue01' });
    assert.notEqual(cleartext.code, 0);
    assert.match(
      cleartext.stderr,
      /FATAL: {2}recgate: rogue01 asks for password authentication, which would let it read the password; refused: the gateway sends it only when the target's TLS is verified \(tls: verify-full or a tlsPin\) and its auth allows password\n/,
    );
    const md5 = await g.psql(['-c', 'SELECT 1'], { login: 'alice+rogue02' });
    assert.match(md5.stderr, /FATAL: {2}recgate: rogue02 asks for md5 authentication, which would let it read the password; refused/);
    const pinned = await g.psql(['-c', 'SELECT 1'], { login: 'alice+rogue03' });
    assert.match(pinned.stderr, new RegExp(`FATAL: {2}recgate: TLS to rogue03 failed: the target presented a certificate with SHA-256 fingerprint ${terminating.fingerprint}, not the one pinned in tlsPin`));
    assert.match(g.log, /"target":"rogue01".*asks for password authentication.*tls: verify-full or a tlsPin|asks for password authentication.*tls: verify-full or a tlsPin.*"target":"rogue01"/);
    assertNothingTaken(plain);
    assertNothingTaken(terminating);
  });
});
