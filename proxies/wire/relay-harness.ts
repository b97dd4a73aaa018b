/**
 * A DatabaseRelay driven without a network, for the relays' tests: two
 * stand-in sockets (stand-in-socket.ts) whose reads the test emits, a real
 * Session and Recorder sealing into a LocalStore in a temporary folder, and
 * the recording read back as an auditor would. Imported by tests only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
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
import { StandInSocket } from './stand-in-socket.js';

const sodium = defaultSodium();
const auditor = generateAuditorKey(sodium);
const signer = generateSigningKey(sodium);
const dirs: string[] = [];
const sessions: Session[] = [];
// A test may leave its session running: it is ended (its recording finished) before its folder goes.
after(async () => {
  await Promise.all(sessions.map((s) => s.end('closed')));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

export interface Harness {
  client: StandInSocket;
  server: StandInSocket;
  session: Session;
  /** The session's end, once it ended. */
  ended: Promise<SessionEnd>;
  store: LocalStore;
}

/** A recorded session of `protocol` whose relay `start` builds on the two stand-ins, and starts it. */
export async function relayed(
  protocol: 'postgres' | 'mysql',
  start: (client: StandInSocket, server: StandInSocket, session: Session) => { start(clientRest: Buffer, serverRest: Buffer): void },
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'recgate-relay-'));
  dirs.push(dir);
  const store = new LocalStore(dir);
  const recipients = [{ name: 'officer', publicKey: auditor.publicKey }];
  const target: TargetConfig = {
    ...databaseTarget(protocol, { port: 5432, user: 'app', password: 'pw' }),
    recording: { keystrokes: true, required: true },
    recipients: [{ name: 'officer', publicKey: auditor.publicKey, line: '' }],
  };
  const session = await Session.open(
    { log: silentLogger(), startRecording: (who) => Recorder.start({ store, sodium, signer, recipients, log: silentLogger() }, who) },
    { user: 'alice', clientAddress: '127.0.0.1' },
    target,
  );
  sessions.push(session);
  const ended = new Promise<SessionEnd>((resolve) => session.once('ended', resolve));
  const client = new StandInSocket(true);
  const server = new StandInSocket(true);
  start(client, server, session).start(Buffer.alloc(0), Buffer.alloc(0));
  return { client, server, session, ended, store };
}

/** The transcript and the events the session's recording holds. */
export async function recorded(h: Harness, end: SessionEnd): Promise<{ tty: string; events: RecordedEvent[] }> {
  const reader = await RecordingReader.open(h.store, sodium, (await h.store.get(end.recording!.id))!, auditor);
  let tty = '';
  const events: RecordedEvent[] = [];
  for await (const f of reader.frames('tty')) if (f.kind === FrameKind.Data) tty += Buffer.from(f.data).toString('utf8');
  for await (const f of reader.frames('events')) if (f.kind === FrameKind.Event) events.push(f.event);
  reader.close();
  await h.store.close();
  return { tty, events };
}
