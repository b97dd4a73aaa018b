/**
 * `recordings verify` against a storage operator's tampering, and a writer
 * killed mid-session.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GatewayHome } from '../fixtures/gateway-env.js';
import type { Step } from '../fixtures/record-session.js';
import { readZip } from '../fixtures/zip.js';

let base: GatewayHome;
let first: string;
let second: string;
const copies: string[] = [];

const session = (label: string): Step[] => [
  { op: 'terminal', cols: 80, rows: 24 },
  // 864 KB: five tty chunks (64, 128, 256, 256 KiB and the rest: a busy stream's chunks grow).
  { op: 'repeat', times: 12, steps: [{ op: 'output', text: `${label} `.repeat(12_000) }] },
];

before(async () => {
  base = await GatewayHome.create();
  first = await base.record({ steps: session('first') });
  second = await base.record({ steps: session('second') });
});
after(async () => {
  await base.remove();
  await Promise.all(copies.map((d) => rm(d, { recursive: true, force: true })));
});

/** A copy of the gateway home to damage. */
async function copyHome(): Promise<{ dir: string; verify: (id?: string) => ReturnType<GatewayHome['cli']> }> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-tamper-'));
  copies.push(dir);
  await cp(base.dir, dir, { recursive: true });
  const config = join(dir, 'recgate.yaml');
  return { dir, verify: (id) => base.cli(['recordings', 'verify', ...(id ? [id] : ['--all']), '--config', config]) };
}

interface Records {
  path: string;
  records: Buffer[];
}

async function ttyRecords(dir: string, id: string): Promise<Records> {
  const manifest = JSON.parse(await readFile(join(dir, 'data', 'recordings', id, 'manifest.json'), 'utf8')) as {
    streams: { id: number; name: string }[];
  };
  const tty = manifest.streams.find((s) => s.name === 'tty')!;
  const path = join(dir, 'data', 'recordings', id, `${tty.id}.chunks`);
  const bytes = await readFile(path);
  const records: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = bytes.readUInt32BE(at);
    records.push(bytes.subarray(at, at + 4 + len));
    at += 4 + len;
  }
  return { path, records };
}

test('an untouched store verifies', async () => {
  const { verify } = await copyHome();
  const r = await verify();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`recording ${first}: ok`));
  assert.match(r.stdout, new RegExp(`recording ${second}: ok`));
});

test('flipping one byte of a chunk is detected and named', async () => {
  const { dir, verify } = await copyHome();
  const { path, records } = await ttyRecords(dir, first);
  assert.ok(records.length >= 4, `${records.length} tty chunks`);
  records[2]![100]! ^= 0x01;
  await writeFile(path, Buffer.concat(records));
  const r = await verify(first);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, new RegExp(`${first}.*stream tty.*chunk 2`));
});

test('dropping a chunk is detected and named', async () => {
  const { dir, verify } = await copyHome();
  const { path, records } = await ttyRecords(dir, first);
  records.splice(1, 1);
  await writeFile(path, Buffer.concat(records));
  const r = await verify(first);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, new RegExp(`${first}.*stream tty.*chunk 1`));
});

test('reordering two chunks is detected and named', async () => {
  const { dir, verify } = await copyHome();
  const { path, records } = await ttyRecords(dir, first);
  [records[1], records[2]] = [records[2]!, records[1]!];
  await writeFile(path, Buffer.concat(records));
  const r = await verify(first);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, new RegExp(`${first}.*stream tty.*chunk 1`));
});

test('truncating a stream is detected and names the first missing chunk', async () => {
  const { dir, verify } = await copyHome();
  const { path, records } = await ttyRecords(dir, first);
  const kept = records.length - 2;
  await writeFile(path, Buffer.concat(records.slice(0, kept)));
  const r = await verify(first);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, new RegExp(`${first}.*stream tty.*chunk ${kept}`));
});

test("swapping two recordings' manifests is detected for both", async () => {
  const { dir, verify } = await copyHome();
  const a = join(dir, 'data', 'recordings', first, 'manifest.json');
  const b = join(dir, 'data', 'recordings', second, 'manifest.json');
  await rename(a, `${a}.x`);
  await rename(b, a);
  await rename(`${a}.x`, b);
  const r = await verify();
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, new RegExp(`error: recording ${first}: manifest names recording ${second}`));
  assert.match(r.stdout, new RegExp(`error: recording ${second}: manifest names recording ${first}`));
  const e = await base.cli(['recordings', 'export', first, '--key', base.key('officer'), '--out', join(dir, 'x.zip'), '--config', join(dir, 'recgate.yaml')]);
  assert.notEqual(e.code, 0, 'a swapped manifest must not export the other recording under this id');
  assert.match(e.stderr, /manifest names recording/);
});

test('an index row altered to show another user is detected', async () => {
  const { dir, verify } = await copyHome();
  const { default: Database } = await import('libsql');
  const db = new Database(join(dir, 'data', 'index.db'));
  db.prepare('UPDATE recordings SET user = ? WHERE id = ?').run('mallory', first);
  db.close();
  const r = await verify(first);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, new RegExp(`error: recording ${first}: the index says user "mallory", the signed metadata "alice"`));
});

test('a writer killed mid-session leaves a recording that verifies to its last checkpoint and exports all but the last second', async () => {
  const home = await GatewayHome.create('recording: { flushInterval: 1s, checkpointInterval: 1s }');
  try {
    const lines = 80;
    const s = home.startSession({
      steps: [
        { op: 'terminal', cols: 80, rows: 24 },
        ...Array.from({ length: lines }, (_, i): Step[] => [
          { op: 'output', text: `line ${i}\r\n` },
          { op: 'sleep', ms: 50 },
        ]).flat(),
      ],
    });
    const id = await s.id;
    // Each line is two steps after the terminal step: wait for about 60 lines.
    while (s.lines.filter((l) => l.startsWith('step')).length < 1 + 2 * 60) await new Promise((r) => setTimeout(r, 20));
    const written = (s.lines.filter((l) => l.startsWith('step')).length - 1) >> 1;
    s.child.kill('SIGKILL');
    await s.done;

    const v = await home.cli(['recordings', 'verify', id]);
    assert.equal(v.code, 0, v.stdout + v.stderr);

    const out = join(home.dir, 'killed.zip');
    const e = await home.cli(['recordings', 'export', id, '--key', home.key('officer'), '--out', out]);
    assert.equal(e.code, 0, e.stderr);
    const tys = (await readZip(out)).get(`${id}.tys`)!.toString('utf8');
    // Lines written more than a second (20 lines at 50 ms) before the kill are all there.
    for (let i = 0; i < written - 22; i++) assert.ok(tys.includes(`line ${i}\r\n`), `line ${i} of ${written}`);

    // The next gateway start marks it interrupted.
    const listBefore = JSON.parse((await home.cli(['recordings', 'list', '--json'])).stdout) as { status: string }[];
    assert.equal(listBefore[0]!.status, 'recording');
    await home.startAndStopDaemon();
    const listAfter = JSON.parse((await home.cli(['recordings', 'list', '--json'])).stdout) as { status: string; endedAt: string }[];
    assert.equal(listAfter[0]!.status, 'interrupted');
    assert.ok(listAfter[0]!.endedAt);
    const again = await home.cli(['recordings', 'verify', id]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
  } finally {
    await home.remove();
  }
});
