/**
 * Relays a logged-in database connection (PostgreSQL, MySQL): bytes go
 * both ways as they arrive, unchanged (forward first), and only then does
 * a framer per direction show them to the protocol's observer, which
 * writes the transcript and the query events (record second). The chunks
 * are observed once the event loop's turn has forwarded everything it read
 * (observe-later.ts), in the order they arrived, each with the time it
 * arrived; whatever needs the observer current observes them at once.
 *
 * Flow control: a side is read only while the other side's socket accepts
 * writes and the recording keeps up (`session.writable`); otherwise it is
 * paused until 'drain'. A plain TCP side is read into shared slabs rather
 * than through its Readable stream (slab-reads.ts).
 *
 * The gateway's own messages to the client (a limit's warning, the error
 * that ends a session) are put between two server messages, never inside
 * one: while the server stream is in the middle of a message, it is
 * forwarded up to that message's end first. The protocol builds them at
 * that moment (MySQL's carry the next sequence id).
 *
 * A protocol may screen the client's bytes before they are forwarded
 * (MySQL refuses COM_CHANGE_USER): a refused message never reaches the
 * target; the gateway answers it itself, or ends the session when an answer
 * could not be put in its place.
 *
 * Those messages of the gateway's own, the refusals and the session's end
 * are in relay-end.ts, which DatabaseRelay extends: this file is the path
 * every chunk takes.
 *
 * Invariants:
 * - a malformed client message ends this connection only, with the
 *   protocol's error and a log line; the target is told goodbye when its
 *   stream is between messages;
 * - after the session ends nothing more is forwarded, and both sockets are
 *   closed within CLOSE_GRACE_MS;
 * - 'closed' is emitted once, when both sides are done;
 * - the observer sees every forwarded chunk once, in the order the chunks
 *   arrived; an observer that fails ends its own connection, logged.
 */
import { ProtocolError } from '../../src/errors.js';
import type { Session } from '../../src/session/session.js';
import { observeLater, type Observable } from './observe-later.js';
import { RelayEnd, type Side } from './relay-end.js';
import type { ClientScreen, Framer, Observer, RelayProtocol, Screened } from './relay-protocol.js';
import { readIntoSlabs } from './slab-reads.js';

export type { ClientScreen, Framer, Observer, ObserverOutput, Refused, RelayProtocol, Screened } from './relay-protocol.js';

/** The transcript's terminal: wide enough for most result tables. */
export const TRANSCRIPT_TERMINAL = { term: 'xterm-256color', cols: 160, rows: 48 };

/** A chunk forwarded but not observed yet, and when it arrived (performance.now()). */
interface Unobserved {
  fromClient: boolean;
  bytes: Buffer;
  at: number;
}

export class DatabaseRelay<Sink> extends RelayEnd<Sink> implements Observable {
  protected override readonly observer: Observer<Sink>;
  protected override readonly clientFramer: Framer<Sink>;
  private readonly serverFramer: Framer<Sink>;
  private readonly screen: ClientScreen | undefined;
  /** Forwarded chunks the observer has not seen yet, in arrival order. */
  private unobserved: Unobserved[] = [];
  /** Of those, the client's. */
  private clientUnobserved = 0;
  protected override observing = false;
  /** Queued in observe-later's pass for this turn (that scheduler's flag). */
  awaitingObservation = false;
  private clientMalformed = false;
  /** Transcript text collected while a chunk is observed, written as one frame after it (see flushTranscript). */
  private transcript = '';
  private serverBlocked = false;
  private clientBlocked = false;
  /**
   * performance.now() when the chunk being relayed arrived, undefined between chunks: one
   * clock reading serves the activity, the observer's times, its events and its transcript
   * frame (a reading is a native call, and a statement took several).
   */
  private at: number | undefined;

