/**
 * Bad input to the CLI: each case is one clear line on stderr and a non-zero exit.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GatewayHome } from '../fixtures/gateway-env.js';

let home: GatewayHome;
let id: string;

before(async () => {
  home = await GatewayHome.create();
  id = await home.record({ steps: [{ op: 'output', text: 'hello\r\n' }] });
});
after(() => home.remove());

function assertOneLineError(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0]!, /^recgate: /);
  assert.match(lines[0]!, pattern);
}

const out = (): string => join(home.dir, `out-${Math.random().toString(36).slice(2)}.zip`);

test('a malformed config names the file, the line and the key', async () => {
  const bad = join(home.dir, 'bad.yaml');
  await writeFile(bad, 'gateway:\n  dataDir: ./data\nstore:\n  kind: floppy\n');
  const r = await home.cli(['recordings', 'list', '--config', bad]);
  assertOneLineError(r, /bad\.yaml:4:\d+: store\.kind/);
});

test('a wrong passphrase', async () => {
  const r = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', out()], { env: { RECGATE_PASSPHRASE: 'wrong' } });
  assertOneLineError(r, /wrong passphrase/);
});

test('a wrong passphrase with a bad option or an unknown recording: the option or the recording is reported', async () => {
  // The key is unlocking while the command starts: what stops the command first is what the auditor reads.
  const wrong = { env: { RECGATE_PASSPHRASE: 'wrong' } };
  assertOneLineError(await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--video', 'avi', '--out', out()], wrong), /--video must be webm or mp4/);
  assertOneLineError(await home.cli(['recordings', 'export', '01JZZZZZZZZZZZZZZZZZZZZZZZ', '--key', home.key('officer'), '--out', out()], wrong), /no recording/);
});

test('a missing key file', async () => {
  const r = await home.cli(['recordings', 'export', id, '--key', join(home.dir, 'nope.key'), '--out', out()]);
  assertOneLineError(r, /nope\.key.*no such file/);
});

test('a corrupt key file', async () => {
  const corrupt = join(home.dir, 'corrupt.key');
  await writeFile(corrupt, '{"format":"recgate-auditor-key/1","kid":"00"');
  const r = await home.cli(['recordings', 'export', id, '--key', corrupt, '--out', out()]);
  assertOneLineError(r, /corrupt\.key/);
});

test('an unknown recording id', async () => {
  for (const args of [
    ['recordings', 'export', '01JZZZZZZZZZZZZZZZZZZZZZZZ', '--key', home.key('officer'), '--out', out()],
    ['recordings', 'verify', 'not-an-id'],
    ['recordings', 'play', '01JZZZZZZZZZZZZZZZZZZZZZZZ', '--key', home.key('officer')],
  ]) {
    assertOneLineError(await home.cli(args), /no recording/);
  }
});

test('a bad option value', async () => {
  assertOneLineError(await home.cli(['recordings', 'list', '--since', 'yesterday-ish']), /--since/);
  assertOneLineError(await home.cli(['recordings', 'play', id, '--key', home.key('officer'), '--speed', '0']), /--speed/);
});

test('auditor commands run without the targets\' secrets in the environment; start needs them', async () => {
  const config = join(home.dir, 'with-target.yaml');
  const base = await readFile(home.configPath, 'utf8');
  await writeFile(config, `${base}targets:\n  - { name: web01, protocol: ssh, host: 127.0.0.1, hostKey: trust-on-first-use, login: { user: deploy, password: { env: RG_TEST_UNSET_SECRET } } }\n`);
  const env = { RG_TEST_UNSET_SECRET: undefined };
  const list = await home.cli(['recordings', 'list', '--json', '--config', config], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.ok((JSON.parse(list.stdout) as { id: string }[]).some((r) => r.id === id));
  const verify = await home.cli(['recordings', 'verify', id, '--config', config], { env });
  assert.equal(verify.code, 0, verify.stderr);
  const exported = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', out(), '--config', config], { env });
  assert.equal(exported.code, 0, exported.stderr);
  const start = await home.cli(['start', '--config', config], { env });
  assertOneLineError(start, /targets\[0\]\.login\.password: environment variable RG_TEST_UNSET_SECRET is not set/);
});
