import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { LimitsConfig, TargetConfig } from '../config/index.js';
import { silentLogger } from '../log.js';
import { FrameKind, type RecordedEvent } from '../recording/frames.js';
import { RecordingReader } from '../recording/reader.js';
import { Recorder } from '../recording/recorder.js';
import { generateAuditorKey } from '../seal/keys.js';
import type { Manifest } from '../seal/manifest.js';
import { generateSigningKey } from '../seal/signing.js';
import { defaultSodium } from '../seal/sodium.js';
import { isRecordingId } from '../store/ids.js';
import { LocalStore } from '../store/local.js';
import { describeDuration, warningLead } from './limits.js';
import { SessionRegistry } from './registry.js';
import { RECORDING_FAILED_MESSAGE, Session, type EndReason, type SessionGateway } from './session.js';

const s = defaultSodium();
const auditor = generateAuditorKey(s);
const signer = generateSigningKey(s);
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function target(options: { limits?: Partial<LimitsConfig>; required?: boolean; name?: string } = {}): TargetConfig {
  return {
    name: options.name ?? 'web01',
    protocol: 'ssh',
    host: '127.0.0.1',
    port: 22,
    login: { user: 'root', password: null, privateKey: null, passphrase: null },
    recording: { keystrokes: true, required: options.required ?? false },
    limits: { idleTimeout: null, maxDuration: null, ...options.limits },
    recipients: [{ name: 'officer', publicKey: auditor.publicKey, line: '' }],
    options: { hostKey: null, portForwarding: false },
  };
}

async function storeOf<T extends LocalStore>(make: (dir: string) => T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-session-'));
  dirs.push(dir);
  return make(dir);
}

function gatewayFor(store: LocalStore): SessionGateway {
  return {
    log: silentLogger(),
    startRecording: (who, t) =>
      Recorder.start({ store, sodium: s, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger() }, who, {
        flushInterval: 20,
        chunkSize: 64 * 1024,
        checkpointInterval: 10_000,
        keystrokes: t?.keystrokes ?? true,
      }),
  };
}

interface Calls {
  notified: { message: string; at: number }[];
  disconnected: { reason: EndReason; message: string; at: number }[];
}

/** Hooks as a proxy attaches them; times are ms since `attach`. */
/** `at` is counted from `t0`: by default now; a bound on how long the session was idle counts from before it opened (`openedAt`). */
function attachHooks(session: Session, t0 = performance.now()): Calls {
  const calls: Calls = { notified: [], disconnected: [] };
  session.attach({
    notify: (message) => calls.notified.push({ message, at: performance.now() - t0 }),
    disconnect: (reason, message) => calls.disconnected.push({ reason, message, at: performance.now() - t0 }),
  });
  return calls;
}

async function open(options: Parameters<typeof target>[0] = {}, store?: LocalStore): Promise<{ store: LocalStore; session: Session; openedAt: number }> {
  store ??= await storeOf((dir) => new LocalStore(dir));
  const openedAt = performance.now();
  const session = await Session.open(gatewayFor(store), { user: 'alice', clientAddress: '192.0.2.7' }, target(options), { warnBefore: 100 });
  return { store, session, openedAt };
}

async function events(store: LocalStore, id: string): Promise<RecordedEvent[]> {
  const reader = await RecordingReader.open(store, s, (await store.get(id))!, auditor);
  const out: RecordedEvent[] = [];
  for await (const f of reader.frames('events')) if (f.kind === FrameKind.Event) out.push(f.event);
  reader.close();
  return out;
}

/** Waits for 'ended'; the session's timers are unref'd, so the test holds the process open as a client socket would. */
function ended(session: Session): Promise<unknown> {
  const alive = setInterval(() => {}, 1000);
  return new Promise((resolve) =>
    session.once('ended', (result) => {
      clearInterval(alive);
      resolve(result);
    }),
  );
}

