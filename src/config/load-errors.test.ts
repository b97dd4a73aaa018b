import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'recgate-config-errors-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const KEY = 'recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0= officer';
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$Eb7kBGAhyIUDM4DHQJMoFw$YQ5KrD7RnjxBgATL4UP71goJ/Uh28zRI+QkTXS7suDA';
const SECRET = 'Do-Not-Print-4f9c2';

let counter = 0;

/** Writes `lines` as a config file and returns [file, error message]. */
function failWith(lines: readonly string[], env: Record<string, string> = {}): [string, string] {
  const file = path.join(scratch, `case-${++counter}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  try {
    loadConfig(file, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.code, 'RG_ERR_CONFIG');
    assert.ok(!error.message.includes('\n'), 'the message is one line');
    return [file, error.message];
  }
  assert.fail(`${lines.join('\n')}\nloaded without error`);
}

function expectError(lines: readonly string[], expected: string, env: Record<string, string> = {}): void {
  const [file, message] = failWith(lines, env);
  assert.equal(message, `${file}:${expected}`);
}

const RECIPIENTS = ['recipients:', `  - { name: officer, publicKey: "${KEY}" }`];
const USER = ['users:', '  - name: alice', `    password: "${HASH}"`, '    targets: [web01]'];
const TARGET = [
  'targets:',
  '  - name: web01',
  '    protocol: ssh',
  '    host: 10.0.0.5',
  '    login: { user: deploy, password: { env: WEB01_PASSWORD } }',
];

describe('config errors name file:line:col, key path and problem', () => {
  it('a value of the wrong type', () => {
    expectError(['users:', '  - name: alice', `    password: "${HASH}"`, '    targets: web01'], '4:14: users[0].targets: expected a list, got a string');
    expectError(['recording:', '  keystrokes: "yes"'], '2:15: recording.keystrokes: expected true or false, got a string');
    expectError(['gateway: [data]'], '1:10: gateway: expected a mapping, got a list');
  });

  it('store, spool, archive and drain settings', () => {
    expectError(['retention:', '  days: 90', '  archiveAfterDays: 30'], '2:3: retention.archive: missing required key (archiveAfterDays needs an archive store)');
    expectError(['retention:', '  days: 30', '  archiveAfterDays: 30', '  archive: { kind: local, dir: /srv/a }'], '3:21: retention.archiveAfterDays: must be less than days (30): recordings are deleted before they would move');
    expectError(['retention:', '  archive: { kind: local }'], '2:12: retention.archive.dir: missing required key (an archive of kind local needs a dir)');
    expectError(['retention:', '  archive: { kind: postgres }'], '2:12: retention.archive.url: missing required key (retention.archive kind postgres needs a url)');
    expectError(['store:', '  spool: { maxBytes: lots }'], '2:22: store.spool.maxBytes: "lots" is not a size (use 64KiB, 1MiB or a number of bytes)');
    expectError(['gateway:', '  drainTimeout: soon'], '2:17: gateway.drainTimeout: "soon" is not a duration (use 90s, 15m, 8h, 1d, 500ms, 1h30m or a number of seconds)');
    expectError(['gateway:', '  nodeId: "gw 1"'], '2:11: gateway.nodeId: must not contain spaces or control characters');
  });

  it('database TLS keys and SCRAM verifiers', () => {
    expectError([...TARGET, '    tls: require'], '6:5: targets[0].tls: tls applies to postgres and mysql targets only');
    expectError([...TARGET, '    localInfile: true'], '6:5: targets[0].localInfile: localInfile applies to mysql targets only');
    expectError(
      ['targets:', '  - name: db', '    protocol: postgres', '    host: db', '    login: { user: app }', '    tls: require', '    tlsCa: ./ca.pem'],
      '7:5: targets[0].tlsCa: tlsCa applies with tls: verify-full only',
    );
    expectError(
      ['targets:', '  - name: db', '    protocol: postgres', '    host: db', '    login: { user: app }', '    tls: always'],
      '6:10: targets[0].tls: unknown tls mode "always"; expected one of disable, prefer, require, verify-full',
    );
    expectError(['gateway: { tlsCert: ./gateway.crt }'], '1:10: gateway.tlsKey: missing required key (give tlsCert and tlsKey together)');
    const [, message] = failWith(['users:', '  - name: alice', '    scram: "SCRAM-SHA-256$4096:bm9wZQ==$short:short"', '    targets: []']);
    assert.match(message, /3:12: users\[0\]\.scram: expected SCRAM-SHA-256\$<iterations>:<salt>\$<StoredKey>:<ServerKey> \(from recgate users hash --scram\)/);
  });

  it('an unknown key, with the closest known key suggested', () => {
    expectError(['users:', '  - name: alice', `    pasword: "${HASH}"`, '    targets: []'], '3:5: users[0].pasword: unknown key (did you mean "password"?)');
    expectError(['usres: []'], '1:1: usres: unknown key (did you mean "users"?)');
    expectError(['users:', '  - targets: ["*"]', `    password: "${HASH}"`, '    nmae: alice'], '4:5: users[0].nmae: unknown key (did you mean "name"?)');
    expectError(['log: { level: info, colour: true }'], '1:21: log.colour: unknown key');
    expectError([...RECIPIENTS, ...USER, ...TARGET.slice(0, 4), '    login: { user: deploy, password: { enx: X } }'],
      '11:40: targets[0].login.password.enx: unknown key (did you mean "env"?)');
  });

  it('a missing required key, at the mapping that lacks it', () => {
    expectError([...RECIPIENTS, ...USER, 'targets:', '  - name: web01', '    protocol: ssh', '    login: { user: deploy }'],
      '8:5: targets[0].host: missing required key');
    expectError(['recipients:', '  - name: officer'], '2:5: recipients[0].publicKey: missing required key (or give publicKeyFile)');
    expectError(['store:', '  kind: postgres'], '2:3: store.url: missing required key (store kind postgres needs a url)');
  });

  it('a store sync mode that is not one of them', () => {
    expectError(['store:', '  sync: fsync'], '2:9: store.sync: unknown sync mode "fsync"; expected one of auto, file, filesystem');
  });

  it('a value of the right type in the wrong form', () => {
    expectError(['limits:', '  idleTimeout: 15 minutes'],
      '2:16: limits.idleTimeout: "15 minutes" is not a duration (use 90s, 15m, 8h, 1d, 500ms, 1h30m or a number of seconds)');
    expectError(['recording: { chunkSize: 64KB }'], '1:25: recording.chunkSize: "64KB" is not a size (use 64KiB, 1MiB or a number of bytes)');
    expectError(['listen:', '  ssh: "::1:2222"'],
      '2:8: listen.ssh: "::1:2222" is not a listen address (an IPv6 host goes in brackets, as "[::1]:2222")');
    expectError([...RECIPIENTS, ...USER, ...TARGET.slice(0, 2), '    protocol: postgresql', ...TARGET.slice(3)],
      '9:15: targets[0].protocol: unknown protocol "postgresql" (did you mean "postgres"?); expected one of ssh, postgres, mysql, rdp');
    expectError([...RECIPIENTS, ...USER, ...TARGET, '    port: 70000'], '12:11: targets[0].port: expected a port number 1..65535, got 70000');
    expectError([...RECIPIENTS, ...USER, ...TARGET, '    hostKey: "MD5:aa:bb"'],
      '12:14: targets[0].hostKey: expected "SHA256:<base64>" as ssh-keygen -l prints it, or "trust-on-first-use"');
  });

  it('a bad recipient public key', () => {
    expectError(['recipients:', '  - { name: officer, publicKey: "recgate-x25519 AAAA officer" }'],
      '2:33: recipients[0].publicKey: the public key decodes to 3 bytes, expected 32');
    expectError(['recipients:', '  - { name: officer, publicKey: "ssh-ed25519 AAAA" }'],
      '2:33: recipients[0].publicKey: a public key starts with "recgate-x25519 " followed by base64');
    const keyFile = path.join(scratch, 'absent.pub');
    expectError(['recipients:', `  - { name: officer, publicKeyFile: ${keyFile} }`],
      `2:37: recipients[0].publicKeyFile: cannot read ${keyFile}: not found`);
  });

  it('a bad password hash or SSH key', () => {
    expectError(['users:', '  - name: alice', '    password: hunter2', '    targets: ["*"]'],
      '3:15: users[0].password: not an Argon2id hash (expected $argon2id$v=19$m=...,t=...,p=...$salt$hash from "recgate users hash")');
    expectError(['users:', '  - name: alice', '    sshKeys: ["ssh-ed25519 AAAAB3NzaC1yc2E="]', '    targets: ["*"]'],
      '3:15: users[0].sshKeys[0]: the ssh-ed25519 key data does not match its type (truncated or mixed up?)');
  });

  it('names that repeat or cannot appear in logins', () => {
    expectError([...RECIPIENTS, ...USER, ...TARGET, ...TARGET.slice(1)], '12:11: targets[1].name: duplicate target name "web01" (also targets[0])');
    expectError([...RECIPIENTS, `  - { name: officer, publicKey: "${KEY.replace('qLd9', 'qLd8')}" }`],
      '3:13: recipients[1].name: duplicate recipient name "officer" (also recipients[0])');
    expectError(['users:', '  - name: alice+admin', `    password: "${HASH}"`, '    targets: []'],
      '2:11: users[0].name: must not contain "+" (it separates user and target in logins)');
  });

  it('a reference to something not configured', () => {
    expectError([...RECIPIENTS, 'users:', '  - name: alice', `    password: "${HASH}"`, '    targets: [web01, web02]', ...TARGET],
      '6:22: users[0].targets[1]: unknown target "web02" (did you mean "web01"?)', { WEB01_PASSWORD: 'x' });
    expectError([...RECIPIENTS, ...USER, ...TARGET, '    recipients: [oficer]'],
      '12:18: targets[0].recipients[0]: unknown recipient "oficer" (did you mean "officer"?)');
    expectError([...USER, ...TARGET], '1:1: recipients: no recipients: recordings of the configured targets would be sealed to nobody');
  });

  it('a secret that cannot be found', () => {
    expectError([...RECIPIENTS, ...USER, ...TARGET], '11:38: targets[0].login.password: environment variable WEB01_PASSWORD is not set');
    const missing = path.join(scratch, 'no-such.password');
    expectError([...RECIPIENTS, ...USER, ...TARGET.slice(0, 4), `    login: { user: deploy, password: { file: ${missing} } }`],
      `11:38: targets[0].login.password: cannot read secret file ${missing}: not found`);
    expectError([...RECIPIENTS, ...USER, ...TARGET.slice(0, 4), '    login: { user: deploy, privateKey: "-----BEGIN" }'],
      '11:40: targets[0].login.privateKey: expected { env: NAME } or { file: PATH }, got a string');
  });

  it('YAML that does not build plain data', () => {
    expectError(['log: !!binary aGVsbG8='], '1:15: log: expected a plain value (tags such as !!binary, !!set, !!timestamp are not accepted)');
    expectError(['log: !custom { level: info }'], '1:6: Unresolved tag: !custom');
    expectError(['log: &x { level: *x }'], '1:18: log.level: an alias here refers to a node that contains it');
    expectError([`log: ${'['.repeat(100_000)}`], '1:70: brackets nested more than 64 deep');
  });

  it('reports the first problem in the file when there are several', () => {
    expectError(['log: { level: loud }', 'usres: []', 'recording: { flushInterval: x }'],
      '1:15: log.level: unknown log level "loud"; expected one of fatal, error, warn, info, debug, trace, silent');
  });
});

describe('secrets stay out of error messages', () => {
  const inlineTarget = (login: string, extra: string[] = []) => [
    ...RECIPIENTS,
    ...USER,
    ...TARGET.slice(0, 4),
    `    login: ${login}`,
    ...extra,
  ];

  it('whatever else is wrong', () => {
    const secretFile = path.join(scratch, 'secret.txt');
    writeFileSync(secretFile, `${SECRET}\n`);
    const cases: [string[], Record<string, string>][] = [
      [inlineTarget(`{ user: deploy, password: "${SECRET}" }`, ['    port: nope']), {}],
      [inlineTarget(`{ password: "${SECRET}" }`), {}],
      [inlineTarget(`{ user: deploy, password: "${SECRET}", passphrase: { env: P } }`), {}],
      [['store:', '  kind: postgres', `  url: "${SECRET}"`], {}],
      [['store:', '  kind: postgres', '  url: { env: DB_URL }'], { DB_URL: SECRET }],
      [['store:', '  kind: postgres', `  url: { file: ${secretFile} }`], {}],
      [['store:', '  kind: local', `  url: "${SECRET}"`], {}],
      [['store:', '  kind: postgres', `  url: [ "${SECRET}" ]`], {}],
      [['users:', '  - name: alice', `    password: "${SECRET}"`, '    targets: []'], {}],
      [['recipients:', `  - { name: officer, publicKey: "recgate-x25519 ${SECRET}" }`], {}],
      [['users:', '  - name: alice', `    sshKeys: ["ssh-ed25519 ${SECRET}"]`, '    targets: []'], {}],
    ];
    for (const [lines, env] of cases) {
      const [, message] = failWith(lines, env);
      assert.ok(!message.includes(SECRET), message);
    }
  });

  it('nor in a loaded config, however it is printed', () => {
    const file = path.join(scratch, 'secret-ok.yaml');
    writeFileSync(file, `${[...RECIPIENTS, ...USER, ...TARGET].join('\n')}\n`);
    const config = loadConfig(file, { WEB01_PASSWORD: SECRET });
    assert.equal(config.targets[0]?.login.password?.reveal(), SECRET);
    for (const text of [JSON.stringify(config), inspect(config, { depth: Infinity, showHidden: true }), `${config.targets[0]?.login.password}`]) {
      assert.ok(!text.includes(SECRET));
    }
  });
});