  constructor(client: Side, server: Side, session: Session, protocol: RelayProtocol<Sink>) {
    super(client, server, session, protocol);
    this.clientFramer = protocol.clientFramer;
    this.serverFramer = protocol.serverFramer;
    session.terminal(0, TRANSCRIPT_TERMINAL);
    this.observer = protocol.observer({
      tty: (text) => {
        this.transcript += text;
      },
      table: (payload) => {
        this.flushTranscript();
        this.session.outputTable(payload, 0, this.at);
      },
      event: (e) => void session.event(e, this.at),
      query: (e) => void session.queryEvent(e, this.at),
      // Statements' durations: when the chunk being observed arrived, to the fraction of a millisecond.
      now: () => this.at ?? performance.now(),
    });
    this.screen = protocol.clientScreen?.();
    session.attach({
      notify: (message) => {
        this.observePending();
        const notice = protocol.notice(message);
        if (notice) this.inject(notice);
        else this.observer.note(message);
      },
      disconnect: (reason, message) => this.disconnect(reason, message),
      // A statement still running keeps the session from being idle, however long it takes.
      busy: () => {
        this.observePending();
        return !this.observer.idle;
      },
    });
    session.on('drain', () => this.flow());
  }

  start(clientRest: Buffer, serverRest: Buffer): void {
    this.client.on('drain', () => {
      this.clientBlocked = false;
      this.flow();
    });
    this.server.on('drain', () => {
      this.serverBlocked = false;
      this.flow();
    });
    this.client.on('error', (err) => this.session.log.debug({ err }, 'client connection error'));
    this.server.on('error', (err) => this.session.log.warn({ err }, 'target connection error'));
    this.client.on('close', () => this.sideClosed('closed'));
    this.server.on('close', () => this.sideClosed('target-closed'));
    if (serverRest.length > 0) this.fromServer(serverRest);
    if (clientRest.length > 0) this.fromClient(clientRest);
    // Plain TCP legs read into shared slabs (slab-reads.ts); TLS legs through 'data' events.
    if (!readIntoSlabs(this.client, (chunk) => this.fromClient(chunk))) this.client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    if (!readIntoSlabs(this.server, (chunk) => this.fromServer(chunk))) this.server.on('data', (chunk: Buffer) => this.fromServer(chunk));
    this.flow();
  }

  private fromClient(chunk: Buffer): void {
    if (this.ending) return;
    this.at = performance.now();
    try {
      this.relayClient(chunk);
    } finally {
      this.at = undefined;
    }
  }

  private relayClient(chunk: Buffer): void {
    // A client chunk goes on only once the client's earlier ones were observed, so that after a
    // malformed message nothing more reaches the target (two reads of one socket in one turn).
    if (this.clientUnobserved > 0) {
      this.observePending();
      if (this.ending) return;
    }
    this.session.activity(this.at);
    let screened: Screened | undefined;
    try {
      screened = this.screen?.screen(chunk);
    } catch (err) {
      // A fault in the screen must not let the bytes through, nor take other sessions down.
      this.session.log.error({ err }, "screening the client's bytes failed; closing the connection");
      return this.finish('error', 'recgate: internal error');
    }
    const forward = screened ? screened.forward : chunk;
    if (forward.length > 0) {
      if (!this.server.write(forward)) this.serverBlocked = true;
      this.observeSoon(true, forward);
    }
    if (screened && screened.refused.length > 0) {
      // A refused command's answer follows what was forwarded before it, as observed.
      this.observePending();
      for (const refused of screened.refused) this.refuse(refused);
    }
    this.flow();
  }

  private observeSoon(fromClient: boolean, bytes: Buffer): void {
    if (fromClient) this.clientUnobserved++;
    if (this.unobserved.push({ fromClient, bytes, at: this.at ?? performance.now() }) === 1) observeLater(this);
  }

  /**
   * Shows the observer every chunk forwarded since it last looked, in order, each at the time
   * it arrived. Called by the scheduler once the loop's turn is done, and at once wherever the
   * observer must be current. Never throws: a fault in an observer ends its session, logged.
   */
  override observePending(): void {
    if (this.observing || this.unobserved.length === 0) return;
    this.observing = true;
    const outer = this.at;
    try {
      for (let i = 0; i < this.unobserved.length; i++) {
        const chunk = this.unobserved[i]!;
        this.at = chunk.at;
        if (chunk.fromClient) this.observeClient(chunk.bytes);
        else this.observeServer(chunk.bytes);
      }
    } catch (err) {
      this.session.log.error({ err }, 'observing the connection failed; closing it');
      this.finish('error', 'recgate: internal error');
    } finally {
      // A fresh array rather than `length = 0`: setting an array's length is a call into V8's runtime.
      this.unobserved = [];
      this.clientUnobserved = 0;
      this.observing = false;
      this.at = outer;
    }
    const end = this.endAfterObserving;
    this.endAfterObserving = undefined;
    end?.();
    // What the gateway queued for the client while the chunks were observed goes in now, if it can.
    if (this.injections.length > 0 && this.atServerBoundary()) this.flushInjections();
    this.flow();
  }