test('the warning lead is a minute, or half a limit of two minutes or less', () => {
  assert.equal(warningLead(30 * 60_000, 60_000), 60_000);
  assert.equal(warningLead(2 * 60_000, 60_000), 60_000);
  assert.equal(warningLead(90_000, 60_000), 45_000);
  assert.equal(describeDuration(60_000), '1 minute');
  assert.equal(describeDuration(15 * 60_000), '15 minutes');
  assert.equal(describeDuration(90_000), '1 minute 30 seconds');
  assert.equal(describeDuration(2 * 3600_000), '2 hours');
  assert.equal(describeDuration(300), '1 second');
});

test('an idle session is warned, then disconnected at the idle timeout, and both are recorded', async () => {
  const { store, session, openedAt } = await open({ limits: { idleTimeout: 300 } });
  const calls = attachHooks(session, openedAt);
  const end = ended(session);
  await end;
  assert.equal(calls.notified.length, 1);
  assert.equal(calls.notified[0]!.message, 'recgate: this session will be closed in 1 second for inactivity');
  assert.deepEqual(calls.disconnected.map((d) => [d.reason, d.message]), [['idle-timeout', 'recgate: session closed after 1 second of inactivity']]);
  const [warned, closed] = [calls.notified[0]!.at, calls.disconnected[0]!.at];
  assert.ok(warned >= 190 && closed >= 290 && warned < closed, `warned at ${warned}, closed at ${closed}`);
  const recorded = await events(store, session.id);
  assert.deepEqual(recorded.map((e) => [e.type, e.reason]), [['warning', 'idle-timeout'], ['disconnect', 'idle-timeout'], ['end', 'idle-timeout']]);
  assert.equal((await store.get(session.id))!.endReason, 'idle-timeout');
  await store.close();
});

test('input from the person postpones the idle timeout, and a new idle period is warned again', async () => {
  const { store, session } = await open({ limits: { idleTimeout: 300 } });
  const calls = attachHooks(session);
  await sleep(250);
  session.input(Buffer.from('l'));
  await sleep(250);
  session.activity();
  assert.equal(calls.disconnected.length, 0);
  await ended(session);
  assert.equal(calls.notified.length, 3, 'one warning per idle period');
  assert.ok(calls.disconnected[0]!.at >= 790, `disconnected at ${calls.disconnected[0]!.at}`);
  await store.close();
});

test('a session waiting for the target is not idle; its idle period starts when the wait ends', async () => {
  const { store, session } = await open({ limits: { idleTimeout: 300 } });
  const t0 = performance.now();
  let busy = true;
  const calls: Calls = { notified: [], disconnected: [] };
  session.attach({
    notify: (message) => calls.notified.push({ message, at: performance.now() - t0 }),
    disconnect: (reason, message) => calls.disconnected.push({ reason, message, at: performance.now() - t0 }),
    busy: () => busy,
  });
  await sleep(800);
  assert.equal(calls.notified.length + calls.disconnected.length, 0, 'no warning and no disconnect while the target is answering');
  busy = false;
  await ended(session);
  assert.equal(calls.disconnected[0]?.reason, 'idle-timeout');
  assert.ok(calls.disconnected[0]!.at >= 800, `disconnected at ${calls.disconnected[0]!.at}`);
  await store.close();
});

test('the maximum duration ends a busy session, after a warning', async () => {
  const { store, session, openedAt } = await open({ limits: { maxDuration: 300, idleTimeout: 10_000 } });
  const calls = attachHooks(session, openedAt);
  const typing = setInterval(() => session.input(Buffer.from('x')), 20);
  await ended(session);
  clearInterval(typing);
  assert.deepEqual(calls.notified.map((n) => n.message), ['recgate: this session will be closed in 1 second: it reaches the maximum session length of 1 second']);
  assert.deepEqual(calls.disconnected.map((d) => d.reason), ['max-duration']);
  assert.match(calls.disconnected[0]!.message, /^recgate: session closed: it reached the maximum session length of 1 second$/);
  assert.ok(calls.disconnected[0]!.at >= 290);
  assert.equal((await store.get(session.id))!.endReason, 'max-duration');
  await store.close();
});

