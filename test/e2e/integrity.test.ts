/**
 * What someone who can write the store can no longer do unnoticed: cut a
 * recording short and call it interrupted, edit its status or end, delete it
 * whole, or re-sign it with a key of their own. `recordings verify` names
 * the recording; `export` and `play` refuse it unless `--force`, and then
 * print every finding first; `search` skips it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GatewayHome, type CliResult } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';
import { TamperedHome } from '../fixtures/tamper.js';
import { readZip } from '../fixtures/zip.js';

let base: GatewayHome;
let first: string;
let second: string;
const copies: TamperedHome[] = [];

const session = (label: string): Step[] => [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'repeat', times: 5, steps: [{ op: 'output', text: `${label} says hello\r\n` }, { op: 'sleep', ms: 350 }] },
];

before(async () => {
  base = await GatewayHome.create('recording: { flushInterval: 100ms, checkpointInterval: 300ms }');
  first = await base.record({ steps: session('first') });
  second = await base.record({ steps: session('second') });
});
after(async () => {
  await base.remove();
  await Promise.all(copies.map((c) => c.remove()));
});

async function tampered(): Promise<TamperedHome> {
  const t = await TamperedHome.copy(base.dir);
  copies.push(t);
  return t;
}

const cli = (t: TamperedHome, args: string[]): Promise<CliResult> => base.cli([...args, '--config', t.config]);
const exportTo = (t: TamperedHome, id: string, ...extra: string[]) =>
  cli(t, ['recordings', 'export', id, '--key', base.key('officer'), '--out', join(t.dir, `${id}.zip`), ...extra]);
const play = (t: TamperedHome, id: string, ...extra: string[]) =>
  cli(t, ['recordings', 'play', id, '--key', base.key('officer'), '--speed', '100', '--skip-idle', '0.01', ...extra]);

/** Refused in one line that names the recording and points to verify; nothing decrypted. */
function assertRefused(r: CliResult, id: string, finding: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^recgate: recording ${id} failed verification: .*; see recordings verify ${id}$`));
  assert.match(lines[0]!, finding);
}

async function assertCaught(t: TamperedHome, id: string, finding: RegExp): Promise<void> {
  const v = await cli(t, ['recordings', 'verify', id]);
  assert.equal(v.code, 1, v.stdout);
  assert.match(v.stdout, new RegExp(`^error: recording ${id}: .*${finding.source}`, 'm'));
  const all = await cli(t, ['recordings', 'verify', '--all']);
  assert.equal(all.code, 1, all.stdout);
  assert.match(all.stdout, new RegExp(`^error: recording ${id}: .*${finding.source}`, 'm'));
  assertRefused(await exportTo(t, id), id, finding);
  assert.equal(existsSync(join(t.dir, `${id}.zip`)), false, 'no zip written');
  assertRefused(await play(t, id), id, finding);
}

test('the untouched store verifies, and export and play say nothing on stderr', async () => {
  const t = await tampered();
  const v = await cli(t, ['recordings', 'verify', '--all']);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`^recording ${first}: ok$`, 'm'));
  assert.match(v.stdout, /^log: 4 entries, head 3:[A-Za-z0-9+/]{43}=$/m);
  const e = await exportTo(t, first);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(e.stderr, '');
  const p = await play(t, first);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /first says hello/);
});

test('cut short and marked interrupted: verify names it, export and play refuse it', async () => {
  const t = await tampered();
  await t.cutShort(first, 2);
  await assertCaught(t, first, /cut short/);
});

test('--force exports a recording that fails, after printing every finding as a warning', async () => {
  const t = await tampered();
  await t.cutShort(first, 2);
  const e = await exportTo(t, first, '--force');
  assert.equal(e.code, 0, e.stderr);
  const lines = e.stderr.trimEnd().split('\n');
  assert.equal(lines[0], `recgate: warning: recording ${first} failed verification; decrypting it anyway (--force)`);
  assert.ok(lines.length > 2 && lines.every((l) => l.startsWith('recgate: warning: ')), e.stderr);
  assert.ok(lines.some((l) => /cut short/.test(l)));
  assert.ok((await readZip(join(t.dir, `${first}.zip`))).has(`${first}.tys`));
  const p = await play(t, first, '--force');
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /first says hello/);
});

test('a status, end time or end reason edited in the index is caught', async () => {
  const edits: [string, string, RegExp][] = [
    ['status', 'interrupted', /the index says status "interrupted", the signed final checkpoint "complete" \(status edited\)/],
    ['status', 'recording', /the index says status "recording", the signed final checkpoint "complete" \(status edited\)/],
    ['ended_at', '2020-01-01T00:00:00.000Z', /the index says endedAt "2020-01-01T00:00:00.000Z", the signed final checkpoint/],
    ['end_reason', 'idle-timeout', /the index says endReason "idle-timeout", the signed final checkpoint "closed"/],
  ];
  for (const [column, value, finding] of edits) {
    const t = await tampered();
    await t.sql(`UPDATE recordings SET ${column} = ? WHERE id = ?`, value, first);
    await assertCaught(t, first, finding);
  }
});

test('a recording deleted with its index row is found by verify --all and verify ID', async () => {
  const t = await tampered();
  await t.deleteRecording(first);
  const all = await cli(t, ['recordings', 'verify', '--all']);
  assert.equal(all.code, 1);
  assert.match(all.stdout, new RegExp(`^error: recording ${first}: the log records its start \\(seq \\d+\\), but the store no longer holds it \\(deleted\\)$`, 'm'));
  assert.match(all.stdout, new RegExp(`^recording ${second}: ok$`, 'm'));
  assert.match(all.stderr, /^recgate: 1 recording failed verification$/m);
  const one = await cli(t, ['recordings', 'verify', first]);
  assert.equal(one.code, 1);
  assert.match(one.stdout, /\(deleted\)/);
  const e = await exportTo(t, first);
  assert.equal(e.code, 1);
  assert.match(e.stderr, /no recording/);
});

test('checkpoints re-signed with another key are caught', async () => {
  const t = await tampered();
  await t.forge(first, 'alice', false);
  await assertCaught(t, first, /signer \S+ is not trusted/);
});

test("an attacker's signing key planted in the data directory, named in the manifest, with a forged user, is not believed", async () => {
  const t = await tampered();
  await t.forge(first, 'mallory');
  await assertCaught(t, first, /signer \S+ is not trusted/);
  const v = await cli(t, ['recordings', 'verify', first]);
  assert.match(v.stdout, /its metadata differs from what the log recorded at its start/);
});

test('with no signers pinned, a signing key inside the data directory is refused in one line saying how to pin', async () => {
  const t = await tampered();
  await t.forge(first, 'mallory');
  const config = join(t.dir, 'old-layout.yaml');
  await writeFile(config, [
    'gateway: { dataDir: ./data, signingKey: ./data/signing.key }',
    'recipients:',
    '  - { name: officer, publicKeyFile: ./keys/officer.key.pub }',
    '',
  ].join('\n'));
  for (const args of [['recordings', 'verify', '--all'], ['recordings', 'export', first, '--key', base.key('officer'), '--out', join(t.dir, 'x.zip')]]) {
    const r = await base.cli([...args, '--config', config]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^recgate: no signers configured, and .*signing\.key\.pub lies inside the data directory.*; pin the gateway's key in the config: signers: /);
  }
});

test('search skips a recording that fails verification, saying so, unless --force', async () => {
  const t = await tampered();
  await t.cutShort(first, 2);
  const r = await cli(t, ['recordings', 'search', 'says hello', '--key', base.key('officer')]);
  assert.equal(r.code, 2, 'a skipped recording is an error: exit 2, as grep');
  assert.ok(r.stdout.includes(second) && !r.stdout.includes(first), r.stdout);
  assert.match(r.stderr, new RegExp(`^recgate: skipped recording ${first} failed verification: .*; see recordings verify ${first}$`, 'm'));
  const forced = await cli(t, ['recordings', 'search', 'says hello', '--key', base.key('officer'), '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.ok(forced.stdout.includes(first) && forced.stdout.includes(second));
  assert.match(forced.stderr, /recgate: warning: .*cut short/);
});
