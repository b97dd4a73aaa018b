/**
 * Auditor keys: rotation re-seals only the record keys, and libsodium's wasm
 * build alone (what a browser has) opens what the native gateway wrote.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FrameKind } from '../../src/recording/frames.js';
import { RecordingReader } from '../../src/recording/reader.js';
import { decryptKeyFile } from '../../src/seal/keys.js';
import { wasmSodium } from '../../src/seal/sodium-wasm.js';
import { LocalStore } from '../../src/store/local.js';
import { GatewayHome, PASSPHRASE } from '../fixtures/gateway-env.js';

let home: GatewayHome;
const ids: string[] = [];

before(async () => {
  home = await GatewayHome.create();
  for (const word of ['alpha', 'beta', 'gamma']) {
    ids.push(await home.record({ steps: [{ op: 'terminal', cols: 80, rows: 24 }, { op: 'output', text: `${word}\r\n` }] }));
  }
  for (const name of ['new-officer', 'outsider']) {
    const r = await home.cli(['keys', 'generate', '--out', home.key(name)]);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(() => home.remove());

async function chunkHashes(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of ids) {
    const dir = home.recordingDir(id);
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.chunks')).sort()) {
      out.set(`${id}/${name}`, createHash('sha256').update(await readFile(join(dir, name))).digest('hex'));
    }
  }
  return out;
}

const exportWith = (key: string, id: string): ReturnType<GatewayHome['cli']> =>
  home.cli(['recordings', 'export', id, '--key', home.key(key), '--out', join(home.dir, `${key}-${id}.zip`)]);

test('keys generate writes an encrypted private key and a one-line public key', async () => {
  const priv = await readFile(home.key('officer'), 'utf8');
  const pub = await readFile(`${home.key('officer')}.pub`, 'utf8');
  assert.match(pub, /^recgate-x25519 [A-Za-z0-9+/=]{44} officer\n$/);
  assert.ok(!priv.includes(PASSPHRASE));
  const again = await home.cli(['keys', 'generate', '--out', home.key('officer')]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /exists; not overwriting/);
});

test('keys rotate moves every recording to the new key without touching a chunk', async () => {
  const before = await chunkHashes();
  for (const id of ids) assert.equal((await exportWith('officer', id)).code, 0);
  assert.notEqual((await exportWith('new-officer', ids[0]!)).code, 0);

  const r = await home.cli(['keys', 'rotate', '--from', home.key('officer'), '--to', `${home.key('new-officer')}.pub`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rotated 3 recordings/);

  for (const id of ids) {
    assert.equal((await exportWith('new-officer', id)).code, 0, `new key opens ${id}`);
    const old = await exportWith('officer', id);
    assert.notEqual(old.code, 0, `rotated-out key must not open ${id}`);
    assert.match(old.stderr, /not a recipient/);
    const outsider = await exportWith('outsider', id);
    assert.notEqual(outsider.code, 0);
    assert.match(outsider.stderr, /not a recipient/);
    assert.equal((await exportWith('backup', id)).code, 0, 'the other recipient is untouched');
  }
  assert.deepEqual(await chunkHashes(), before);
  const verify = await home.cli(['recordings', 'verify', '--all']);
  assert.equal(verify.code, 0, verify.stdout);
});

test("libsodium's wasm build alone opens a recording the native gateway wrote", async () => {
  const s = await wasmSodium();
  const key = decryptKeyFile(s, await readFile(home.key('backup'), 'utf8'), PASSPHRASE, 'backup.key');
  const store = new LocalStore(home.dataDir);
  try {
    const summary = (await store.get(ids[1]!))!;
    const reader = await RecordingReader.open(store, s, summary, key);
    let text = '';
    for await (const f of reader.frames('tty')) if (f.kind === FrameKind.Data) text += Buffer.from(f.data).toString('utf8');
    const events: string[] = [];
    for await (const f of reader.frames('events')) if (f.kind === FrameKind.Event) events.push(f.event.type);
    reader.close();
    assert.equal(text, 'beta\r\n');
    assert.deepEqual(events, ['terminal', 'end']);
  } finally {
    await store.close();
  }
});
