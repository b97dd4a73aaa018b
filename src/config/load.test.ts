import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { ConfigError } from '../errors.js';
import { protocols } from '../../proxies/index.js';
import { optional, text, withDefault } from './fields.js';
import { loadConfig, resolveConfigPath } from './load.js';
import type { ProtocolSpec } from './protocols.js';
import { Secret } from './secret.js';

/** The project folder: the nearest ancestor holding config/recgate.example.yaml. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'config', 'recgate.example.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('project root not found');
    dir = parent;
  }
  return dir;
}

const ROOT = projectRoot();
const EXAMPLE = path.join(ROOT, 'config', 'recgate.example.yaml');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'config');
const scratch = mkdtempSync(path.join(tmpdir(), 'recgate-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const FULL_ENV = {
  RECGATE_DATABASE_URL: 'postgres://recgate:pw@db:5432/recgate',
  WEB01_PASSPHRASE: 'web01-key-passphrase',
  KIOSK_PASSWORD: 'kiosk-mysql-password',
};

describe('loadConfig: the example file', () => {
  it('loads with no environment and starts nothing external', () => {
    const config = loadConfig(EXAMPLE, {});
    assert.equal(config.source, EXAMPLE);
    assert.deepEqual(config.store, {
      kind: 'local',
      dir: path.join(ROOT, 'data'),
      spool: { dir: path.join(ROOT, 'data', 'spool'), maxBytes: 1024 ** 3 },
      sync: 'auto',
      heartbeatInterval: 2_000,
      heartbeatTimeout: 15_000,
    });
    assert.equal(config.gateway.drainTimeout, 30_000);
    assert.match(config.gateway.nodeId, /^[A-Za-z0-9_.-]+-[0-9a-f]{8}$/);
    assert.deepEqual([config.recipients, config.users, config.targets], [[], [], []]);
    assert.equal(config.gateway.dataDir, path.join(ROOT, 'data'));
    assert.equal(config.gateway.hostKey, path.join(ROOT, 'data', 'host_ed25519'));
    assert.equal(config.gateway.signingKey, path.join(ROOT, 'config', 'signing.key'));
    assert.equal(config.control.socket, path.join(ROOT, 'data', 'control.sock'));
    assert.deepEqual(config.listen.ssh, { host: '127.0.0.1', port: 2222 });
    assert.deepEqual(config.listen.console, { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(Object.keys(config.listen), ['ssh', 'postgres', 'mysql', 'rdp', 'console', 'metrics']);
    assert.equal(config.listen.metrics, null, 'the metrics listener opens only when configured');
    assert.deepEqual(config.recording, { flushInterval: 1000, chunkSize: 65536, checkpointInterval: 10_000, keystrokes: true, required: false, maxRows: 100 });
    assert.deepEqual(config.limits, { idleTimeout: null, maxDuration: null });
    assert.deepEqual(config.log, { level: 'info', file: null });
    assert.deepEqual(config.retention, { days: null, archiveAfterDays: null, archive: null });
    assert.deepEqual(config.admission, {
      loginGraceTime: 30_000,
      tlsHandshakeTimeout: 10_000,
      maxPreLogin: 256,
      maxPreLoginPerAddress: 16,
      maxFailures: 10,
      failureWindow: 300_000,
    });
  });
});

describe('loadConfig: a file using every key', () => {
  const config = loadConfig(path.join(FIXTURES, 'full.yaml'), FULL_ENV);
  const [web01, prodPg, legacy, kiosk] = config.targets;
  assert.ok(web01 && prodPg && legacy && kiosk);

  it('makes paths absolute against the config file folder', () => {
    assert.deepEqual(config.gateway, {
      dataDir: path.join(FIXTURES, 'state'),
      hostKey: path.join(FIXTURES, 'keys', 'host_ed25519'),
      signingKey: '/var/lib/recgate/signing.key',
      tlsCert: path.join(FIXTURES, 'tls', 'gateway.crt'),
      tlsKey: path.join(FIXTURES, 'tls', 'gateway.key'),
      nodeId: 'gw-east-1',
      drainTimeout: 120_000,
    });
    assert.equal(config.log.file, path.join(FIXTURES, 'logs', 'recgate.log'));
    assert.equal(config.control.socket, path.join(FIXTURES, 'run', 'control.sock'));
  });

  it('parses listeners and leaves disabled ones null', () => {
    assert.deepEqual(config.listen, {
      ssh: { host: '0.0.0.0', port: 2222 },
      postgres: { host: '::1', port: 6432 },
      mysql: null,
      rdp: null,
      console: { host: '127.0.0.1', port: 8080 },
      metrics: { host: '0.0.0.0', port: 9464 },
    });
  });

  it('reads recipients inline and from a key file', () => {
    assert.deepEqual(config.recipients.map((r) => [r.name, r.line, Buffer.from(r.publicKey).toString('base64')]), [
      ['officer', 'recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0= officer@example', 'qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0='],
      ['backup', 'recgate-x25519 /Hz++UKU4KGav0iwip7z4xdwqbxpVKry04iRyalL20I= backup@example', '/Hz++UKU4KGav0iwip7z4xdwqbxpVKry04iRyalL20I='],
    ]);
    assert.ok(config.recipients.every((r) => r.publicKey instanceof Uint8Array && r.publicKey.length === 32));
  });

  it('resolves env, file and inline secrets into Secret values', () => {
    assert.ok(config.store.kind === 'postgres');
    assert.equal(config.store.url.reveal(), FULL_ENV.RECGATE_DATABASE_URL);
    assert.equal(config.store.url.origin, 'env RECGATE_DATABASE_URL');
    assert.equal(web01.login.privateKey?.reveal(), '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key-fixture-only\n-----END OPENSSH PRIVATE KEY-----\n');
    assert.equal(web01.login.passphrase?.reveal(), 'web01-key-passphrase');
    assert.equal(web01.login.password, null);
    assert.equal(prodPg.login.password?.reveal(), 'db-password-from-file');
    assert.equal(prodPg.login.password?.origin, `file ${path.join(FIXTURES, 'secrets', 'prod-pg.password')}`);
    assert.equal(legacy.login.password?.reveal(), 'inline-mysql-password');
    assert.equal(kiosk.login.password?.reveal(), 'kiosk-mysql-password');
    assert.equal(kiosk.login.user, 'kiosk');
  });

  it('applies ports by protocol, host key pins and trust-on-first-use', () => {
    assert.deepEqual(config.targets.map((t) => [t.name, t.protocol, t.host, t.port, t.options.hostKey]), [
      ['web01', 'ssh', '10.0.0.5', 2022, 'SHA256:SZP3jHY8nxovcwW7szV2wbjN/NLFnCBHMPsXvNAkD0M'],
      ['prod-pg', 'postgres', 'db.internal', 5432, undefined],
      ['legacy', 'mysql', 'fe80::1', 3306, undefined],
      ['kiosk', 'mysql', '10.0.0.9', 3307, undefined],
    ]);
  });

  it('merges top-level recording settings and limits into each target', () => {
    assert.deepEqual(config.recording, { flushInterval: 500, chunkSize: 1_048_576, checkpointInterval: 5000, keystrokes: true, required: false, maxRows: 50 });
    assert.deepEqual(config.limits, { idleTimeout: 900_000, maxDuration: 28_800_000 });
    assert.deepEqual(web01.recording, { keystrokes: false, required: true });
    assert.deepEqual(prodPg.recording, { keystrokes: true, required: false });
    assert.deepEqual(web01.limits, { idleTimeout: 90_000, maxDuration: null });
    assert.deepEqual(prodPg.limits, { idleTimeout: 900_000, maxDuration: 28_800_000 });
    assert.deepEqual(legacy.limits, { idleTimeout: 900_000, maxDuration: 5_400_000 });
  });

  it('allows port forwarding only where a target says so', () => {
    assert.equal(web01.options.portForwarding, true);
    assert.equal(prodPg.options.portForwarding, undefined);
    assert.deepEqual([legacy.options.localInfile, kiosk.options.localInfile], [true, false]);
  });

  it('seals to all recipients unless a target restricts them', () => {
    assert.deepEqual(web01.recipients.map((r) => r.name), ['officer']);
    assert.deepEqual(prodPg.recipients.map((r) => r.name), ['officer', 'backup']);
  });

  it('keeps users with their hashes, keys and targets', () => {
    assert.deepEqual(config.users.map((u) => [u.name, u.password?.slice(0, 10) ?? null, u.scram?.slice(0, 19) ?? null, u.mysqlNative, u.sshKeys.length, u.targets]), [
      ['alice', '$argon2id$', 'SCRAM-SHA-256$4096:', '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19', 1, ['web01', 'prod-pg']],
      ['bob', null, null, null, 1, ['*']],
    ]);
  });

  it('applies TLS modes to database targets, verify-full with its CA file', () => {
    assert.deepEqual([web01, prodPg, legacy, kiosk].map((t) => [t.options.tls, t.options.tlsCa]), [
      [undefined, undefined],
      ['verify-full', path.join(FIXTURES, 'tls', 'db-ca.pem')],
      ['require', null],
      ['prefer', null],
    ]);
  });

  it('applies database auth lists, certificate pins and the pinned RSA key', () => {
    const pin = '5E:1A:7C:93:0B:44:D2:8F:61:3A:C9:0E:77:B2:15:AF:48:D3:92:6C:1F:E0:8B:37:54:A6:C1:29:DE:03:7B:F8';
    assert.deepEqual([prodPg, legacy, kiosk].map((t) => [t.options.tlsPin, t.options.auth, t.options.verified]), [
      [pin, ['scram-sha-256', 'md5'], true],
      [pin, ['caching_sha2_password', 'mysql_clear_password'], true],
      [null, ['mysql_native_password', 'caching_sha2_password', 'client_ed25519'], false],
    ]);
    assert.match(String(kiosk.options.serverRsaKey), /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(legacy.options.serverRsaKey, null);
  });

  it('reads log, retention and store settings', () => {
    assert.equal(config.log.level, 'debug');
    assert.deepEqual(config.retention, { days: 90, archiveAfterDays: 30, archive: { kind: 'local', dir: '/srv/recgate-archive' } });
    assert.deepEqual(config.store.spool, { dir: path.join(FIXTURES, 'spool'), maxBytes: 2 * 1024 ** 3 });
    assert.deepEqual([config.store.sync, config.store.heartbeatInterval, config.store.heartbeatTimeout], ['filesystem', 3_000, 20_000]);
    assert.deepEqual(config.admission, {
      loginGraceTime: 20_000,
      tlsHandshakeTimeout: 5000,
      maxPreLogin: 100,
      maxPreLoginPerAddress: 8,
      maxFailures: 5,
      failureWindow: 600_000,
    });
  });

  it('returns a deeply frozen object', () => {
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.targets));
    assert.ok(Object.isFrozen(web01.login));
    assert.ok(Object.isFrozen(config.listen.ssh));
    assert.ok(Object.isFrozen(config.users[0]?.targets));
    assert.throws(() => {
      (config.gateway as { dataDir: string }).dataDir = '/elsewhere';
    }, TypeError);
  });

  it('never shows a secret when printed', () => {
    const printed = [JSON.stringify(config), config.targets.map((target) => String(target.login.password)).join(), String(web01.login.passphrase)];
    printed.push(inspect(config, { depth: Infinity }));
    for (const secret of [...Object.values(FULL_ENV), 'db-password-from-file', 'inline-mysql-password', 'not-a-real-key']) {
      for (const text of printed) assert.ok(!text.includes(secret), `printed config shows ${secret}`);
    }
    assert.ok(JSON.stringify(config).includes('"password":"[secret]"'));
  });
});

describe('loadConfig: protocols come from their proxies', () => {
  const write = (name: string, lines: string[]) => {
    const file = path.join(scratch, name);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  // A protocol as a new proxy folder would describe it: nothing in src/config names it.
  const telnet: ProtocolSpec = {
    name: 'telnet',
    defaultPort: 23,
    defaultListen: '127.0.0.1:2323',
    login: { userOptional: true },
    targetOptions: {
      keys: { prompt: withDefault('login: ', text), banner: optional(text) },
      check: (parsed, ctx) => {
        if (parsed.banner !== undefined && !ctx.target.hasPassword) ctx.problem('banner', 'banner needs login.password', true);
      },
      resolve: (parsed, ctx) => ({ prompt: parsed.prompt, banner: parsed.banner === undefined ? null : ctx.file(String(parsed.banner)) }),
    },
  };
  const withTelnet = [...protocols, telnet];

  it('opens a listener per protocol by default, and takes target keys from its spec', () => {
    const file = write('telnet.yaml', [
      'recipients: [{ name: officer, publicKey: "recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0=" }]',
      'targets:',
      '  - { name: old, protocol: telnet, host: 10.0.0.7, login: { password: pw }, banner: ./motd }',
    ]);
    const config = loadConfig(file, {}, { protocols: withTelnet });
    assert.deepEqual(config.listen.telnet, { host: '127.0.0.1', port: 2323 });
    const [old] = config.targets;
    assert.deepEqual([old?.port, old?.login.user, old?.options], [23, null, { prompt: 'login: ', banner: path.join(scratch, 'motd') }]);
  });

  it('reports a spec\'s own problems, and keys of other protocols as theirs', () => {
    const lines = (extra: string) => [
      'recipients: [{ name: officer, publicKey: "recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0=" }]',
      'targets:',
      `  - { name: old, protocol: telnet, host: 10.0.0.7, login: { user: root }, ${extra} }`,
    ];
    const bad = write('telnet-bad.yaml', lines('banner: ./motd'));
    assert.throws(() => loadConfig(bad, {}, { protocols: withTelnet }), { message: `${bad}:3:75: targets[0].banner: banner needs login.password` });
    const other = write('telnet-other.yaml', lines('hostKey: trust-on-first-use'));
    assert.throws(() => loadConfig(other, {}, { protocols: withTelnet }), { message: `${other}:3:75: targets[0].hostKey: hostKey applies to ssh and rdp targets only` });
    const ssh = write('ssh-prompt.yaml', lines('prompt: "$ "').map((l) => l.replace('protocol: telnet', 'protocol: ssh')));
    assert.throws(() => loadConfig(ssh, {}, { protocols: withTelnet }), { message: `${ssh}:3:72: targets[0].prompt: prompt applies to telnet targets only` });
  });

  it('refuses a listener or a protocol that no proxy serves', () => {
    const listener = write('unserved.yaml', ['listen:', '  ssh: "127.0.0.1:2222"', '  telnet: "127.0.0.1:2323"']);
    assert.throws(() => loadConfig(listener, {}), {
      message: `${listener}:3:3: listen.telnet: no proxy serves "telnet" in this gateway; listeners: ssh, postgres, mysql, rdp, console and metrics`,
    });
    const target = write('unserved-target.yaml', ['targets:', '  - { name: old, protocol: telnet, host: 10.0.0.7, login: { user: root } }']);
    assert.throws(() => loadConfig(target, {}), {
      message: `${target}:2:28: targets[0].protocol: unknown protocol "telnet"; expected one of ssh, postgres, mysql, rdp`,
    });
  });

  it('leaves target secrets unread for commands that never log in to a target', () => {
    const file = write('deferred.yaml', [
      'recipients: [{ name: officer, publicKey: "recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0=" }]',
      'targets:',
      '  - { name: web01, protocol: ssh, host: 10.0.0.5, login: { user: deploy, password: { env: WEB01_PASSWORD } } }',
    ]);
    assert.throws(() => loadConfig(file, {}), /environment variable WEB01_PASSWORD is not set/);
    const config = loadConfig(file, {}, { targetSecrets: 'defer' });
    const password = config.targets[0]?.login.password;
    assert.equal(password?.origin, 'env WEB01_PASSWORD');
    assert.throws(() => password?.reveal(), { name: 'ConfigError', message: 'the secret from env WEB01_PASSWORD was not read by this command' });
  });
});

describe('Secret', () => {
  it('reveals its value only through reveal()', () => {
    const secret = new Secret('hunter2', 'inline');
    assert.equal(secret.reveal(), 'hunter2');
    assert.equal(`${secret}`, '[secret]');
    assert.equal(String(secret), '[secret]');
    assert.equal(JSON.stringify({ secret }), '{"secret":"[secret]"}');
    assert.equal(inspect({ secret }), '{ secret: [secret] }');
    assert.ok(!inspect(secret, { showHidden: true, depth: Infinity }).includes('hunter2'));
  });
});

describe('loadConfig: the file itself', () => {
  const write = (name: string, text: string) => {
    const file = path.join(scratch, name);
    writeFileSync(file, text);
    return file;
  };

  it('names a missing file', () => {
    const file = path.join(scratch, 'absent.yaml');
    assert.throws(() => loadConfig(file, {}), { name: 'ConfigError', message: `config file not found: ${file}` });
  });

  it('names an empty file, also one holding only comments', () => {
    for (const text of ['', '# nothing here\n']) {
      const file = write('empty.yaml', text);
      assert.throws(() => loadConfig(file, {}), {
        message: `${file}: the file is empty (expected a mapping with gateway, listen, store, users, targets, ...)`,
      });
    }
  });

  it('names a file whose top level is not a mapping', () => {
    const file = write('list.yaml', '# a list\n- gateway\n- listen\n');
    assert.throws(() => loadConfig(file, {}), {
      message: `${file}:2:1: the top level must be a mapping of keys (gateway, listen, store, users, targets, ...)`,
    });
  });

  it('follows anchors, aliases and << merge keys', () => {
    const file = write('anchors.yaml', [
      'recipients: [{ name: officer, publicKey: "recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0=" }]',
      'targets:',
      '  - &web { name: web01, protocol: ssh, host: 10.0.0.5, login: &login { user: deploy, password: pw } }',
      '  - { <<: *web, name: web02, host: 10.0.0.6 }',
      '  - { name: db, protocol: mysql, host: db, login: *login }',
    ].join('\n'));
    const config = loadConfig(file, {});
    assert.deepEqual(config.targets.map((t) => [t.name, t.host, t.login.user, t.login.password?.reveal()]), [
      ['web01', '10.0.0.5', 'deploy', 'pw'],
      ['web02', '10.0.0.6', 'deploy', 'pw'],
      ['db', 'db', 'deploy', 'pw'],
    ]);
  });

  it('names a folder given as the config file', () => {
    assert.throws(() => loadConfig(scratch, {}), { message: `${scratch}: is a directory, expected a YAML config file` });
  });

  it('reports YAML syntax errors at their line and column', () => {
    const file = write('syntax.yaml', 'log:\n  level: info\n users: []\n');
    assert.throws(() => loadConfig(file, {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: \\S`));
      assert.ok(!error.message.includes('\n'));
      return true;
    });
    const twice = write('twice.yaml', 'log: {}\nlog: {}\n');
    assert.throws(() => loadConfig(twice, {}), { message: `${twice}:2:1: Map keys must be unique` });
  });
});

describe('resolveConfigPath', () => {
  it('takes an explicit path relative to the working folder', () => {
    assert.equal(resolveConfigPath('other.yaml', '/srv/recgate'), '/srv/recgate/other.yaml');
    assert.equal(resolveConfigPath('/etc/recgate.yaml', '/srv/recgate'), '/etc/recgate.yaml');
  });

  it('prefers config/recgate.yaml, then the example, then fails', () => {
    const cwd = mkdtempSync(path.join(scratch, 'cwd-'));
    assert.throws(() => resolveConfigPath(undefined, cwd), {
      name: 'ConfigError',
      message: `no config file: neither config/recgate.yaml nor config/recgate.example.yaml exists in ${cwd} (use --config FILE)`,
    });
    mkdirSync(path.join(cwd, 'config'));
    writeFileSync(path.join(cwd, 'config', 'recgate.example.yaml'), 'log: {}\n');
    assert.equal(resolveConfigPath(undefined, cwd), path.join(cwd, 'config', 'recgate.example.yaml'));
    writeFileSync(path.join(cwd, 'config', 'recgate.yaml'), 'log: {}\n');
    assert.equal(resolveConfigPath(undefined, cwd), path.join(cwd, 'config', 'recgate.yaml'));
  });

  it('finds the project example from the project folder', () => {
    const found = resolveConfigPath(undefined, ROOT);
    assert.ok(found === EXAMPLE || found === path.join(ROOT, 'config', 'recgate.yaml'));
  });
});
