/**
 * The archive tier with local stores, through the real CLI: a recording made
 * by the gateway's code path in its own process moves to the archive when it
 * is older than archiveAfterDays (the sweep runs with a later `now`, as the
 * clock would be), and is still listed, verified, searched and exported byte
 * for byte from there; when retention.days passes it is crypto-shredded out of
 * the archive and `verify --all` accepts its absence because the gateway's
 * log records the move and the deletion. `recgate start` runs with the
 * archive configured.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { filesUnder } from '../fixtures/files-under.js';
import { loadConfig } from '../../src/config/index.js';
import { GatewayLog } from '../../src/daemon/gateway-log.js';
import { ensureSigningKey } from '../../src/daemon/gateway-keys.js';
import { sweepRetention } from '../../src/daemon/retention.js';
import { silentLogger } from '../../src/log.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { describeLocation, openArchiveStore } from '../../src/store/archive.js';
import { openStore } from '../../src/store/index.js';
import { GatewayHome } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';
import { readZip } from '../fixtures/zip.js';

const DAY = 86_400_000;
const MARKER = 'RG-ARCHIVE-5d1e';
const steps: Step[] = [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'output', text: `$ echo ${MARKER}\r\n${MARKER}\r\n` },
  { op: 'event', event: { type: 'command', command: `echo ${MARKER}` } },
  { op: 'repeat', times: 4, steps: [{ op: 'output', text: 'z'.repeat(70_000) + '\r\n' }] },
];

let home: GatewayHome;
let id: string;
let exportedBefore: Map<string, Buffer>;

/** One sweep as the daemon runs it, with the clock `days` ahead. */
async function sweepAt(days: number): Promise<{ deleted: string[]; archived: string[]; failed: string[] }> {
  const config = loadConfig(home.configPath);
  const log = silentLogger();
  const s = defaultSodium();
  const signer = await ensureSigningKey(s, config.gateway.signingKey, log);
  const hot = openStore(config, log);
  const location = config.retention.archive!;
  const archive = openArchiveStore(location, log, config.gateway.nodeId);
  try {
    const journal = new GatewayLog(s, hot, signer);
    return await sweepRetention({ hot, archive: { store: archive, name: describeLocation(location) } }, journal, config.retention, log, Date.now() + days * DAY);
  } finally {
    await hot.close();
    await archive.close();
  }
}

/** The gateway log as seq, kind and recording a line: what a failed verify is checked against. */
async function logLines(): Promise<string> {
  const store = openStore(loadConfig(home.configPath), silentLogger());
  try {
    const lines: string[] = [];
    for await (const e of store.readLog()) lines.push(`${e.seq} ${e.kind} ${e.recording}`);
    return lines.join('\n');
  } finally {
    await store.close();
  }
}

