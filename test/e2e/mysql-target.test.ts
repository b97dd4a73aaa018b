/**
 * The gateway's login to a real MariaDB (spawned by the test): injected
 * credentials, TLS per the target's mode, and a clear error for each way it
 * can fail. After login the link runs a query, to prove the connection is
 * in the state a relay needs.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import type { TargetConfig } from '../../src/config/index.js';
import { connectMysqlTarget, MysqlTargetError, type MysqlTargetLink } from '../../proxies/mysql/target.js';
import { writePacket } from '../../proxies/mysql/protocol/framer.js';
import { Capability } from '../../proxies/mysql/protocol/capabilities.js';
import { decodeTextRow } from '../../proxies/mysql/protocol/resultset.js';
import type { TargetTlsMode } from '../../proxies/wire/tls-options.js';
import { freePort } from '../fixtures/gateway-env.js';
import { startMariadb, type Mariadb } from '../fixtures/mariadb.js';
import { databaseTarget } from '../fixtures/target-config.js';

let plain: Mariadb;
let secure: Mariadb;

before(async () => {
  [plain, secure] = await Promise.all([startMariadb(), startMariadb({ tls: true })]);
});
after(() => Promise.all([plain?.stop(), secure?.stop()]));

/** What a client such as the mariadb CLI negotiates for its commands. */
const CLIENT =
  Capability.CLIENT_LONG_PASSWORD |
  Capability.CLIENT_LONG_FLAG |
  Capability.CLIENT_PROTOCOL_41 |
  Capability.CLIENT_TRANSACTIONS |
  Capability.CLIENT_MULTI_STATEMENTS |
  Capability.CLIENT_MULTI_RESULTS |
  Capability.CLIENT_PS_MULTI_RESULTS |
  Capability.CLIENT_DEPRECATE_EOF;

const UTF8MB4 = 45;

function target(db: Mariadb, options: { tls?: TargetTlsMode; tlsCa?: string; tlsPin?: string; auth?: string[]; user?: string; password?: string; port?: number } = {}): TargetConfig {
  return databaseTarget(
    'mysql',
    { name: 'my01', port: options.port ?? db.port, user: options.user ?? db.user, password: options.password ?? db.password },
    { tls: options.tls ?? 'disable', tlsCa: options.tlsCa, tlsPin: options.tlsPin, auth: options.auth },
  );
}

/** Runs a text query over a logged-in link and returns the first row of its result. */
async function firstRow(link: MysqlTargetLink, sql: string): Promise<string[]> {
  const socket = link.socket as Socket;
  socket.write(writePacket(Buffer.concat([Buffer.of(0x03), Buffer.from(sql, 'utf8')]), 0));
  const packets: Buffer[] = [];
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUIntLE(0, 3)) {
        const length = buffered.readUIntLE(0, 3);
        packets.push(buffered.subarray(4, 4 + length));
        buffered = buffered.subarray(4 + length);
        const last = packets.at(-1)!;
        if (last[0] === 0xff) return reject(new Error(`query failed: ${last.subarray(9).toString()}`));
        // With CLIENT_DEPRECATE_EOF a result set ends with an OK whose header is 0xfe.
        if (packets.length > 2 && last[0] === 0xfe && last.length < 0xffffff) {
          socket.off('data', onData);
          return resolve();
        }
      }
    };
    socket.on('data', onData);
    socket.resume();
  });
  const columns = packets[0]![0]!;
  return decodeTextRow(packets[1 + columns]!, columns).map((v) => (v === null ? 'NULL' : v.toString('utf8')));
}

test('logs in with the injected credentials and the link runs queries', async () => {
  const link = await connectMysqlTarget(target(plain), { capabilities: CLIENT, charset: UTF8MB4, database: 'app' });
  try {
    assert.equal(link.tls, false);
    assert.match(link.greeting.serverVersion, /MariaDB/);
    assert.deepEqual(await firstRow(link, 'SELECT CURRENT_USER(), DATABASE()'), ['app@%', 'app']);
  } finally {
    link.socket.destroy();
  }
});

test('logs in to a user of MariaDB\'s ed25519 plugin, after the server switches to client_ed25519', async () => {
  const link = await connectMysqlTarget(target(plain, { user: plain.ed25519User }), { capabilities: CLIENT, charset: UTF8MB4, database: 'app' });
  try {
    assert.deepEqual(await firstRow(link, 'SELECT CURRENT_USER(), DATABASE()'), ['app_ed25519@%', 'app']);
  } finally {
    link.socket.destroy();
  }
});

