import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { applyRecipientEdit, describeEdit, type RecipientEdit } from './keys-config.js';

const replace: RecipientEdit = { replaces: 'officer', entry: { name: 'officer', publicKeyFile: 'keys/new.key.pub' } };
const add: RecipientEdit = { replaces: null, entry: { name: 'new', publicKeyFile: 'keys/new.key.pub' } };

const BLOCK = `# gateway config
gateway: { dataDir: ./data }   # the store
recipients: # who opens recordings
  # the compliance officer
  - name: officer
    publicKey: "recgate-x25519 AAAA officer"   # old key
  - { name: backup, publicKeyFile: ./keys/backup.key.pub }
users: []
`;

test('the recipient holding the old key takes the new key file; every other byte stays', () => {
  const out = applyRecipientEdit(BLOCK, replace, 'c.yaml');
  assert.equal(out, BLOCK.replace('publicKey: "recgate-x25519 AAAA officer"', 'publicKeyFile: keys/new.key.pub'));
  assert.equal(parseDocument(out).errors.length, 0);
});

test('a flow entry with publicKeyFile is edited in place', () => {
  const text = 'recipients:\n  - { name: officer, publicKeyFile: "../keys/old.pub" } # keep me\n';
  assert.equal(applyRecipientEdit(text, replace, 'c.yaml'), 'recipients:\n  - { name: officer, publicKeyFile: keys/new.key.pub } # keep me\n');
});

test('no recipient holds the old key: the new one is added at the end of the list, in its style', () => {
  const block = applyRecipientEdit(BLOCK, add, 'c.yaml');
  assert.match(block, /publicKeyFile: \.\/keys\/backup\.key\.pub \}\n {2}- \{ name: new, publicKeyFile: keys\/new\.key\.pub \}\nusers: \[\]\n$/);
  assert.equal(parseDocument(block).toJS().recipients.length, 3);
  const flow = applyRecipientEdit('recipients: [{ name: a, publicKeyFile: a.pub }] # list\n', add, 'c.yaml');
  assert.equal(flow, 'recipients: [{ name: a, publicKeyFile: a.pub }, { name: new, publicKeyFile: keys/new.key.pub }] # list\n');
});

test('no recipients section: one is written', () => {
  assert.equal(applyRecipientEdit('users: []\n', add, 'c.yaml'), 'users: []\nrecipients:\n  - { name: new, publicKeyFile: keys/new.key.pub }\n');
  assert.equal(parseDocument(applyRecipientEdit('recipients: []\nusers: []\n', add, 'c.yaml')).toJS().recipients[0].name, 'new');
});

test('a path that needs quoting is quoted; a broken file is an error naming it', () => {
  const spaced: RecipientEdit = { replaces: 'officer', entry: { name: 'officer', publicKeyFile: 'keys/a key: #1.pub' } };
  const out = applyRecipientEdit(BLOCK, spaced, 'c.yaml');
  assert.equal(parseDocument(out).toJS().recipients[0].publicKeyFile, 'keys/a key: #1.pub');
  assert.throws(() => applyRecipientEdit('recipients: [\n', add, '/etc/recgate.yaml'), /^ConfigError: \/etc\/recgate\.yaml: |\/etc\/recgate\.yaml: /);
  assert.throws(() => applyRecipientEdit('recipients: 3\n', add, 'c.yaml'), /c\.yaml: recipients: a list expected/);
});

test('without --update-config the operator is told the exact line', () => {
  assert.equal(describeEdit(replace, '/etc/recgate.yaml'), 'in /etc/recgate.yaml, replace the recipient officer under recipients: with\n  - { name: officer, publicKeyFile: "keys/new.key.pub" }\n');
});