async function exportFiles(name: string): Promise<Map<string, Buffer>> {
  const out = join(home.dir, `${name}.zip`);
  const r = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  return readZip(out);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

before(async () => {
  home = await GatewayHome.create('retention: { days: 30, archiveAfterDays: 7, archive: { kind: local, dir: ./archive } }');
  id = await home.record({ steps });
  exportedBefore = await exportFiles('before');
});
after(() => home.remove());

test('recgate start runs with an archive tier configured and stops cleanly', async () => {
  const { code, log } = await home.startAndStopDaemon();
  assert.equal(code, 0, log);
  assert.doesNotMatch(log, /retention sweep failed|cannot move/);
  assert.ok(await exists(join(home.recordingDir(id))), 'a recent recording stays in the hot store');
});

test('recgate start refuses an archive that is the hot store itself, with one clear line', async () => {
  const same = join(home.dir, 'same-archive.yaml');
  await writeFile(same, (await readFile(home.configPath, 'utf8')).replace('dir: ./archive', 'dir: ./data'));
  await assert.rejects(home.startDaemon(same), /retention\.archive names the hot store itself \(local \S+data\)/);
});

test('past archiveAfterDays the recording moves to the archive, and the CLI lists, verifies, searches, plays, exports and rotates it as before', async () => {
  assert.deepEqual(await sweepAt(6), { deleted: [], archived: [], failed: [] });
  assert.deepEqual(await sweepAt(8), { deleted: [], archived: [id], failed: [] });
  assert.equal(await exists(home.recordingDir(id)), false, 'gone from the hot store');
  assert.ok(await exists(join(home.dir, 'archive', 'recordings', id)), 'held by the archive');

  const list = await home.cli(['recordings', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as { id: string; status: string }[];
  assert.deepEqual(rows.map((r) => [r.id, r.status]), [[id, 'complete']]);
  const one = await home.cli(['recordings', 'verify', id]);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  const all = await home.cli(['recordings', 'verify', '--all']);
  assert.equal(all.code, 0, all.stdout + all.stderr);
  assert.match(all.stdout, new RegExp(`recording ${id}: ok`));
  const search = await home.cli(['recordings', 'search', MARKER, '--key', home.key('officer')]);
  assert.equal(search.code, 0, search.stdout + search.stderr);
  assert.match(search.stdout, new RegExp(id));
  // An auditor whose config does not name the archive is told where the recording went, not that it vanished.
  const noArchive = join(home.dir, 'no-archive.yaml');
  await writeFile(noArchive, (await readFile(home.configPath, 'utf8')).replace(/^retention:.*$/m, ''));
  const blind = await home.cli(['recordings', 'verify', '--all', '--config', noArchive]);
  assert.notEqual(blind.code, 0);
  assert.match(blind.stdout, /move to the archive \(seq \d+: local \S+archive\), but no store holds it/);
  const play = await home.cli(['recordings', 'play', id, '--key', home.key('officer'), '--speed', '1000']);
  assert.equal(play.code, 0, play.stderr);
  assert.match(play.stdout, new RegExp(MARKER));
  const exportedAfter = await exportFiles('after');
  // keys rotate reaches the archive: the new key opens the archived recording.
  const generated = await home.cli(['keys', 'generate', '--out', join(home.dir, 'keys', 'next.key')]);
  assert.equal(generated.code, 0, generated.stderr);
  const rotated = await home.cli(['keys', 'rotate', '--from', home.key('officer'), '--to', join(home.dir, 'keys', 'next.key.pub')]);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /^rotated 1 recording from key/);
  const withNext = await home.cli(['recordings', 'export', id, '--key', join(home.dir, 'keys', 'next.key'), '--out', join(home.dir, 'next.zip')]);
  assert.equal(withNext.code, 0, withNext.stderr);
  assert.deepEqual([...exportedAfter.keys()].sort(), [...exportedBefore.keys()].sort());
  for (const [name, bytes] of exportedBefore) assert.ok(bytes.equals(exportedAfter.get(name)!), `${name} exports identically from the archive`);
});

test('past retention.days it is crypto-shredded out of the archive, and verify --all accepts its absence', async () => {
  const manifest = JSON.parse(await readFile(join(home.dir, 'archive', 'recordings', id, 'manifest.json'), 'utf8')) as { recipients: { sealedKey: string }[] };
  assert.deepEqual(await sweepAt(31), { deleted: [id], archived: [], failed: [] });
  const list = await home.cli(['recordings', 'list', '--json']);
  assert.deepEqual(JSON.parse(list.stdout), []);
  const all = await home.cli(['recordings', 'verify', '--all']);
  assert.equal(all.code, 0, `${all.stdout}${all.stderr}\nthe gateway log holds:\n${await logLines()}`);
  assert.doesNotMatch(all.stdout, /no longer holds it/);
  for (const dir of [home.dataDir, join(home.dir, 'archive')]) {
    for (const { path, bytes } of await filesUnder(dir)) {
      for (const r of manifest.recipients) assert.equal(bytes.includes(r.sealedKey), false, `${path} still holds a sealed key`);
    }
  }
  const missing = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', join(home.dir, 'gone.zip')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no recording/);
});