test('keeps to the auth list: only client_ed25519 logs in to the ed25519 user, and is refused by the native one', async () => {
  const only = ['client_ed25519'];
  const link = await connectMysqlTarget(target(plain, { user: plain.ed25519User, auth: only }), { capabilities: CLIENT, charset: UTF8MB4, database: 'app' });
  try {
    assert.deepEqual(await firstRow(link, 'SELECT CURRENT_USER()'), ['app_ed25519@%']);
  } finally {
    link.socket.destroy();
  }
  const refused = (t: TargetConfig): Promise<unknown> => connectMysqlTarget(t, { capabilities: CLIENT, charset: UTF8MB4 }).then(() => assert.fail('login succeeded'), (e: unknown) => e);
  const native = await refused(target(plain, { auth: only }));
  assert.ok(native instanceof MysqlTargetError);
  assert.equal(native.message, "recgate: my01 asks for mysql_native_password authentication, which the target's auth setting does not allow (auth: [client_ed25519]); refused");
  const ed = await refused(target(plain, { user: plain.ed25519User, auth: ['mysql_native_password'] }));
  assert.ok(ed instanceof MysqlTargetError);
  assert.equal(ed.message, "recgate: my01 asks for client_ed25519 authentication, which the target's auth setting does not allow (auth: [mysql_native_password]); refused");
});

test('TLS with verify-full against the target CA; the server sees an encrypted session', async () => {
  const link = await connectMysqlTarget(target(secure, { tls: 'verify-full', tlsCa: secure.caPath! }), { capabilities: CLIENT, charset: UTF8MB4 });
  try {
    assert.equal(link.tls, true);
    const [cipher] = await firstRow(link, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'");
    assert.notEqual(cipher, '');
  } finally {
    link.socket.destroy();
  }
});

test("TLS with the server's certificate pinned, alone (tls: require) and with verify-full; a certificate that does not match is refused", async () => {
  const pin = new X509Certificate(readFileSync(secure.certPath!)).fingerprint256;
  for (const options of [{ tls: 'require', tlsPin: pin }, { tls: 'verify-full', tlsCa: secure.caPath!, tlsPin: pin.replace(/:/g, '').toLowerCase() }] as const) {
    const link = await connectMysqlTarget(target(secure, options), { capabilities: CLIENT, charset: UTF8MB4 });
    try {
      assert.equal(link.tls, true);
      assert.deepEqual(await firstRow(link, 'SELECT CURRENT_USER()'), ['app@%']);
    } finally {
      link.socket.destroy();
    }
  }
  const other = 'AB:'.repeat(31) + 'AB';
  const err = await connectMysqlTarget(target(secure, { tls: 'require', tlsPin: other }), { capabilities: CLIENT, charset: UTF8MB4 }).then(
    () => assert.fail('login succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof MysqlTargetError);
  assert.equal(err.message, `recgate: TLS to my01 failed: the target presented a certificate with SHA-256 fingerprint ${pin}, not the one pinned in tlsPin (${other})`);
});

test('each failure is a clear error for the person, with no secret in it', async () => {
  const refused = async (t: TargetConfig): Promise<MysqlTargetError> => {
    const err = await connectMysqlTarget(t, { capabilities: CLIENT, charset: UTF8MB4 }).then(
      () => assert.fail('login succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof MysqlTargetError, String(err));
    assert.doesNotMatch(err.message, new RegExp(plain.password));
    return err;
  };
  const wrong = await refused(target(plain, { password: 'not-the-password' }));
  assert.equal(wrong.errorCode, 1045);
  assert.match(wrong.message, /^recgate: my01 refused the gateway's login \(Access denied for user 'app'@'[^']+' \(using password: YES\)\)/);

  const down = await refused(target(plain, { port: await freePort() }));
  assert.equal(down.message, 'recgate: cannot reach my01: connection refused');

  const unknownCa = await refused(target(secure, { tls: 'verify-full' }));
  assert.match(unknownCa.message, /^recgate: TLS to my01 failed: .*certificate/);

  const plainToSecure = await refused(target(secure, { tls: 'disable' }));
  assert.match(plainToSecure.message, /^recgate: my01 refused the gateway's login/);

  const tlsRequired = await refused(target(plain, { tls: 'require' }));
  assert.equal(tlsRequired.message, "recgate: my01 does not offer TLS, which the gateway's config requires (tls: require)");

  const ed25519 = await refused(target(plain, { user: plain.ed25519User, password: 'not-the-password' }));
  assert.equal(ed25519.errorCode, 1045);
  assert.match(ed25519.message, /^recgate: my01 refused the gateway's login \(Access denied for user 'app_ed25519'/);
});
