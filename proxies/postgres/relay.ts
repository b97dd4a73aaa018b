/**
 * The PostgreSQL part of a relay (proxies/wire/relay.ts): a MessageFramer
 * per direction into the PgObserver, a limit's warning as a WARNING
 * NoticeResponse, the end of a session as a FATAL ErrorResponse (57P01, or
 * 08P01 for a malformed client message), and Terminate for the target.
 */
import type { Session } from '../../src/session/session.js';
import { DatabaseRelay, type RelayProtocol } from '../wire/relay.js';
import { PgObserver, type ObserverOptions } from './observer.js';
import { encodeErrorResponse, encodeNoticeResponse } from './protocol/backend.js';
import { MessageFramer, type FrameSink } from './protocol/framer.js';
import { encodeTerminate } from './protocol/frontend.js';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export function postgresRelay(client: Socket | TLSSocket, server: Socket | TLSSocket, session: Session, options: ObserverOptions): DatabaseRelay<FrameSink> {
  return new DatabaseRelay(client, server, session, postgresProtocol(options));
}

/** The PostgreSQL part of a relay, on its own. */
export function postgresProtocol(options: ObserverOptions): RelayProtocol<FrameSink> {
  return {
    clientFramer: new MessageFramer({ side: 'frontend' }),
    serverFramer: new MessageFramer({ side: 'backend' }),
    observer: (out) => new PgObserver(out, options),
    notice: (message) => encodeNoticeResponse({ severity: 'WARNING', code: '01000', message }),
    fatal: (message, kind) => encodeErrorResponse({ severity: 'FATAL', code: kind === 'malformed' ? '08P01' : '57P01', message }),
    goodbye: () => encodeTerminate(),
  };
}
