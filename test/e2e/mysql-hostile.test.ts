/**
 * A server that merely answers on a MySQL target's address gets neither
 * the target's password nor an RSA ciphertext of it under its own key, in
 * any TLS mode the config allows: it asks for caching_sha2_password full
 * authentication and offers its own RSA key, with or without terminating
 * TLS itself, or switches to mysql_clear_password. The person reads why.
 * A pinned RSA key lets the gateway in to a server that holds its private
 * key, and to no other.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rsaPublicKeyPem } from '../../src/auth/mysql-auth.js';
import { generateSelfSignedCertificate } from '../../src/daemon/tls-cert.js';
import { connectMysqlTarget, MysqlTargetError } from '../../proxies/mysql/target.js';
import { Capability } from '../../proxies/mysql/protocol/capabilities.js';
import { MyGateway } from '../fixtures/my-gateway.js';
import { RogueMysql, type RogueLogin } from '../fixtures/rogue-mysql.js';
import { databaseTarget } from '../fixtures/target-config.js';

const PASSWORD = 'Rogue-Bait-Password-5a2d';
const CLIENT = Capability.CLIENT_LONG_PASSWORD | Capability.CLIENT_PROTOCOL_41 | Capability.CLIENT_TRANSACTIONS | Capability.CLIENT_DEPRECATE_EOF;

const dir = mkdtempSync(path.join(tmpdir(), 'recgate-mysql-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** The real target's certificate and RSA key, which the rogue does not have. */
const PIN = new X509Certificate(generateSelfSignedCertificate({ commonName: 'the real target' }).certPem).fingerprint256;
const realKeyFile = path.join(dir, 'real-target.pem');
writeFileSync(realKeyFile, rsaPublicKeyPem(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey));

/** Every TLS mode the config accepts, with the keys it accepts for each. */
const MODES: Record<string, Record<string, unknown>> = {
  disable: { tls: 'disable' },
  'prefer (default)': {},
  'prefer + serverRsaKey': { serverRsaKey: realKeyFile },
  require: { tls: 'require' },
  'require + serverRsaKey': { tls: 'require', serverRsaKey: realKeyFile },
  'verify-full': { tls: 'verify-full' },
  'verify-full, auth: [mysql_clear_password]': { tls: 'verify-full', auth: ['caching_sha2_password', 'mysql_clear_password'] },
  'require + tlsPin': { tls: 'require', tlsPin: PIN },
  'require + tlsPin, auth: [mysql_clear_password]': { tls: 'require', tlsPin: PIN, auth: ['caching_sha2_password', 'mysql_clear_password'] },
  'verify-full + tlsPin': { tls: 'verify-full', tlsPin: PIN },
};

const ROGUES: Record<string, RogueLogin> = {
  'asks for full authentication and offers its own RSA key, without TLS': { ask: 'sha2-full' },
  'terminates TLS itself and asks for full authentication': { ask: 'sha2-full', tls: true },
  'switches to mysql_clear_password, without TLS': { ask: 'clear-password' },
  'terminates TLS itself and switches to mysql_clear_password': { ask: 'clear-password', tls: true },
};

