import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SpoolRecord } from './format.js';
import { SpoolDir } from './spool-dir.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function openSpool(): Promise<SpoolDir> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-spooldir-'));
  dirs.push(dir);
  return SpoolDir.open(dir, 64 * 1024 * 1024);
}

const append = (streamId: number, from: number): SpoolRecord => ({ kind: 'append', id: '01J0000000000000000000000A', streamId, from, chunks: [new Uint8Array([streamId, from])] });

test('an append made while a segment is being sealed goes to the next segment: a sealed segment never grows', async () => {
  const spool = await openSpool();
  const before = spool.append(append(1, 0));
  // The drainer seals while the recorder goes on writing: neither waits for the other.
  const sealing = spool.seal();
  const during = spool.append(append(2, 0));
  const [first, second] = await Promise.all([before, during, sealing]);
  assert.ok(first.segment < spool.currentSegment, 'what came before the seal is in the sealed segment');
  assert.equal(second.segment, spool.currentSegment, 'what came after it is in the open one');

  // What the drainer reads of the sealed segment is all it will ever hold; removing it loses nothing.
  const sealed = await spool.read(first.segment);
  assert.deepEqual(sealed.records.map((r) => r.record), [append(1, 0)]);
  await spool.remove(first.segment);
  assert.ok(!spool.empty, 'the append made during the seal still waits to be replayed');
  assert.deepEqual((await spool.read(second.segment)).records.map((r) => r.record), [append(2, 0)]);
  await spool.close();
});

test('many appends interleaved with seals: every record is in exactly one segment, in order', async () => {
  const spool = await openSpool();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    pending.push(spool.append(append(3, i)));
    if (i % 7 === 3) pending.push(spool.seal());
  }
  await Promise.all(pending);
  const seen: SpoolRecord[] = [];
  for (const segment of spool.segments()) seen.push(...(await spool.read(segment)).records.map((r) => r.record));
  assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => append(3, i)));
  await spool.close();
});
