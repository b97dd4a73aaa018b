/**
 * The database relay's ordering rules, without sockets: two stand-in sockets
 * (stand-in-socket.ts) whose reads the test emits (several in one turn of the
 * event loop, as a busy socket gives them), the PostgreSQL protocol, and a real Session and
 * Recorder sealing into a LocalStore, read back as an auditor would.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TargetConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { FrameKind, type RecordedEvent } from '../../src/recording/frames.js';
import { RecordingReader } from '../../src/recording/reader.js';
import { Recorder } from '../../src/recording/recorder.js';
import { generateAuditorKey } from '../../src/seal/keys.js';
import { generateSigningKey } from '../../src/seal/signing.js';
import { defaultSodium } from '../../src/seal/sodium.js';
import { Session, type SessionEnd } from '../../src/session/session.js';
import { LocalStore } from '../../src/store/local.js';
import { databaseTarget } from '../../test/fixtures/target-config.js';
import { decodeErrorResponse } from '../postgres/protocol/backend.js';
import { postgresRelay } from '../postgres/relay.js';
import { StandInSocket } from './stand-in-socket.js';

const sodium = defaultSodium();
const auditor = generateAuditorKey(sodium);
const signer = generateSigningKey(sodium);
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const query = (sql: string): Buffer => message('Q', Buffer.from(`${sql}\0`));
/** A Query whose length field (3) is below the smallest a message can have (4). */
const MALFORMED = Buffer.from([0x51, 0, 0, 0, 3]);
/** A DataRow whose length field (2) is below 4: the target broke the protocol. */
const ROGUE_ANSWER = Buffer.from([0x44, 0, 0, 0, 2]);

interface Harness {
  client: StandInSocket;
  server: StandInSocket;
  ended: Promise<SessionEnd>;
  store: LocalStore;
}

async function relayed(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-relay-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  const recipients = [{ name: 'officer', publicKey: auditor.publicKey }];
  const target: TargetConfig = {
    ...databaseTarget('postgres', { port: 5432, user: 'app', password: 'pw' }),
    recording: { keystrokes: true, required: true },
    recipients: [{ name: 'officer', publicKey: auditor.publicKey, line: '' }],
  };
  const session = await Session.open(
    { log: silentLogger(), startRecording: (who) => Recorder.start({ store, sodium, signer, recipients, log: silentLogger() }, who) },
    { user: 'alice', clientAddress: '127.0.0.1' },
    target,
  );
  const ended = new Promise<SessionEnd>((resolve) => session.once('ended', resolve));
  const client = new StandInSocket(true);
  const server = new StandInSocket(true);
  postgresRelay(client.asSocket, server.asSocket, session, { database: 'app', maxRows: 100, parameters: new Map() }).start(Buffer.alloc(0), Buffer.alloc(0));
  return { client, server, ended, store };
}

async function recorded(h: Harness, end: SessionEnd): Promise<{ tty: string; events: RecordedEvent[] }> {
  const reader = await RecordingReader.open(h.store, sodium, (await h.store.get(end.recording!.id))!, auditor);
  let tty = '';
  const events: RecordedEvent[] = [];
  for await (const f of reader.frames('tty')) if (f.kind === FrameKind.Data) tty += Buffer.from(f.data).toString('utf8');
  for await (const f of reader.frames('events')) if (f.kind === FrameKind.Event) events.push(f.event);
  reader.close();
  await h.store.close();
  return { tty, events };
}

test('a read that arrives in the same turn as a malformed client message never reaches the target', async () => {
  const h = await relayed();
  h.client.emit('data', MALFORMED);
  h.client.emit('data', query('DROP TABLE accounts'));
  await nextTurn();
  // The malformed bytes went on before the gateway looked at them; nothing after them did.
  assert.deepEqual(h.server.received, MALFORMED);
  const end = await h.ended;
  assert.equal(end.reason, 'error');
  const fatal = decodeErrorResponse(h.client.received.subarray(5));
  assert.equal(fatal.severity, 'FATAL');
  assert.equal(fatal.code, '08P01');
  assert.match(fatal.message, /invalid message from the client/);
  const { tty, events } = await recorded(h, end);
  assert.ok(events.some((e) => e.type === 'protocol-error' && e.side === 'client'), JSON.stringify(events));
  assert.doesNotMatch(tty, /DROP TABLE/);
});

test('a read forwarded before its turn ends is recorded even when the target broke the protocol meanwhile', async () => {
  const h = await relayed();
  h.server.emit('data', ROGUE_ANSWER);
  h.client.emit('data', query('SELECT 2'));
  // Forwarded at once, before anything was observed.
  assert.deepEqual(h.server.received, query('SELECT 2'));
  const end = await h.ended;
  assert.equal(end.reason, 'error');
  const { tty, events } = await recorded(h, end);
  // What reached the target is in the recording, though the session ended while it was observed.
  assert.match(tty, /SELECT 2/);
  assert.ok(events.some((e) => e.type === 'end' && e.reason === 'error'), JSON.stringify(events));
});

test('what is forwarded is observed after the turn, each read at the time it arrived', async () => {
  const h = await relayed();
  h.client.emit('data', query('SELECT 1'));
  assert.deepEqual(h.server.received, query('SELECT 1'));
  // The turn goes on for 60 ms before the answer arrives; both are observed after it, and the
  // statement's duration is still from the question's arrival to the answer's.
  const busyUntil = performance.now() + 60;
  while (performance.now() < busyUntil);
  h.server.emit('data', Buffer.concat([message('C', Buffer.from('SELECT 0\0')), message('Z', Buffer.from('I'))]));
  await nextTurn();
  h.client.emit('data', message('X', Buffer.alloc(0)));
  h.client.emit('close');
  h.server.emit('close');
  const end = await h.ended;
  assert.equal(end.reason, 'closed');
  const { events } = await recorded(h, end);
  const q = events.find((e) => e.type === 'query');
  assert.ok(q, JSON.stringify(events));
  assert.equal(q.text, 'SELECT 1');
  assert.ok((q.durationMs as number) >= 55, `durationMs ${String(q.durationMs)} should span the 60 ms between question and answer`);
});
