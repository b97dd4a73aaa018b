import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'recgate-config-console-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const KEY = 'recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0= officer';
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$Eb7kBGAhyIUDM4DHQJMoFw$YQ5KrD7RnjxBgATL4UP71goJ/Uh28zRI+QkTXS7suDA';
const BASE = ['listen: { ssh: null, postgres: null, mysql: null, console: "127.0.0.1:0" }', 'recipients:', `  - { name: officer, publicKey: "${KEY}" }`];

let n = 0;
function write(lines: readonly string[]): string {
  const file = path.join(scratch, `c${++n}.yaml`);
  writeFileSync(file, [...BASE, ...lines].join('\n') + '\n');
  return file;
}

function expectError(lines: readonly string[], expected: string): void {
  const file = write(lines);
  assert.throws(() => loadConfig(file, {}), (e: unknown) => e instanceof ConfigError && e.message === `${file}:${expected}`);
}

describe('console accounts in the config', () => {
  it('loads accounts with their role, recipient and scope; no section means no accounts', () => {
    const config = loadConfig(
      write(['console:', '  sessionIdle: 10m', '  accounts:', `    - { name: audrey, password: "${HASH}", role: auditor, recipient: officer, users: [alice] }`]),
      {},
    );
    assert.equal(config.console.sessionIdle, 600_000);
    assert.deepEqual(config.console.accounts, [{ name: 'audrey', password: HASH, role: 'auditor', recipient: 'officer', targets: [], users: ['alice'] }]);
    assert.deepEqual(loadConfig(write([]), {}).console.accounts, []);
    assert.equal(loadConfig(write([]), {}).console.tls, false);
    assert.equal(loadConfig(write(['console: { tls: true }']), {}).console.tls, true);
  });

  it('names the line of a console.tls that is not true or false', () => {
    expectError(['console: { tls: "yes" }'], '4:17: console.tls: expected true or false, got a string');
  });

  it('names file, line, key and problem for a bad account', () => {
    expectError(['console:', '  accounts:', `    - { name: a, password: "${HASH}", role: root, recipient: officer, users: ["*"] }`], '6:135: console.accounts[0].role: unknown role "root"; expected one of auditor, officer, admin');
  });

  it('refuses an unknown recipient, a duplicate name, a plain password and an auditor who would see nothing', () => {
    const account = (extra: string) => `    - { name: a, password: "${HASH}", role: auditor, recipient: officer, users: ["*"]${extra} }`;
    expectError(['console:', '  accounts:', `    - { name: a, password: "${HASH}", role: admin, recipient: nobody }`], '6:153: console.accounts[0].recipient: unknown recipient "nobody"');
    expectError(['console:', '  accounts:', account(''), account('')], '7:15: console.accounts[1].name: duplicate console account name "a" (also console.accounts[0])');
    expectError(['console:', '  accounts:', '    - { name: a, password: hunter2, role: admin, recipient: officer }'], '6:28: console.accounts[0].password: not an Argon2id hash (expected $argon2id$v=19$m=...,t=...,p=...$salt$hash from "recgate users hash")');
    expectError(['console:', '  accounts:', `    - { name: a, password: "${HASH}", role: auditor, recipient: officer }`], '6:135: console.accounts[0].role: an auditor needs users or targets to see (use ["*"] for every one)');
  });
});
