/** The RecordingStore contract (store-contract.ts) run against the local store. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { LocalStore } from './local.js';
import { storeContract } from './store-contract.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

storeContract('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-store-'));
  dirs.push(dir);
  return { open: () => new LocalStore(dir) };
});

// Without the native addon, and with appends on libuv's pool (as after a write that stalled).
storeContract('local, every call on the pool', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-store-'));
  dirs.push(dir);
  return { open: () => new LocalStore(dir, { pageCache: null, directWrites: false }) };
});

// Checkpoints synced by syncfs, together when due together (sync-group.ts).
storeContract('local, synced by filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-store-'));
  dirs.push(dir);
  return { open: () => new LocalStore(dir, { sync: 'filesystem' }) };
});
