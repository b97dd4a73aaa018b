import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatPublicKeyLine, generateAuditorKey } from '../seal/keys.js';
import { defaultSodium } from '../seal/sodium.js';
import { loadConfig } from './load.js';
import { describeDiff, diffIsEmpty, planReload } from './reload.js';

const s = defaultSodium();
const key = (name: string): string => formatPublicKeyLine(s, generateAuditorKey(s).publicKey, name);
const officer = key('officer');
const backup = key('backup');
const HASH = '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Qm9ndXNoYXNoQm9ndXNoYXNoQm9ndXNoYXNoQm9ndXM';
let dir: string;
let n = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recgate-reload-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const BASE = {
  listen: 'listen: { ssh: "127.0.0.1:2222", postgres: null, mysql: null, console: null }',
  recipients: [`  - { name: officer, publicKey: "${officer}" }`],
  users: [`  - { name: alice, targets: [web01], password: "${HASH}" }`],
  targets: ['  - { name: web01, protocol: ssh, host: 127.0.0.1, hostKey: trust-on-first-use, login: { user: deploy, password: pw } }'],
  extra: '',
};

async function config(over: Partial<typeof BASE> = {}) {
  const c = { ...BASE, ...over };
  const file = join(dir, `c${n++}.yaml`);
  await writeFile(
    file,
    ['gateway: { dataDir: ./data }', c.listen, 'recipients:', ...c.recipients, 'users:', ...c.users, 'targets:', ...c.targets, c.extra].join('\n') + '\n',
  );
  return loadConfig(file, {});
}

test('the same file again: no changes', async () => {
  const { diff } = planReload(await config(), await config());
  assert.ok(diffIsEmpty(diff));
  assert.deepEqual(describeDiff(diff), ['no changes']);
});

test('recipients added, removed and re-keyed are named; a new comment on the key line is no change', async () => {
  const running = await config();
  const { diff, config: next } = planReload(running, await config({ recipients: [`  - { name: officer, publicKey: "${key('officer')}" }`, `  - { name: backup, publicKey: "${backup}" }`] }));
  assert.deepEqual(diff.recipients, { added: ['backup'], removed: [], changed: ['officer'] });
  assert.deepEqual(diff.targets, { added: [], removed: [], changed: [] }, 'a target sealed to every recipient is not itself changed');
  assert.equal(next.recipients.length, 2);
  const renamed = officer.replace(/ officer$/, ' another-comment');
  assert.deepEqual(planReload(running, await config({ recipients: [`  - { name: officer, publicKey: "${renamed}" }`] })).diff.recipients.changed, []);
  const gone = planReload(running, await config({ recipients: [`  - { name: backup, publicKey: "${backup}" }`] })).diff.recipients;
  assert.deepEqual(gone, { added: ['backup'], removed: ['officer'], changed: [] });
});

test('users and targets: added, removed, changed (a changed target password is a change, never shown)', async () => {
  const running = await config();
  const { diff } = planReload(
    running,
    await config({
      users: [`  - { name: alice, targets: [web01, web02], password: "${HASH}" }`, `  - { name: bob, targets: [web01], password: "${HASH}" }`],
      targets: [
        '  - { name: web01, protocol: ssh, host: 127.0.0.1, hostKey: trust-on-first-use, login: { user: deploy, password: other-secret-pw } }',
        '  - { name: web02, protocol: ssh, host: 127.0.0.2, hostKey: trust-on-first-use, login: { user: deploy, password: pw } }',
      ],
    }),
  );
  assert.deepEqual(diff.users, { added: ['bob'], removed: [], changed: ['alice'] });
  assert.deepEqual(diff.targets, { added: ['web02'], removed: [], changed: ['web01'] });
  const text = describeDiff(diff).join('\n');
  assert.equal(text, 'users added: bob\nusers changed: alice\ntargets added: web02\ntargets changed: web01');
  assert.doesNotMatch(JSON.stringify(diff), /other-secret-pw/);
});

test('listen, store, log and admission changes need a restart and keep their running values; limits apply', async () => {
  const running = await config();
  const { diff, config: next } = planReload(
    running,
    await config({ listen: 'listen: { ssh: "127.0.0.1:2223", postgres: null, mysql: null, console: null }', extra: 'log: { level: debug }\nadmission: { maxFailures: 3 }\nlimits: { idleTimeout: 10m }' }),
  );
  assert.deepEqual(diff.needsRestart, ['listen', 'log', 'admission']);
  assert.deepEqual(diff.applied, ['limits']);
  assert.equal(next.listen['ssh']?.port, 2222, 'the running listener stays');
  assert.equal(next.log.level, running.log.level);
  assert.equal(next.admission.maxFailures, running.admission.maxFailures);
  assert.equal(next.targets[0]?.limits.idleTimeout, 600_000, 'new sessions get the new limits');
  assert.deepEqual(diff.targets.changed, ['web01'], "the target's limits changed with them");
  assert.ok(Object.isFrozen(next));
  assert.match(describeDiff(diff).join('\n'), /needs a restart \(the running values stay\): listen, log, admission/);
});

test('console.tls needs a restart and keeps its running value; console accounts apply', async () => {
  const running = await config();
  const account = `console:\n  tls: true\n  accounts:\n    - { name: ada, password: "${HASH}", role: admin, recipient: officer }`;
  const { diff, config: next } = planReload(running, await config({ extra: account }));
  assert.deepEqual(diff.needsRestart, ['console.tls']);
  assert.equal(next.console.tls, false, 'the running listener stays plain HTTP');
  assert.deepEqual(next.console.accounts.map((a) => a.name), ['ada']);
  assert.match(describeDiff(diff).join('\n'), /needs a restart \(the running values stay\): console.tls/);
});
