/**
 * Checkpoint syncs: syncfs(2) on real files in a temporary directory, counted
 * by a wrapper around the real call; its failure (EIO), which a disk gives
 * rarely, injected by the wrapper.
 */
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { syncFileSystem } from './page-cache.js';
import { FileSystemSyncs, openFileSyncs, ownFileSystem, syncfsReportsErrors, wholeFileSystemAt } from './sync-group.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-sync-'));
  dirs.push(dir);
  return dir;
}

// The addon is built by scripts/build.mjs; in CI a missing build is a failure, not a skip.
const native = { skip: syncFileSystem === undefined && process.env['CI'] !== 'true' ? 'dist/native/page-cache.node is not built (no C compiler?)' : false };

/** The real syncfs, counted; `fail` makes the next calls fail as a disk's write-back error would. */
function countedSyncfs(): { calls: number; inFlight: boolean; fail: number; syncfs: (fd: number) => Promise<void> } {
  const counter = {
    calls: 0,
    inFlight: false,
    fail: 0,
    syncfs: async (fd: number): Promise<void> => {
      counter.calls++;
      counter.inFlight = true;
      try {
        await syncFileSystem!(fd);
      } finally {
        counter.inFlight = false;
      }
      if (counter.fail > 0) {
        counter.fail--;
        throw Object.assign(new Error('EIO: i/o error, syncfs'), { code: 'EIO', errno: -5 });
      }
    },
  };
  return counter;
}

async function files(dir: string, n: number): Promise<FileHandle[]> {
  return Promise.all(Array.from({ length: n }, async (_, i) => {
    const fh = await open(join(dir, `f${i}`), 'a');
    await fh.write(`data ${i}\n`);
    return fh;
  }));
}

test('the syncs asked in one turn share one syncfs, and those asked while it runs share the next', native, async () => {
  const dir = await tempDir();
  const handles = await files(dir, 8);
  const counted = countedSyncfs();
  const syncs = new FileSystemSyncs(dir, counted.syncfs, () => assert.fail('no syncfs fails here'));
  try {
    const first = handles.slice(0, 6).map((fh) => syncs.sync([fh]));
    await new Promise((r) => setImmediate(r));
    assert.equal(counted.calls, 1);
    assert.ok(counted.inFlight, 'the first syncfs runs');
    // Asked while it runs: written before the call, so the syncfs under way may not count for them.
    let laterDone = false;
    const later = [syncs.sync([handles[6]!]), syncs.sync([handles[7]!])];
    void Promise.all(later).then(() => (laterDone = true));
    await Promise.all(first);
    assert.equal(laterDone, false, 'not resolved by the syncfs that began before them');
    await Promise.all(later);
    assert.equal(counted.calls, 2);
    assert.equal(syncs.mode, 'filesystem');
    await syncs.sync([]);
    assert.equal(counted.calls, 2, 'nothing to sync asks for nothing');
  } finally {
    syncs.close();
    await Promise.all(handles.map((fh) => fh.close()));
  }
});

test('a failed syncfs syncs each file of its batch on its own, and every later sync goes file by file', native, async () => {
  const dir = await tempDir();
  const handles = await files(dir, 3);
  const counted = countedSyncfs();
  counted.fail = 1;
  const failures: Error[] = [];
  const syncs = new FileSystemSyncs(dir, counted.syncfs, (err) => failures.push(err));
  try {
    // A closed file's own fdatasync fails: its caller alone is told.
    const closed = await open(join(dir, 'closed'), 'a');
    await closed.close();
    const outcomes = await Promise.allSettled([syncs.sync([handles[0]!]), syncs.sync([closed]), syncs.sync([handles[1]!])]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /EIO/);
    assert.equal(syncs.mode, 'file');
    await syncs.sync([handles[2]!]);
    assert.equal(counted.calls, 1, 'no syncfs after the failure');
  } finally {
    syncs.close();
    await Promise.all(handles.map((fh) => fh.close()));
  }
});

/** Descriptors of this process open on `dir`. */
function openOn(dir: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === dir;
    } catch {
      return false;
    }
  }).length;
}

test('closing while a syncfs runs lets it finish for its callers, then syncs go file by file and the directory is let go', native, async () => {
  const dir = await tempDir();
  const handles = await files(dir, 2);
  const counted = countedSyncfs();
  const syncs = new FileSystemSyncs(dir, counted.syncfs, () => assert.fail('closing is not a failure'));
  try {
    const first = syncs.sync([handles[0]!]);
    await new Promise((r) => setImmediate(r));
    assert.ok(counted.inFlight);
    assert.equal(openOn(dir), 1, 'the directory is open for syncfs');
    syncs.close();
    await Promise.all([first, syncs.sync([handles[1]!])]);
    assert.equal(counted.calls, 1);
    assert.equal(openOn(dir), 0);
  } finally {
    await Promise.all(handles.map((fh) => fh.close()));
  }
});

test('syncfs is trusted from Linux 5.8, which reports write-back errors through it', () => {
  assert.equal(syncfsReportsErrors('4.19.0-25-amd64'), false);
  assert.equal(syncfsReportsErrors('5.7.19'), false);
  assert.equal(syncfsReportsErrors('5.8.0'), true);
  assert.equal(syncfsReportsErrors('6.1.0-13-amd64'), true);
  assert.equal(syncfsReportsErrors('not a version'), false);
});

test('a data directory is a filesystem of its own where a whole one is mounted there, not a folder bound there', () => {
  const mountinfo = [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '27 1 253:1 / / rw,relatime - ext4 /dev/vda rw',
    '40 27 253:16 / /var/lib/recgate rw,relatime - xfs /dev/vdb rw',
    '41 27 253:1 /var/lib/docker/volumes/data/_data /app/data rw,relatime - ext4 /dev/vda rw',
    '42 27 253:17 / /srv/rec\\040gate rw,relatime - ext4 /dev/vdc rw',
    // Mounted over: the last mount at a path is the one seen there.
    '43 27 0:50 / /mnt/over rw - tmpfs tmpfs rw',
    '44 43 253:1 /home/x /mnt/over rw - ext4 /dev/vda rw',
  ].join('\n');
  assert.equal(wholeFileSystemAt(mountinfo, '/var/lib/recgate'), true);
  assert.equal(wholeFileSystemAt(mountinfo, '/srv/rec gate'), true, 'an escaped space');
  assert.equal(wholeFileSystemAt(mountinfo, '/app/data'), false, "a container volume: a folder of the host's filesystem");
  assert.equal(wholeFileSystemAt(mountinfo, '/var/lib'), false, 'not a mount point');
  assert.equal(wholeFileSystemAt(mountinfo, '/mnt/over'), false);
  assert.equal(wholeFileSystemAt('', '/'), false);
});

test('auto syncs file by file unless the data directory is a filesystem of its own', native, async () => {
  const dir = await tempDir();
  assert.equal(ownFileSystem(dir), false);
  assert.equal(ownFileSystem('/proc'), true);
  assert.equal(openFileSyncs('auto', dir).mode, 'file');
  assert.equal(openFileSyncs('file', dir).mode, 'file');
  const syncs = openFileSyncs('filesystem', dir);
  assert.equal(syncs.mode, 'filesystem');
  syncs.close();
});
