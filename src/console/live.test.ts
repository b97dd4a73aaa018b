import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ConsoleAccount } from '../config/index.js';
import { silentLogger } from '../log.js';
import { Recorder } from '../recording/recorder.js';
import { generateAuditorKey } from '../seal/keys.js';
import { generateSigningKey } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { LocalStore } from '../store/local.js';
import { hasRight } from './access.js';
import { progress, waitForProgress, type Watchable } from './live-wait.js';

const s = defaultSodium();
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const account = (role: ConsoleAccount['role']): ConsoleAccount => ({ name: 'x', password: '', role, recipient: 'officer', users: ['*'], targets: [] });

test('only officers and admins watch, message and terminate live sessions; every role lists them', () => {
  for (const right of ['watch', 'message', 'terminate'] as const) {
    assert.equal(hasRight(account('auditor'), right), false, right);
    assert.equal(hasRight(account('officer'), right), true, right);
    assert.equal(hasRight(account('admin'), right), true, right);
  }
  for (const role of ['auditor', 'officer', 'admin'] as const) assert.equal(hasRight(account(role), 'list'), true);
});

/** A live session around a real recorder on a real store: what the console watches. */
async function watched(): Promise<{ session: Watchable & { ended: boolean }; recorder: Recorder; store: LocalStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-live-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  const recorder = await Recorder.start(
    { store, sodium: s, signer: generateSigningKey(s), recipients: [{ name: 'officer', publicKey: generateAuditorKey(s).publicKey }], log: silentLogger() },
    { user: 'alice', target: 'web01', protocol: 'ssh', clientAddress: '127.0.0.1' },
    { flushInterval: 50, chunkSize: 64 * 1024, checkpointInterval: 10_000, keystrokes: true },
  );
  const session = Object.assign(new EventEmitter(), { ended: false, recorder });
  return { session, recorder, store };
}

test('a long poll answers as soon as a chunk is stored, at once when the viewer is behind, and at the deadline otherwise', async () => {
  const { session, recorder, store } = await watched();
  recorder.terminal(0, { cols: 80, rows: 24 });
  await waitForProgress(session, 0, 5000);
  // The same flush stores the events and tty chunks one after the other: let both land.
  await new Promise((r) => setTimeout(r, 150));
  const first = progress(session);
  assert.ok(first.seq >= 1);
  // No keystroke yet, so no input stream yet.
  assert.deepEqual(first.streams.map((x) => x.name), ['events', 'tty']);

  let t = performance.now();
  await waitForProgress(session, 0, 5000);
  assert.ok(performance.now() - t < 50, 'behind: answered at once');

  t = performance.now();
  await waitForProgress(session, first.seq, 200);
  const waited = performance.now() - t;
  assert.ok(waited >= 190 && waited < 1000, `nothing new: answered at the deadline (${waited} ms)`);

  t = performance.now();
  setTimeout(() => recorder.output(Buffer.from('x')), 100);
  await waitForProgress(session, first.seq, 5000);
  const took = performance.now() - t;
  assert.ok(progress(session).seq > first.seq);
  assert.ok(took < 1000, `new output: answered after the flush (${took} ms)`);
  await recorder.end('closed');
  await store.close();
});

test('a long poll ends when the session ends or the viewer goes away', async () => {
  const { session, recorder, store } = await watched();
  const seq = progress(session).seq;
  let t = performance.now();
  setTimeout(() => {
    session.ended = true;
    session.emit('ended');
  }, 50);
  await waitForProgress(session, seq + 100, 5000);
  assert.ok(performance.now() - t < 1000);
  session.ended = false;
  const gone = new AbortController();
  setTimeout(() => gone.abort(), 50);
  t = performance.now();
  await waitForProgress(session, seq + 100, 5000, gone.signal);
  assert.ok(performance.now() - t < 1000);
  assert.equal(recorder.listenerCount('stored'), 0, 'no listener left behind');
  assert.equal(session.listenerCount('ended'), 0);
  await recorder.end('closed');
  await store.close();
});