test('terminate records who ended the session and why, then disconnects the person with the message', async () => {
  const { store, session } = await open();
  const calls = attachHooks(session);
  session.output(Buffer.from('$ '));
  const result = await session.terminate('recgate: maintenance window');
  assert.deepEqual(calls.disconnected.map((d) => [d.reason, d.message]), [['terminated', 'recgate: maintenance window']]);
  assert.equal(result.reason, 'terminated');
  assert.equal(result.recording?.ok, true);
  const recorded = await events(store, session.id);
  assert.deepEqual(recorded.find((e) => e.type === 'terminate'), { type: 'terminate', message: 'recgate: maintenance window', by: 'operator' });
  assert.equal(recorded.at(-1)!.reason, 'terminated');
  // The proxy's own end when the client goes away does not overwrite the reason.
  assert.equal((await session.end('closed')).reason, 'terminated');
  assert.equal((await store.get(session.id))!.endReason, 'terminated');
  await store.close();
});

test('a message reaches the person through the proxy and is recorded with who sent it; after the end it is refused', async () => {
  const { store, session } = await open();
  const registry = new SessionRegistry();
  registry.add(session);
  const calls = attachHooks(session);
  assert.equal(registry.message(session.id, 'recgate: please save your work', 'otto'), true);
  assert.equal(registry.message('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'hello'), undefined);
  assert.deepEqual(calls.notified.map((n) => n.message), ['recgate: please save your work']);
  await session.end('closed');
  assert.equal(session.message('too late'), false);
  assert.deepEqual(calls.notified.map((n) => n.message), ['recgate: please save your work']);
  const recorded = await events(store, session.id);
  assert.deepEqual(recorded.find((e) => e.type === 'message'), { type: 'message', message: 'recgate: please save your work', by: 'otto' });
  await store.close();
});

test('nothing fires after the end, and writes after it are accepted as no-ops', async () => {
  const { store, session } = await open({ limits: { idleTimeout: 100, maxDuration: 150 } });
  const calls = attachHooks(session);
  await session.end('closed');
  await sleep(250);
  assert.deepEqual(calls, { notified: [], disconnected: [] });
  assert.equal(session.output(Buffer.from('late')), true);
  assert.equal(session.writable, true);
  await store.close();
});

test('a proxy that attaches after the session closed is disconnected at once with the reason', async () => {
  const { store, session } = await open();
  await session.close('gateway-shutdown', 'recgate: the gateway is shutting down');
  const calls = attachHooks(session);
  assert.deepEqual(calls.disconnected.map((d) => [d.reason, d.message]), [['gateway-shutdown', 'recgate: the gateway is shutting down']]);
  await store.close();
});

test('a keystroke recorded late keeps the time it was typed', async () => {
  const { store, session } = await open();
  const typed = session.now();
  await sleep(100);
  session.input(Buffer.from('a'), 0, typed);
  session.output(Buffer.from('a'));
  await session.end('closed');
  const reader = await RecordingReader.open(store, s, (await store.get(session.id))!, auditor);
  const times = { input: [] as number[], tty: [] as number[] };
  for (const name of ['input', 'tty'] as const) for await (const f of reader.frames(name)) if (f.kind === FrameKind.Data) times[name].push(f.t);
  reader.close();
  assert.deepEqual(times.input, [typed]);
  assert.ok(times.tty[0]! >= typed + 90);
  await store.close();
});

class UncreatableStore extends LocalStore {
  override async create(_manifest: Manifest): Promise<void> {
    throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
  }
}

class FullStore extends LocalStore {
  override async appendChunks(): Promise<void> {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }
}

test('a target that requires recording refuses the session when the recording cannot be created', async () => {
  const store = await storeOf((dir) => new UncreatableStore(dir));
  await assert.rejects(open({ required: true }, store), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'RG_ERR_RECORDING');
    assert.equal(err.message, 'recording is required for web01 and cannot be written; session refused');
    return true;
  });
  await store.close();
});

