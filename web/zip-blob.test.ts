import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { writeExportZip } from '../src/export/zip.js';
import { FrameKind, type Frame } from '../src/recording/frames.js';
import { memorySource } from '../test/fixtures/export/memory-source.js';
import { readZip } from '../test/fixtures/export/read-zip.js';
import { BlobSink, exportZip, zipBlob } from './zip-blob.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const out = (t: number, s: string): Frame => ({ kind: FrameKind.Data, t, data: enc(s) });

async function both(source: ReturnType<typeof memorySource>): Promise<{ page: Map<string, Buffer>; cli: Map<string, Buffer>; files: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-zip-blob-'));
  try {
    const made = await exportZip(source, 'rec-1');
    await writeFile(join(dir, 'page.zip'), new Uint8Array(await made.blob.arrayBuffer()));
    await writeExportZip(source, join(dir, 'cli.zip'), 'rec-1');
    const [page, cli] = await Promise.all([readZip(join(dir, 'page.zip')), readZip(join(dir, 'cli.zip'))]);
    return { page: page.files, cli: cli.files, files: made.files };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the page zip holds the same files, in the same order, as the CLI export of the same recording', async () => {
  const source = memorySource(
    {
      tty: [out(10, '$ '), out(1200, 'l'), out(1201, 's\r\n'), { kind: FrameKind.Resize, t: 1500, cols: 100, rows: 30 }, out(1600, 'café\r\n')],
      input: [out(1200, 'l'), out(1201, 's'), out(1202, '\r')],
      'tty-1': [out(5, 'second\r\n')],
      events: [{ kind: FrameKind.Event, t: 1202, event: { type: 'command', command: 'ls' } }],
    },
    [
      { channel: 0, ttyStream: 'tty', inputStream: 'input', term: 'xterm', cols: 80, rows: 24 },
      { channel: 1, ttyStream: 'tty-1', cols: 132, rows: 43 },
    ],
    'events',
  );
  const { page, cli, files } = await both(source);
  assert.deepEqual([...page.keys()], [...cli.keys()]);
  assert.deepEqual(files, [...cli.keys()]);
  assert.ok(files.includes('rec-1.timing') && files.includes('rec-1.events.jsonl'), files.join(', '));
  for (const [name, bytes] of cli) assert.ok(page.get(name)!.equals(bytes), name);
});

test('property: any terminal output gives the same files as the CLI export', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(5000), fc.string({ maxLength: 40 })), { maxLength: 20 }), async (writes) => {
      const tty = writes.sort((a, b) => a[0] - b[0]).map(([t, s]) => out(t, s));
      const source = memorySource({ tty, events: [] }, [{ channel: 0, ttyStream: 'tty', cols: 80, rows: 24 }], 'events');
      const { page, cli } = await both(source);
      assert.deepEqual([...page.keys()], [...cli.keys()]);
      for (const [name, bytes] of cli) assert.ok(page.get(name)!.equals(bytes), name);
    }),
    { numRuns: 15 },
  );
});

test('BlobSink keeps every byte in order across its gathering threshold', async () => {
  const sink = new BlobSink();
  const parts: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const piece = Buffer.alloc(7919, i & 0xff);
    parts.push(piece, Buffer.from(`line ${i}\n`));
    await sink.write(piece);
    await sink.write(`line ${i}\n`);
  }
  await sink.write('');
  await sink.close();
  assert.ok(Buffer.from(await sink.result().arrayBuffer()).equals(Buffer.concat(parts)));
});

test('zipBlob: empty entries and entries larger than one read slice come back whole', async () => {
  const big = new Uint8Array((1 << 20) * 2 + 123).map((_, i) => (i * 31) & 0xff);
  const blob = await zipBlob(
    [
      { name: 'empty.txt', blob: new Blob([]) },
      { name: 'big.bin', blob: new Blob([big]) },
    ],
    new Date('2024-05-01T10:00:00Z'),
  );
  const dir = await mkdtemp(join(tmpdir(), 'recgate-zip-blob-'));
  try {
    await writeFile(join(dir, 'x.zip'), new Uint8Array(await blob.arrayBuffer()));
    const { files } = await readZip(join(dir, 'x.zip'), 16 << 20);
    assert.deepEqual([...files.keys()], ['empty.txt', 'big.bin']);
    assert.equal(files.get('empty.txt')!.length, 0);
    assert.ok(files.get('big.bin')!.equals(big));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a base name that is not a recording id is refused before anything is written', async () => {
  const source = memorySource({ tty: [] }, [{ channel: 0, ttyStream: 'tty', cols: 80, rows: 24 }]);
  await assert.rejects(exportZip(source, '../evil'));
});
