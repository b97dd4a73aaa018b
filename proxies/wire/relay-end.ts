/**
 * The rare turns of a database relay (relay.ts), apart from its path for
 * bytes: the messages the gateway writes to the client itself, refused
 * client commands, and the session's end. DatabaseRelay extends this class
 * and gives it what it needs of the observation (the abstract members);
 * nothing here runs for a chunk relayed in the ordinary way.
 *
 * The gateway's own messages wait in a queue here until the server stream is
 * between two messages (relay.ts forwards it up to there), and each is built
 * as it is written. A refused client command is answered once what was
 * forwarded before it was observed, or ends the session when no answer fits
 * in the stream.
 *
 * Invariants:
 * - the session ends once (a limit, an operator, a malformed client message,
 *   a fault, or a socket's close); from then on nothing more is forwarded;
 * - an end found while chunks are observed comes once the rest of them are:
 *   what was forwarded after the offending chunk is in the recording;
 * - the ending error reaches the client between two server messages, and the
 *   target is told goodbye only when its stream is between client messages;
 * - both sockets are closed within CLOSE_GRACE_MS; 'closed' is emitted once,
 *   when both sides are done.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ProtocolError } from '../../src/errors.js';
import type { EndReason, Session } from '../../src/session/session.js';
import type { Framer, Observer, Refused, RelayProtocol } from './relay-protocol.js';

export type Side = Socket | TLSSocket;

export const CLOSE_GRACE_MS = 2000;

export abstract class RelayEnd<Sink> extends EventEmitter {
  /** Messages of the gateway's own for the client, written at the next server message boundary. */
  protected readonly injections: (Buffer | (() => Buffer))[] = [];
  /** The session's end, when it came while chunks were observed: after the rest of them are. */
  protected endAfterObserving: (() => void) | undefined;
  /** Set once the session is over: nothing more is forwarded. */
  protected ending: { reason: EndReason } | undefined;
  protected done = false;
  private closedSides = 0;

  protected abstract readonly observer: Observer<Sink>;
  protected abstract readonly clientFramer: Framer<Sink>;
  /** True while the relay shows the observer its queue of forwarded chunks. */
  protected abstract observing: boolean;

  constructor(
    protected readonly client: Side,
    protected readonly server: Side,
    protected readonly session: Session,
    protected readonly protocol: RelayProtocol<Sink>,
  ) {
    super();
  }

  /** Shows the observer every chunk forwarded since it last looked; never throws. */
  abstract observePending(): void;
  /** The client's stream is between two server messages, with nothing forwarded left unobserved. */
  protected abstract atServerBoundary(): boolean;
  /** Writes the transcript text collected while a chunk was observed. */
  protected abstract flushTranscript(): void;

  /** A client message the gateway held back: the person is told why, and it is recorded. */
  protected refuse(refused: Refused): void {
    if (this.ending) return;
    this.session.log.warn({ command: refused.command }, 'client command refused');
    this.session.event({ type: 'command-refused', command: refused.command, message: refused.message });
    const answer = refused.answer();
    if (!answer) return this.finish('error', refused.message);
    this.observer.note(refused.message);
    this.client.write(answer);
  }

  /** Queues a message of the gateway's own for the client, written at the next server message boundary. */
  protected inject(message: Buffer | (() => Buffer)): void {
    if (this.done) return;
    this.observePending();
    this.injections.push(message);
    if (this.atServerBoundary()) this.flushInjections();
  }

  protected flushInjections(): void {
    this.flushTranscript();
    const messages = this.injections.splice(0).map((m) => (typeof m === 'function' ? m() : m));
    if (messages.length > 0 && !this.client.destroyed) this.client.write(Buffer.concat(messages));
    if (this.ending) this.closeSockets();
  }

  /** A limit or an operator ends the session: the message as a FATAL error, then both sides close. */
  protected disconnect(reason: EndReason, message: string): void {
    this.finish(reason, message);
  }

  protected malformed(err: ProtocolError): void {
    this.session.log.warn({ err }, 'malformed client message; connection closed');
    this.session.event({ type: 'protocol-error', side: 'client', message: err.message });
    this.finish('error', `recgate: invalid message from the client: ${err.message}`, 'malformed');
  }

  protected finish(reason: EndReason, message: string, kind: 'ended' | 'malformed' = 'ended'): void {
    if (this.ending) return;
    this.observePending();
    if (this.ending) return;
    // Nothing more is forwarded from here on.
    this.ending = { reason };
    // Found while observing: what was forwarded after the offending chunk reached the other side
    // and goes into the recording before the session ends.
    if (this.observing) this.endAfterObserving = () => this.end(reason, message, kind);
    else this.end(reason, message, kind);
  }

  /** Ends the session: the message in the transcript and, as the protocol's error, to the client; then both sides close. */
  private end(reason: EndReason, message: string, kind: 'ended' | 'malformed'): void {
    this.endObserver(message);
    this.flushTranscript();
    this.injections.push(() => this.protocol.fatal(message, kind));
    void this.session.end(reason, { message });
    if (this.atServerBoundary()) this.flushInjections();
    // The target is read on, whatever the flow, to the end of its message: the error goes in there.
    else if (this.server.isPaused()) this.server.resume();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }

  /**
   * The observer records what it still holds, and the note if any. An observer that fails
   * here loses only that: the session ends all the same, and no other session with it.
   */
  private endObserver(note?: string): void {
    try {
      this.observer.end?.();
      if (note !== undefined) this.observer.note(note);
    } catch (err) {
      this.session.log.error({ err }, 'the observer failed as the session ended');
    }
  }

  /** The client leaves; the target gets Terminate when its stream is between messages. */
  private closeSockets(): void {
    if (this.clientFramer.idle && !this.server.destroyed) this.server.end(this.protocol.goodbye());
    else this.server.destroy();
    this.client.end();
    this.done = true;
  }

  protected sideClosed(closed: EndReason): void {
    // What was forwarded is observed before the session ends (the client's goodbye among it).
    this.observePending();
    if (++this.closedSides === 2) this.emit('closed');
    const reason = closed === 'target-closed' && this.observer.clientLeft ? 'closed' : closed;
    if (!this.ending) {
      this.ending = { reason };
      this.endObserver();
      this.flushTranscript();
      void this.session.end(reason);
    }
    if (this.done) return;
    // What was already forwarded still reaches the other side; then it closes too.
    this.done = true;
    this.client.end();
    this.server.end();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }

  private destroy(): void {
    this.done = true;
    this.client.destroy();
    this.server.destroy();
  }
}