async function login(keys: Record<string, unknown>, port: number): Promise<MysqlTargetError> {
  const target = databaseTarget('mysql', { port, user: 'app', password: PASSWORD }, keys);
  const err = await connectMysqlTarget(target, { capabilities: CLIENT, charset: 45 }).then(
    (link) => {
      link.socket.destroy();
      return assert.fail('logged in');
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof MysqlTargetError, String(err));
  assert.ok(!err.message.includes(PASSWORD));
  return err;
}

/** The refusal expected when `rogue` answers a target configured as `mode`. */
function expected(rogue: RogueLogin, mode: Record<string, unknown>, fingerprint: string): RegExp {
  const plain = mode.tls === 'disable' || (!rogue.tls && mode.tls === undefined);
  if (!rogue.tls && !plain) return /^recgate: db01 does not offer TLS, which the gateway's config requires/;
  if (mode.tls === 'verify-full') return /^recgate: TLS to db01 failed: self.signed certificate/;
  if (mode.tlsPin) return new RegExp(`^recgate: TLS to db01 failed: the target presented a certificate with SHA-256 fingerprint ${fingerprint}, not the one pinned`);
  if (rogue.ask === 'clear-password') return /^recgate: db01 asks for mysql_clear_password authentication, which would let it read the password; refused/;
  if (!plain) return /^recgate: db01 asks for caching_sha2_password full authentication, which sends the password in clear over TLS whose certificate was not checked; refused: give the target tls: verify-full or a tlsPin$/;
  // Encrypted to the real target's key, which the rogue cannot open: it refuses the login.
  if (mode.serverRsaKey) return /^recgate: db01 refused the gateway's login \(Access denied/;
  return /^recgate: db01 asks for caching_sha2_password full authentication, which outside TLS needs the server's RSA public key, and one the server sends proves nothing; refused: give the target its RSA public key as serverRsaKey, or tls: verify-full or a tlsPin$/;
}

function assertNothingTaken(rogue: RogueMysql): void {
  for (const record of rogue.logins) {
    assert.ok(!Buffer.concat(record.bytes).includes(PASSWORD), 'the password reached the rogue');
    assert.deepEqual(record.decrypted, [], "the password encrypted to the rogue's key reached it");
    assert.equal(record.askedForKey, false, "the gateway asked for the server's key");
  }
}

describe('the gateway gives a rogue MySQL server nothing to take', () => {
  for (const [what, options] of Object.entries(ROGUES)) {
    test(`a server that ${what}`, async () => {
      const rogue = await RogueMysql.start('', { login: options });
      try {
        for (const [name, keys] of Object.entries(MODES)) {
          const err = await login(keys, rogue.port);
          assert.match(err.message, expected(options, keys, rogue.login!.fingerprint), name);
        }
        await Promise.all(rogue.logins.map((r) => r.done));
        assertNothingTaken(rogue);
        // The record is of what the rogue could read: the login packets, decrypted where it terminated TLS.
        assert.ok(rogue.logins.some((r) => Buffer.concat(r.bytes).includes('app\0')));
        assert.equal(rogue.logins.some((r) => r.tls), options.tls === true);
      } finally {
        await rogue.stop();
      }
    });
  }
});

describe('a pinned server RSA key', () => {
  test('lets the gateway in to a correct caching_sha2_password server that holds the key, outside TLS', async () => {
    const server = await RogueMysql.start('', { login: { ask: 'sha2-full', password: PASSWORD } });
    try {
      const keyFile = path.join(dir, 'server.pem');
      writeFileSync(keyFile, server.login!.publicKeyPem);
      const target = databaseTarget('mysql', { port: server.port, user: 'app', password: PASSWORD }, { serverRsaKey: keyFile });
      const link = await connectMysqlTarget(target, { capabilities: CLIENT, charset: 45 });
      link.socket.destroy();
      assert.equal(link.tls, false);
      await server.logins[0]!.done;
      assert.deepEqual(server.logins[0]!.decrypted, [PASSWORD]);
      assert.equal(server.logins[0]!.askedForKey, false, 'the key was pinned: the gateway did not ask for it');

      const other = await login({ serverRsaKey: realKeyFile }, server.port);
      assert.match(other.message, /^recgate: db01 refused the gateway's login \(Access denied/);
      await Promise.all(server.logins.map((r) => r.done));
      assert.deepEqual(server.logins[1]!.decrypted, []);
    } finally {
      await server.stop();
    }
  });

  test('over TLS pinned to its certificate, full authentication and mysql_clear_password send the password', async () => {
    for (const ask of ['sha2-full', 'clear-password'] as const) {
      const server = await RogueMysql.start('', { login: { ask, tls: true, password: PASSWORD } });
      try {
        const keys = { tls: 'require', tlsPin: server.login!.fingerprint, ...(ask === 'clear-password' ? { auth: ['mysql_native_password', 'mysql_clear_password'] } : {}) };
        const link = await connectMysqlTarget(databaseTarget('mysql', { port: server.port, user: 'app', password: PASSWORD }, keys), { capabilities: CLIENT, charset: 45 });
        link.socket.destroy();
        assert.equal(link.tls, true, ask);
      } finally {
        await server.stop();
      }
    }
  });
});

describe('through the gateway, the person reads why', () => {
  let g: MyGateway;
  let sha2: RogueMysql;
  let clear: RogueMysql;

  before(async () => {
    [sha2, clear] = await Promise.all([RogueMysql.start('', { login: { ask: 'sha2-full' } }), RogueMysql.start('', { login: { ask: 'clear-password', tls: true } })]);
    g = await MyGateway.start({
      extraTargets: [
        { name: 'rogue01', port: sha2.port, password: PASSWORD, lines: ['tls: prefer'] },
        { name: 'rogue02', port: clear.port, password: PASSWORD, lines: ['tls: require'] },
      ],
    });
  });
  after(async () => {
    await g?.stop();
    await Promise.all([sha2?.stop(), clear?.stop()]);
  });

  test('the mariadb client prints the refusal; the log names the target and what to configure', async () => {
    const full = await g.mariadb(['-e', 'SELECT 1'], { login: 'alice+rogue01' });
    assert.notEqual(full.code, 0);
    assert.match(full.stderr, /ERROR 1105 \(HY000\).*: recgate: rogue01 asks for caching_sha2_password full authentication, .*; refused: give the target its RSA public key as serverRsaKey, or tls: verify-full or a tlsPin\n/);
    const cleartext = await g.mariadb(['-e', 'SELECT 1'], { login: 'alice+rogue02' });
    assert.match(cleartext.stderr, /ERROR 1105 \(HY000\).*: recgate: rogue02 asks for mysql_clear_password authentication, which would let it read the password; refused/);
    assert.match(g.log, /"target":"rogue01".*caching_sha2_password full authentication.*serverRsaKey|caching_sha2_password full authentication.*serverRsaKey.*"target":"rogue01"/);
    await Promise.all([...sha2.logins, ...clear.logins].map((r) => r.done));
    assertNothingTaken(sha2);
    assertNothingTaken(clear);
  });
});
