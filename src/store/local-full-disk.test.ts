/**
 * The local store on a disk that fills up (a small tmpfs mounted for the test; mounting needs
 * root, as CI has): the append that does not fit is refused with the disk's reason and cut
 * off the file, and every chunk acknowledged before it reads back whole, whether appends were
 * written from the event loop or on the pool.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalStore } from './local.js';
import { checkpoint, collect, manifest } from './store-contract.js';

const mounts: string[] = [];
after(async () => {
  for (const dir of mounts) {
    execFileSync('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});

async function smallDisk(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`mounting a tmpfs needs root: ${(err as Error).message}`);
  }
  mounts.push(dir);
  return dir;
}

for (const directWrites of [true, false]) {
  test(`a full disk refuses the append that does not fit and keeps every one acknowledged (${directWrites ? 'from the event loop' : 'on the pool'})`, async () => {
    const store = new LocalStore(await smallDisk(), { directWrites, pageCache: null });
    try {
      const m = manifest();
      await store.create(m);
      const acknowledged: Uint8Array[] = [];
      let refusal: Error | undefined;
      // Timed chunks' size, and a few larger ones: far more than 512 KiB in all.
      for (let i = 0; i < 2000 && !refusal; i++) {
        const chunk = randomBytes(i % 10 === 9 ? 9000 : 1400);
        try {
          await store.appendChunks(m.id, 1, acknowledged.length, [chunk]);
          acknowledged.push(chunk);
        } catch (err) {
          refusal = err as Error;
        }
        if (i % 50 === 49 && !refusal) await store.checkpoint(m.id, checkpoint(m.id, i));
      }
      assert.ok(refusal, 'the disk filled up');
      assert.match(refusal.message, new RegExp(`^cannot append to recording ${m.id} stream 1: ENOSPC: no space left on device`));
      assert.ok(acknowledged.length > 100, `${acknowledged.length} chunks were stored first`);
      const read = await collect(store.chunks(m.id, 1));
      assert.equal(read.length, acknowledged.length, 'every acknowledged chunk, and no part of the refused one, reads back');
      read.forEach((c, i) => assert.ok(Buffer.from(c.data).equals(acknowledged[i]!), `chunk ${i} reads back as written`));
      assert.equal(await store.tornBytes(m.id, 1), 0, 'the refused append was cut off the file');
    } finally {
      await store.close();
    }
  });
}
