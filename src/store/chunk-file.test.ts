import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRecords, recordHeader, scanRecords } from './chunk-file.js';

/** Records of these sizes, back to back, as a writer leaves them; `torn` bytes of a cut record after them. */
async function chunkFile(dir: string, sizes: number[], torn = 0): Promise<{ path: string; records: Buffer[] }> {
  const records = sizes.map((n) => randomBytes(n));
  const parts = records.flatMap((r) => [Buffer.from(recordHeader(r.length)), r]);
  if (torn > 0) parts.push(Buffer.from(recordHeader(torn + 100)), randomBytes(torn));
  const path = join(dir, 'stream.chunks');
  await writeFile(path, Buffer.concat(parts));
  return { path, records };
}

async function readAll(path: string, from?: number, start?: { index: number; position: number }): Promise<{ index: number; data: Buffer }[]> {
  const out: { index: number; data: Buffer }[] = [];
  for await (const r of readRecords(path, from, start)) out.push({ index: r.index, data: Buffer.from(r.data) });
  return out;
}

test('records of every size come back whole, across read blocks, and a torn tail is left out', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-chunk-file-'));
  try {
    // Small records, records straddling the 1 MiB read block, one larger than a block, empty ones.
    const sizes = [10, 0, 700_000, 500_000, 3, 2_500_000, 1, 1_048_572, 1_048_576, 0, 64];
    const { path, records } = await chunkFile(dir, sizes, 37);
    const all = await readAll(path);
    assert.deepEqual(
      all.map((r) => r.index),
      sizes.map((_, i) => i),
    );
    all.forEach((r, i) => assert.ok(r.data.equals(records[i]!), `record ${i} (${sizes[i]} bytes) differs`));
    // What was handed out is never read into again, however far the reader went on.
    const kept: Uint8Array[] = [];
    for await (const r of readRecords(path)) kept.push(r.data);
    kept.forEach((data, i) => assert.ok(Buffer.from(data).equals(records[i]!), `record ${i} changed after it was handed out`));

    // From a later record, with and without a known start.
    const scan = await scanRecords(path);
    assert.equal(scan.offsets.length, sizes.length);
    assert.equal(scan.tornBytes, 4 + 37);
    for (const from of [1, 3, 5, 8, sizes.length - 1]) {
      for (const start of [undefined, { index: from, position: scan.offsets[from]! }, { index: 2, position: scan.offsets[2]! }]) {
        const tail = await readAll(path, from, start && start.index <= from ? start : undefined);
        assert.deepEqual(
          tail.map((r) => r.index),
          sizes.map((_, i) => i).slice(from),
        );
        tail.forEach((r) => assert.ok(r.data.equals(records[r.index]!)));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing chunk file has no records', async () => {
  assert.deepEqual(await readAll(join(tmpdir(), 'recgate-no-such-dir', 'x.chunks')), []);
});