  /**
   * The client's stream is between two server messages: everything forwarded to it has been
   * observed (never while a queue is observed part way) and ended on a message boundary.
   */
  protected override atServerBoundary(): boolean {
    return !this.observing && this.unobserved.length === 0 && this.serverFramer.idle;
  }

  private observeClient(bytes: Buffer): void {
    // Past a malformed message the client's stream has no framing left to follow.
    if (this.clientMalformed) return;
    try {
      this.clientFramer.push(bytes, this.observer.client);
    } catch (err) {
      this.flushTranscript();
      if (err instanceof ProtocolError) {
        this.clientMalformed = true;
        return this.malformed(err);
      }
      throw err;
    }
    this.flushTranscript();
  }

  private observeServer(bytes: Buffer): void {
    // An answer the person is waiting for counts as activity: the idle period starts after it.
    if (!this.observer.idle) this.session.activity(this.at);
    this.pushServer(bytes);
    this.flushTranscript();
  }

  protected override flushTranscript(): void {
    if (this.transcript === '') return;
    const text = this.transcript;
    this.transcript = '';
    this.session.outputText(text, 0, this.at);
  }

  private fromServer(chunk: Buffer): void {
    if (this.done) return;
    this.at = performance.now();
    try {
      this.relayServer(chunk);
    } finally {
      this.at = undefined;
    }
  }

  private relayServer(chunk: Buffer): void {
    if (this.injections.length === 0) {
      if (!this.client.write(chunk)) this.clientBlocked = true;
      this.observeSoon(false, chunk);
      this.flow();
      return;
    }
    // Messages of our own go in at the first message boundary, which the framer must know.
    this.observePending();
    if (this.done) return;
    if (!this.observer.idle) this.session.activity(this.at);
    let at = 0;
    // Pending messages of our own go in at the first message boundary.
    while (this.injections.length > 0 && at < chunk.length) {
      if (this.serverFramer.idle) {
        this.flushInjections();
        if (this.ending) return;
        break;
      }
      const step = Math.min(this.serverFramer.bytesToBoundary() ?? 1, chunk.length - at);
      this.forwardToClient(chunk.subarray(at, at + step));
      at += step;
    }
    if (this.injections.length > 0 && this.serverFramer.idle) {
      this.flushInjections();
      if (this.ending) return;
    }
    if (at < chunk.length) this.forwardToClient(at === 0 ? chunk : chunk.subarray(at));
    this.flushTranscript();
    this.flow();
  }

  private forwardToClient(bytes: Buffer): void {
    if (!this.client.write(bytes)) this.clientBlocked = true;
    this.pushServer(bytes);
  }

  private pushServer(bytes: Buffer): void {
    try {
      this.serverFramer.push(bytes, this.observer.server);
    } catch (err) {
      this.session.log.error({ err }, 'the target broke the protocol; closing the connection');
      this.finish('error', err instanceof ProtocolError ? `recgate: ${err.message}` : 'recgate: the target sent a malformed message');
    }
  }

  /** Pauses or resumes each side: a side is read only while the other takes writes and the recording keeps up. */
  private flow(): void {
    if (this.done) return;
    const recording = this.session.writable;
    toggle(this.client, !this.ending && !this.serverBlocked && recording);
    toggle(this.server, !this.clientBlocked && recording);
  }
}

function toggle(socket: Side, reading: boolean): void {
  if (reading && socket.isPaused()) socket.resume();
  else if (!reading && !socket.isPaused()) socket.pause();
}
