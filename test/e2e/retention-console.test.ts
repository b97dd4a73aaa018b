/**
 * The web console finds recordings retention moved to the archive tier: a
 * real `recgate start` with a local archive configured lists an archived
 * recording with the recent one, serves its manifest (the account's own
 * sealed key), checkpoints and chunks from the archive, and the chunks open
 * with the officer's key.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GatewayLog } from '../../src/daemon/gateway-log.js';
import { ensureSigningKey } from '../../src/daemon/gateway-keys.js';
import { sweepRetention } from '../../src/daemon/retention.js';
import { silentLogger } from '../../src/log.js';
import { decryptKeyFile } from '../../src/seal/keys.js';
import type { Manifest } from '../../src/seal/manifest.js';
import { RecordOpener } from '../../src/seal/opener.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { LocalStore } from '../../src/store/local.js';
import { ACCOUNTS, ConsoleClient, startConsoleGateway, type ConsoleGateway } from '../fixtures/console-gateway.js';
import { PASSPHRASE } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';

const DAY = 86_400_000;
const MARKER = 'RG-CONSOLE-ARCHIVED-c41d';
const steps: Step[] = [
  { op: 'terminal', cols: 80, rows: 24 },
  { op: 'output', text: `$ echo ${MARKER}\r\n${MARKER}\r\n` },
];
const s = defaultSodium();

let gw: ConsoleGateway;
let archived: string;
let recent: string;

before(async () => {
  gw = await startConsoleGateway(async (home) => {
    archived = await home.record({ steps });
    // What the daemon's sweep does once the recording is 8 days old.
    const hot = new LocalStore(home.dataDir);
    const archive = new LocalStore(join(home.dir, 'archive'));
    try {
      const journal = new GatewayLog(s, hot, await ensureSigningKey(s, home.signingKey, silentLogger()));
      const moved = await sweepRetention({ hot, archive: { store: archive, name: 'local archive' } }, journal, { days: 30, archiveAfterDays: 7 }, silentLogger(), Date.now() + 8 * DAY);
      assert.deepEqual(moved.archived, [archived]);
    } finally {
      await hot.close();
      await archive.close();
    }
    recent = await home.record({ steps });
  }, 'retention: { days: 30, archiveAfterDays: 7, archive: { kind: local, dir: ./archive } }');
});
after(() => gw?.stop());

test('the console lists an archived recording with the recent one and serves it from the archive', async () => {
  const c = new ConsoleClient(gw.base);
  assert.equal(await c.signIn(ACCOUNTS.officer), 200);
  const list = await c.request('GET', '/api/recordings');
  assert.equal(list.status, 200);
  assert.deepEqual((list.json.recordings as { id: string }[]).map((r) => r.id).sort(), [archived, recent].sort());

  const one = await c.request('GET', `/api/recordings/${archived}`);
  assert.equal(one.status, 200);
  const manifest = one.json.manifest as Manifest;
  assert.equal(one.json.sealedToYou, true);
  assert.ok((one.json.checkpoints as unknown[]).length > 0);
  const tty = manifest.streams.find((st) => st.name === 'tty')!;
  const chunk = await c.request('GET', `/api/recordings/${archived}/streams/${tty.id}/chunks/0`);
  assert.equal(chunk.status, 200);
  const officer = decryptKeyFile(s, await readFile(gw.home.key('officer'), 'utf8'), PASSPHRASE, gw.home.key('officer'));
  const text = Buffer.from(RecordOpener.open(s, manifest, officer).openChunk(tty.id, 0, chunk.bytes).plaintext).toString();
  assert.match(text, new RegExp(MARKER));
  assert.doesNotMatch(gw.daemon.log(), /retention sweep failed|cannot move/);
});
