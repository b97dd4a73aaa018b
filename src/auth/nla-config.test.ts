/** users[].rdpNtHash in the config file, and the lookup NlaServer signs people in with. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import { ntHash } from './ntlm-crypto.js';
import { ntHashLookup } from './users.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'recgate-nla-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const load = (yaml: string) => {
  const file = path.join(scratch, `c${++n}.yaml`);
  writeFileSync(file, yaml);
  return { file, load: () => loadConfig(file, {}) };
};

const HASH = ntHash('Password').toString('hex').toUpperCase();

test('a user may hold only an NT hash; it is stored lower-case and looked up by the name before "+"', () => {
  const { load: l } = load(`users:\n  - { name: alice, rdpNtHash: "${HASH}", targets: ["*"] }\n`);
  const config = l();
  assert.equal(config.users[0]!.rdpNtHash, HASH.toLowerCase());
  const lookup = ntHashLookup(config);
  assert.deepEqual(lookup('alice+win01'), ntHash('Password'));
  assert.deepEqual(lookup('alice'), ntHash('Password'));
  assert.equal(lookup('mallory+win01'), null);
});

test('a malformed NT hash is refused naming the file and key, without repeating the value', () => {
  const bad = 'a4f49c406510bdcab6824ee7c30fd85';
  const { file, load: l } = load(`users:\n  - { name: alice, rdpNtHash: "${bad}", targets: ["*"] }\n`);
  assert.throws(l, (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.ok(err.message.startsWith(file), err.message);
    assert.match(err.message, /rdpNtHash/);
    assert.match(err.message, /32 hex digits \(from recgate users hash --nt\)/);
    assert.ok(!err.message.includes(bad), err.message);
    return true;
  });
});

test('a user without an NT hash gets none from the lookup', () => {
  const { load: l } = load(`users:\n  - { name: carol, password: "$argon2id$v=19$m=65536,t=3,p=4$Eb7kBGAhyIUDM4DHQJMoFw$YQ5KrD7RnjxBgATL4UP71goJ/Uh28zRI+QkTXS7suDA", targets: ["*"] }\n`);
  assert.equal(ntHashLookup(l())('carol+win01'), null);
});
