/**
 * Appends from the event loop: written before the call returns while quick and small, on the
 * pool when large, and on the pool for a while after one stalled (a clock the test moves).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { DIRECT_MAX, DirectWrites, POOLED_FOR_MS, SLOW_WRITE_MS, stallWarning } from './direct-write.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function appendable(): Promise<{ path: string; fh: FileHandle }> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-direct-'));
  dirs.push(dir);
  const path = join(dir, 'f');
  return { path, fh: await open(path, 'a') };
}

/**
 * Appends `data` and reports whether it went directly: in the file when the call returned,
 * without the handle's own (pooled) writev.
 */
async function wasDirect(writes: DirectWrites, fh: FileHandle, path: string, data: Buffer[]): Promise<boolean> {
  const before = readFileSync(path).length;
  const total = data.reduce((n, b) => n + b.length, 0);
  let pooled = false;
  const spy = { fd: fh.fd, writev: (buffers: Buffer[]) => ((pooled = true), fh.writev(buffers)) } as unknown as FileHandle;
  const pending = writes.writev(spy, data, total);
  const inFile = readFileSync(path).length === before + total;
  assert.equal(await pending, total);
  assert.equal(readFileSync(path).length, before + total);
  assert.ok(pooled || inFile, 'a direct write is in the file when the call returns');
  return !pooled;
}

test('small appends are in the file when the call returns; large ones go to the pool; all land in order', async () => {
  const { path, fh } = await appendable();
  try {
    // A clock that stands still: no write counts as stalled, however loaded the machine.
    const writes = new DirectWrites(() => assert.fail('nothing is slow here'), true, () => 0);
    assert.equal(await wasDirect(writes, fh, path, [Buffer.from('head'), Buffer.from('er\n')]), true);
    assert.equal(await wasDirect(writes, fh, path, [Buffer.alloc(DIRECT_MAX + 1, 0x61)]), false);
    assert.equal(await wasDirect(writes, fh, path, [Buffer.from('tail\n')]), true);
    assert.equal(readFileSync(path, 'latin1'), `header\n${'a'.repeat(DIRECT_MAX + 1)}tail\n`);
    const pooled = new DirectWrites(() => undefined, false);
    assert.equal(await wasDirect(pooled, fh, path, [Buffer.from('x')]), false, 'disabled: every append on the pool');
  } finally {
    await fh.close();
  }
});

test('a write that stalled sends appends to the pool for a while, said once', async () => {
  const { path, fh } = await appendable();
  try {
    let clock = 0;
    let step = 0;
    const slow: number[] = [];
    // Each reading of the clock advances it by `step` ms: a write timed with step > SLOW_WRITE_MS stalled.
    const writes = new DirectWrites((ms) => slow.push(ms), true, () => (clock += step));
    assert.equal(await wasDirect(writes, fh, path, [Buffer.from('a')]), true);
    step = SLOW_WRITE_MS + 1;
    assert.equal(await wasDirect(writes, fh, path, [Buffer.from('b')]), true, 'the stalled write itself was direct');
    assert.deepEqual(slow, [SLOW_WRITE_MS + 1]);
    step = 0;
    assert.equal(await wasDirect(writes, fh, path, [Buffer.from('c')]), false);
    clock += POOLED_FOR_MS - 2 * (SLOW_WRITE_MS + 1);
    assert.equal(await wasDirect(writes, fh, path, [Buffer.from('d')]), false, 'still within the time on the pool');
    clock += 2 * (SLOW_WRITE_MS + 1);
    assert.equal(await wasDirect(writes, fh, path, [Buffer.from('e')]), true, 'direct again after it');
    assert.equal(slow.length, 1, 'the switch is said once');
    assert.equal(readFileSync(path, 'latin1'), 'abcde');
  } finally {
    await fh.close();
  }
});

test('a stall is a warning in the log, with how long the write took and how long appends stay pooled', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  stallWarning(log)(SLOW_WRITE_MS + 12.4);
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(entry['level'], 40, 'a warning');
  assert.equal(entry['ms'], SLOW_WRITE_MS + 12);
  assert.equal(entry['pooledForMs'], POOLED_FOR_MS);
  assert.match(String(entry['msg']), /recording write stalled.*thread pool/);
});
