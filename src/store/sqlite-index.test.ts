import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteIndex } from './sqlite-index.js';

const LIBSQL = createRequire(import.meta.url).resolve('libsql');

test('opens a new index while another process holds its write lock, once that process is done', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-index-'));
  try {
    const path = join(dir, 'index.db');
    // Another process creating the same new index: it holds the write lock for 300 ms. SQLite
    // refuses the switch to WAL at once while it does, whatever the busy timeout.
    const holder = spawn(
      process.execPath,
      ['-e', `const D = require(${JSON.stringify(LIBSQL)}); const d = new D(${JSON.stringify(path)}); d.exec('CREATE TABLE IF NOT EXISTS t (x)'); d.exec('BEGIN IMMEDIATE'); d.exec('INSERT INTO t VALUES (1)'); console.log('held'); setTimeout(() => { d.exec('COMMIT'); d.close(); }, 300);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(holder, 'exit');
    await once(holder.stdout!, 'data');
    const started = Date.now();
    const index = new SqliteIndex(path);
    assert.ok(Date.now() - started >= 100, 'the open waited for the other process');
    index.insert({ id: 'r1', user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1', startedAt: '2026-12-07T12:00:00.000Z', recipients: ['officer'], owner: 'node-a' });
    assert.equal(index.list({}).length, 1);
    index.close();
    const [code] = await exited;
    assert.equal(code, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
