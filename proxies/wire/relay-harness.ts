/**
 * A DatabaseRelay driven without a network, for the relays' tests: two
 * stand-in sockets (stand-in-socket.ts) whose reads the test emits, on a
 * recorded session (test/fixtures/recorded-session.ts). Imported by tests only.
 */
import type { RecorderOptions } from '../../src/recording/recorder.js';
import type { Session } from '../../src/session/session.js';
import { recordedSession, type RecordedSession } from '../../test/fixtures/recorded-session.js';
import { StandInSocket } from './stand-in-socket.js';

export { recorded } from '../../test/fixtures/recorded-session.js';

export interface Harness extends RecordedSession {
  client: StandInSocket;
  server: StandInSocket;
}

/** A recorded session of `protocol` (its recorder's `options` as given) whose relay `start` builds on the two stand-ins, and starts it. */
export async function relayed(
  protocol: 'postgres' | 'mysql',
  start: (client: StandInSocket, server: StandInSocket, session: Session) => { start(clientRest: Buffer, serverRest: Buffer): void },
  options: Partial<RecorderOptions> = {},
): Promise<Harness> {
  const recorded = await recordedSession(protocol, options);
  const client = new StandInSocket(true);
  const server = new StandInSocket(true);
  start(client, server, recorded.session).start(Buffer.alloc(0), Buffer.alloc(0));
  return { ...recorded, client, server };
}
