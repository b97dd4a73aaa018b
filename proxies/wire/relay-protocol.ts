/**
 * What a database protocol gives the shared relay (relay.ts): a framer per
 * direction, an observer that writes the transcript and the events, the
 * messages the gateway writes itself, and optionally a screen for client
 * messages the gateway refuses.
 */
import type { RecordedEvent } from '../../src/recording/frames.js';
import type { QueryEvent } from '../../src/transcript/index.js';

/** A streaming framer of one direction (see proxies/postgres/protocol/framer.ts, proxies/mysql/protocol/framer.ts). */
export interface Framer<Sink> {
  push(chunk: Buffer, sink: Sink): void;
  readonly idle: boolean;
  /** Bytes to the end of the message under way: 0 on a boundary, null while its length is unknown. */
  bytesToBoundary(): number | null;
}

/** What a protocol's observer offers the relay. */
export interface Observer<Sink> {
  readonly client: Sink;
  readonly server: Sink;
  /** True once the client said goodbye, so a target closing after it ends the session as 'closed'. */
  readonly clientLeft: boolean;
  note(text: string): void;
  /** No command waits for its answer. */
  readonly idle: boolean;
  /** The session is ending: what the observer still holds goes into the recording. */
  end?(): void;
}

/** Where an observer writes: transcript text for the terminal stream, events, and a clock for statements' durations. */
export interface ObserverOutput {
  tty(text: string): void;
  /** A result table as its values (TableRows.payload()), after the text given so far; its buffer is the observer's again after the call, so it is copied before this returns. */
  table(payload: Uint8Array): void;
  event(e: RecordedEvent): void;
  /**
   * A query event as queryEvent() built it, unchanged: the relay records it with the JSON
   * written for its shape (queryEventJson). Without it, observers give it to event().
   */
  query?(e: QueryEvent): void;
  /**
   * Milliseconds, to the fraction, on performance.now()'s scale: when the bytes being observed
   * arrived. Only differences mean anything (a statement's duration, from its message's arrival
   * to its answer's); the events' and the transcript's own times are the recording's.
   */
  now(): number;
}

/** Holds back client messages the gateway refuses; what passes is forwarded unchanged. */
export interface ClientScreen {
  screen(chunk: Buffer): Screened;
}

export interface Screened {
  /** The bytes that go on to the target, in order (the chunk itself when nothing is refused). */
  forward: Buffer;
  refused: readonly Refused[];
}

export interface Refused {
  /** The protocol's name for what was refused, for the event. */
  command: string;
  /** What the person is told. */
  message: string;
  /**
   * The gateway's answer, built once the bytes forwarded with it were observed; null when no
   * answer fits in the stream (another command is still waiting for the target), so the
   * session ends instead.
   */
  answer(): Buffer | null;
}

/** The protocol's part of a relay: framers, observer, and the messages the gateway writes itself. */
export interface RelayProtocol<Sink> {
  clientFramer: Framer<Sink>;
  serverFramer: Framer<Sink>;
  observer(out: ObserverOutput): Observer<Sink>;
  /** A warning the person sees without the session ending; undefined when the protocol has no way to show one. */
  notice(message: string): Buffer | undefined;
  /** The error that ends the session, built when it is written (between two server messages). */
  fatal(message: string, kind: 'ended' | 'malformed'): Buffer;
  /** What the target is told when the gateway closes it between two client messages. */
  goodbye(): Buffer;
  /** Screens client bytes before they are forwarded; made after the observer. */
  clientScreen?(): ClientScreen;
}
