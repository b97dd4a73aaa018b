/**
 * Reloading a running gateway with real psql sessions: after an auditor key
 * rotation, SIGHUP or `recgate reload` seals new sessions to the new key while
 * a session live during the reload keeps its recipients; users and targets
 * apply to the next login; a broken file changes nothing and says why; and
 * `keys rotate --update-config` does it all itself.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PgGateway } from '../fixtures/pg-gateway.js';

let g: PgGateway;

before(async () => {
  g = await PgGateway.start();
});
after(() => g?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function opens(id: string, key: string): Promise<boolean> {
  const out = join(g.home.dir, `${id}-${key}.zip`);
  const r = await g.home.cli(['recordings', 'export', id, '--key', g.home.key(key), '--out', out]);
  return r.code === 0;
}

async function liveSessionId(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = JSON.parse((await g.home.cli(['sessions', 'list', '--json'])).stdout) as { id: string }[];
    if (list[0]) return list[0].id;
    await sleep(100);
  }
  throw new Error('no live session');
}

async function newestRecording(before: number): Promise<string> {
  return (await g.endedRecording(before)).id;
}

async function waitForLog(pattern: RegExp, from: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const tail = g.log.slice(from);
    if (pattern.test(tail)) return tail;
    await sleep(100);
  }
  throw new Error(`the gateway never logged ${pattern}: ${g.log.slice(from)}`);
}

async function editConfig(edit: (text: string) => string): Promise<void> {
  await writeFile(g.home.configPath, edit(await readFile(g.home.configPath, 'utf8')));
}

test('after rotation, SIGHUP seals new sessions to the new key; a session live during the reload keeps its own', async () => {
  const gen = await g.home.cli(['keys', 'generate', '--out', g.home.key('officer2')]);
  assert.equal(gen.code, 0, gen.stderr);

  // Long enough to be live through the rotation and the reload on a loaded machine: with 4 s, a
  // CI run whose CLI calls were slow found the session already ended when it rotated.
  const live = g.psql(['-c', 'SELECT pg_sleep(8)']);
  const liveId = await liveSessionId();

  const rotate = await g.home.cli(['keys', 'rotate', '--from', g.home.key('officer'), '--to', `${g.home.key('officer2')}.pub`]);
  assert.equal(rotate.code, 1, 'the live recording is left for later');
  assert.match(rotate.stdout, /left to do: new sessions are still sealed to key [0-9a-f]{16} until the gateway's config names the new key/);
  assert.match(rotate.stdout, /replace the recipient officer under recipients: with\n {2}- \{ name: officer, publicKeyFile: "keys\/officer2\.key\.pub" \}\n/);
  assert.match(rotate.stdout, /then run: recgate reload --config /);

  // Alice may not reach pg03 yet; the reload adds it.
  assert.match((await g.psql(['-c', 'SELECT 1'], { login: 'alice+pg03' })).stderr, /there is no target named pg03 that you may reach/);
  await editConfig((t) =>
    t
      .replace('publicKeyFile: ./keys/officer.key.pub', 'publicKeyFile: "keys/officer2.key.pub"')
      .replace('targets: [pg01, down01, badpw01]', 'targets: [pg01, down01, badpw01, pg03]')
      .concat(['  - name: pg03', '    protocol: postgres', '    host: 127.0.0.1', `    port: ${g.pg.port}`, '    tls: disable', `    login: { user: app, password: "${g.pg.password}" }`, ''].join('\n')),
  );
  const from = g.log.length;
  g.daemonProcess.kill('SIGHUP');
  const logged = await waitForLog(/"msg":"config reloaded"/, from);
  assert.match(logged, /"recipients changed: officer"/);
  assert.match(logged, /"users changed: alice"/);
  assert.match(logged, /"targets added: pg03"/);

  const before = (await g.recordings()).length;
  const r = await g.psql(['-At', '-c', 'SELECT 42'], { login: 'alice+pg03' });
  assert.equal(r.stdout, '42\n', r.stderr);
  const after = await newestRecording(before);
  assert.equal(await opens(after, 'officer2'), true, 'the new key opens a session started after the reload');
  assert.equal(await opens(after, 'officer'), false, 'the old key alone does not');

  assert.equal((await live).code, 0);
  for (let i = 0; i < 50 && (await g.recordings()).find((x) => x.id === liveId)?.status === 'recording'; i++) await sleep(100);
  assert.equal(await opens(liveId, 'officer'), true, 'the session live during the reload stays sealed to its recipients');
  assert.equal(await opens(liveId, 'officer2'), false);
});

test('recgate reload reports what changed; a broken config changes nothing and is an error; listeners need a restart', async () => {
  await editConfig((t) => t.replace('  - { name: officer, publicKeyFile: "keys/officer2.key.pub" }', '  - { name: officer, publicKeyFile: "keys/officer2.key.pub" }\n  - { name: backup, publicKeyFile: ./keys/backup.key.pub }'));
  const ok = await g.home.cli(['reload']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'reloaded\n  recipients added: backup\n');

  const good = await readFile(g.home.configPath, 'utf8');
  const before = (await g.recordings()).length;
  await writeFile(g.home.configPath, good.replace('users:', 'users:\n  - { name: carol, targets: pg01 }'));
  const from = g.log.length;
  const bad = await g.home.cli(['reload']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^recgate: .*recgate\.yaml.*users\[0\]\.targets/);
  assert.equal(bad.stderr.split('\n').length, 2, 'one line');
  await waitForLog(/"msg":"reload failed: the running config stays in place"/, from);
  assert.equal((await g.psql(['-At', '-c', 'SELECT 1'])).stdout, '1\n', 'the gateway runs on with its config');
  await writeFile(g.home.configPath, good);
  const id = await newestRecording(before);
  assert.equal(await opens(id, 'backup'), true, 'sealed as the last good config says');

  await writeFile(g.home.configPath, good.replace(/listen: \{ postgres: "127\.0\.0\.1:(\d+)"/, 'listen: { postgres: "127.0.0.1:1"'));
  const restart = await g.home.cli(['reload']);
  assert.equal(restart.code, 0, restart.stderr);
  assert.match(restart.stdout, /needs a restart \(the running values stay\): listen/);
  assert.equal(restart.stderr, 'recgate: listen changed and need a restart of the gateway\n');
  assert.equal((await g.psql(['-At', '-c', 'SELECT 2'])).stdout, '2\n', 'still listening where it was');
  await writeFile(g.home.configPath, good);
  assert.equal((await g.home.cli(['reload'])).code, 0);
});

test('keys rotate --update-config edits the YAML (comments kept) and has the running gateway reload it', async () => {
  assert.equal((await g.home.cli(['keys', 'generate', '--out', g.home.key('officer3')])).code, 0);
  await editConfig((t) => `# the gateway for the e2e tests\n${t.replace('recipients:', 'recipients: # who can open recordings')}`);
  const r = await g.home.cli(['keys', 'rotate', '--from', g.home.key('officer2'), '--to', `${g.home.key('officer3')}.pub`, '--update-config', g.home.configPath]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^updated .*recgate\.yaml: recipient officer now uses keys\/officer3\.key\.pub$/m);
  assert.match(r.stdout, /^the running gateway reloaded its config: recipients changed: officer$/m);
  assert.match(r.stdout, /^rotated \d+ recordings? from key [0-9a-f]+ to key [0-9a-f]+$/m);
  const text = await readFile(g.home.configPath, 'utf8');
  assert.match(text, /^# the gateway for the e2e tests$/m);
  assert.match(text, /^recipients: # who can open recordings$/m);
  assert.match(text, /name: officer, publicKeyFile: keys\/officer3\.key\.pub/);

  const before = (await g.recordings()).length;
  assert.equal((await g.psql(['-At', '-c', 'SELECT 3'])).stdout, '3\n');
  const id = await newestRecording(before);
  assert.equal(await opens(id, 'officer3'), true);
  assert.equal(await opens(id, 'officer2'), false);

  // Run again (as the operator does for recordings that were live): the config already names the key.
  const again = await g.home.cli(['keys', 'rotate', '--from', g.home.key('officer2'), '--to', `${g.home.key('officer3')}.pub`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^rotated 0 recordings from key /m);
  assert.match(again.stdout, /recgate\.yaml already names the new key \(recipient officer\); if the running gateway has not loaded it yet: recgate reload --config /);
  assert.equal(await readFile(g.home.configPath, 'utf8'), text, 'the config is left alone');
});
