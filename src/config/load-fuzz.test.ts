import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'recgate-config-fuzz-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const file = path.join(scratch, 'fuzz.yaml');

/** Loads `text`; anything thrown must be a one-line ConfigError. */
function loadsOrRefuses(text: string): void {
  writeFileSync(file, text);
  try {
    loadConfig(file, { SET: 'value' });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `threw ${String(error)} for:\n${text}`);
    assert.ok(!error.message.includes('\n'), `multi-line message for:\n${text}\n${error.message}`);
    assert.ok(error.message.startsWith(file), error.message);
  }
}

const WORDS = [
  'gateway', 'dataDir', 'listen', 'ssh', 'console', 'store', 'kind', 'local', 'postgres', 'url', 'recipients',
  'name', 'publicKey', 'publicKeyFile', 'users', 'password', 'sshKeys', 'targets', 'protocol', 'host', 'port',
  'hostKey', 'login', 'user', 'privateKey', 'passphrase', 'env', 'file', 'recording', 'keystrokes', 'required',
  'limits', 'idleTimeout', 'maxDuration', 'log', 'level', 'control', 'socket', 'retention', 'days', '__proto__',
  'constructor', 'toString', '*', 'web01', '15m', '1s', '64KiB', 'true', 'null', '~', '127.0.0.1:2222', '[::1]:1',
  'recgate-x25519 qLd9Ci1EeFnlTWUbylc1hcoJbH/1kKjjHt6HCqPt9f0=', 'SHA256:x', 'trust-on-first-use', 'SET', 'UNSET',
];
const PUNCTUATION = [':', ': ', '-', '- ', '[', ']', '{', '}', ',', '\n', '\n  ', '\n    ', ' ', '#', '&a ', '*a',
  '!!str ', '!tag ', '|', '>', "'", '"', '%YAML 1.2\n', '---\n', '...\n', '? ', '<<: ', '\t', '@', '`', '\\', '\u0000'];

const yamlish = fc
  .array(fc.oneof(fc.constantFrom(...WORDS), fc.constantFrom(...PUNCTUATION), fc.string({ maxLength: 6 }), fc.integer().map(String)), {
    maxLength: 60,
  })
  .map((parts) => parts.join(''));

const leaf = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

/** Nested mappings and lists built from the schema's own words, so deep paths are reached. */
const document = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('mapping')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  mapping: fc.dictionary(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 5 }),
})).mapping;

describe('loadConfig on arbitrary input', () => {
  it('never throws anything but a one-line ConfigError for YAML-like text', () => {
    fc.assert(fc.property(yamlish, loadsOrRefuses), { numRuns: 400 });
  });

  it('never throws anything but a one-line ConfigError for well-formed YAML of any shape', () => {
    fc.assert(fc.property(document, (value) => loadsOrRefuses(stringify(value))), { numRuns: 400 });
  });

  it('never throws anything but a one-line ConfigError for near-valid configs', () => {
    const base = {
      recipients: [{ name: 'officer', publicKey: WORDS[WORDS.length - 5] }],
      users: [{ name: 'alice', sshKeys: [], targets: ['*'] }],
      targets: [{ name: 'web01', protocol: 'ssh', host: 'h', login: { user: 'u', password: { env: 'SET' } } }],
    };
    const mutated = fc.tuple(fc.constantFrom(...Object.keys(base)), fc.constantFrom(0, 1), document).map(([section, index, value]) => {
      const copy = structuredClone(base) as Record<string, unknown[]>;
      const entries = copy[section] ?? [];
      entries[index] = { ...(entries[index] as object), ...value };
      return copy;
    });
    fc.assert(fc.property(mutated, (value) => loadsOrRefuses(stringify(value))), { numRuns: 400 });
  });
});