test('a target that does not require recording runs the session unrecorded when it cannot be created', async () => {
  const store = await storeOf((dir) => new UncreatableStore(dir));
  const { session } = await open({ required: false }, store);
  assert.equal(session.recorder, undefined);
  assert.equal(session.recording, false);
  assert.ok(isRecordingId(session.id));
  assert.equal(session.output(Buffer.from('hello')), true);
  assert.equal(session.input(Buffer.from('x')), true);
  const result = await session.end('closed');
  assert.equal(result.recording, undefined);
  await store.close();
});

test('a recording that fails during a session that requires it disconnects the person', async () => {
  const store = await storeOf((dir) => new FullStore(dir));
  const { session } = await open({ required: true }, store);
  const calls = attachHooks(session);
  session.output(Buffer.from('data that cannot be stored'));
  const result = (await ended(session)) as { reason: string; recording?: { ok: boolean } };
  assert.deepEqual(calls.disconnected.map((d) => [d.reason, d.message]), [['recording-failed', RECORDING_FAILED_MESSAGE]]);
  assert.equal(result.reason, 'recording-failed');
  assert.equal(result.recording?.ok, false);
  await store.close();
});

test('a recording that fails during a session that does not require it lets the session go on', async () => {
  const store = await storeOf((dir) => new FullStore(dir));
  const { session } = await open({ required: false }, store);
  const calls = attachHooks(session);
  session.output(Buffer.from('data that cannot be stored'));
  await sleep(100);
  assert.equal(session.recording, false);
  assert.equal(session.ended, false);
  assert.equal(session.output(Buffer.from('more')), true);
  assert.deepEqual(calls.disconnected, []);
  const result = await session.end('closed');
  assert.equal(result.recording?.ok, false);
  await store.close();
});

test('backpressure of the recording reaches the proxy through the session', async () => {
  class SlowStore extends LocalStore {
    override async appendChunks(id: string, streamId: number, from: number, chunks: Uint8Array[]): Promise<void> {
      await sleep(5);
      return super.appendChunks(id, streamId, from, chunks);
    }
  }
  const store = await storeOf((dir) => new SlowStore(dir));
  const { session } = await open({}, store);
  const piece = new Uint8Array(64 * 1024);
  let writes = 0;
  while (session.output(piece)) writes++;
  assert.ok(writes < 16, `${writes} writes before backpressure`);
  assert.equal(session.writable, false);
  await new Promise((r) => session.once('drain', r));
  assert.equal(session.writable, true);
  await session.end('closed');
  await store.close();
});

test('the registry lists live sessions, terminates one by id, and forgets ended ones', async () => {
  const store = await storeOf((dir) => new LocalStore(dir));
  const registry = new SessionRegistry();
  const { session: a } = await open({}, store);
  const { session: b } = await open({ name: 'db01' }, store);
  registry.add(a);
  registry.add(b);
  const callsA = attachHooks(a);
  const list = registry.list();
  assert.deepEqual(list.map((x) => x.id), [a.id, b.id]);
  assert.deepEqual({ ...list[1]!, idleMs: 0 }, {
    id: b.id,
    user: 'alice',
    target: 'db01',
    protocol: 'ssh',
    clientAddress: '192.0.2.7',
    startedAt: b.startedAt.toISOString(),
    recording: true,
    idleMs: 0,
  });
  assert.equal(registry.get(a.id), a);
  assert.equal(registry.terminate('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'bye'), undefined);
  await registry.terminate(a.id, 'recgate: bye')!;
  assert.deepEqual(callsA.disconnected.map((d) => d.reason), ['terminated']);
  assert.deepEqual(registry.list().map((x) => x.id), [b.id]);
  assert.equal(registry.get(a.id), undefined);
  await registry.endAll('gateway-shutdown', 'recgate: the gateway is shutting down');
  assert.equal(registry.size, 0);
  assert.equal((await store.get(b.id))!.endReason, 'gateway-shutdown');
  await store.close();
});
