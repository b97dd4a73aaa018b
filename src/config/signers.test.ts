import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { isInsideDir } from './inside.js';
import { loadConfig } from './load.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'recgate-config-signers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const A = 'recgate-signer-ed25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0= recgate gateway';
const B = 'recgate-signer-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

let counter = 0;
function write(lines: readonly string[]): string {
  const file = path.join(scratch, `signers-${++counter}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function expectError(lines: readonly string[], expected: string): void {
  const file = write(lines);
  assert.throws(() => loadConfig(file, {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message, `${file}:${expected}`);
    return true;
  });
}

describe('signers: the gateway keys verification trusts', () => {
  it('reads signers inline and from a key file', () => {
    writeFileSync(path.join(scratch, 'gateway.pub'), `${B}\n`);
    const config = loadConfig(write(['signers:', `  - { name: gw1, publicKey: "${A}" }`, '  - { name: gw2, publicKeyFile: ./gateway.pub }']), {});
    assert.deepEqual(config.signers.map((s) => [s.name, s.line, Buffer.from(s.publicKey).toString('base64')]), [
      ['gw1', A, 'qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0='],
      ['gw2', B, 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='],
    ]);
    assert.deepEqual(loadConfig(write(['log: { level: info }']), {}).signers, []);
  });

  it('puts the signing key beside the config file by default, not in the data directory', () => {
    const config = loadConfig(write(['gateway: { dataDir: ./data }']), {});
    assert.equal(config.gateway.signingKey, path.join(scratch, 'signing.key'));
  });

  it('refuses a bad key line, an auditor key, both or neither form, with file, line and column', () => {
    expectError(['signers:', '  - { name: gw, publicKey: "recgate-signer-ed25519 AAAA" }'], '2:28: signers[0].publicKey: the public key decodes to 3 bytes, expected 32');
    expectError(
      ['signers:', '  - { name: gw, publicKey: "recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0=" }'],
      '2:28: signers[0].publicKey: a public key starts with "recgate-signer-ed25519 " followed by base64',
    );
    expectError(['signers:', '  - name: gw'], '2:5: signers[0].publicKey: missing required key (or give publicKeyFile)');
    expectError(['signers:', `  - { name: gw, publicKey: "${A}", publicKeyFile: ./x.pub }`], `2:${`  - { name: gw, publicKey: "${A}", `.length + 1}: signers[0].publicKeyFile: give either publicKey or publicKeyFile, not both`);
    expectError(['signers:', '  - { name: gw, publicKeyFile: ./missing.pub }'], `2:32: signers[0].publicKeyFile: cannot read ${path.join(scratch, 'missing.pub')}: not found`);
  });

  it('refuses duplicate names and the same key twice', () => {
    expectError(['signers:', `  - { name: gw, publicKey: "${A}" }`, `  - { name: gw, publicKey: "${B}" }`], '3:13: signers[1].name: duplicate signer name "gw" (also signers[0])');
    expectError(['signers:', `  - { name: gw1, publicKey: "${A}" }`, `  - { name: gw2, publicKey: "${A}" }`], '3:5: signers[1]: same public key as signer "gw1"');
  });

  it('refuses a key file inside the data directory, also through a link', () => {
    mkdirSync(path.join(scratch, 'data'), { recursive: true });
    writeFileSync(path.join(scratch, 'data', 'signing.key.pub'), `${A}\n`);
    const inside = path.join(scratch, 'data', 'signing.key.pub');
    expectError(
      ['gateway: { dataDir: ./data }', 'signers:', '  - { name: gw, publicKeyFile: ./data/signing.key.pub }'],
      `3:32: signers[0].publicKeyFile: ${inside} lies inside the data directory, where whoever writes the store could replace it; keep it elsewhere or give publicKey`,
    );
    symlinkSync(path.join(scratch, 'data'), path.join(scratch, 'link'));
    expectError(
      ['gateway: { dataDir: ./data }', 'signers:', '  - { name: gw, publicKeyFile: ./link/signing.key.pub }'],
      `3:32: signers[0].publicKeyFile: ${path.join(scratch, 'link', 'signing.key.pub')} lies inside the data directory, where whoever writes the store could replace it; keep it elsewhere or give publicKey`,
    );
  });
});

describe('isInsideDir', () => {
  it('follows links and never mistakes a sibling with a common prefix', () => {
    assert.equal(isInsideDir('/srv/data', '/srv/data/signing.key'), true);
    assert.equal(isInsideDir('/srv/data', '/srv/data'), true);
    assert.equal(isInsideDir('/srv/data', '/srv/data-keys/signing.key'), false);
    assert.equal(isInsideDir('/srv/data', '/srv/signing.key'), false);
    assert.equal(isInsideDir('/srv/data', '/srv/data/../signing.key'), false);
    assert.equal(isInsideDir(path.join(scratch, 'data'), path.join(scratch, 'link', 'new.key')), true);
  });
});
