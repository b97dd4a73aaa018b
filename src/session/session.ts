/**
 * Session: what every protocol proxy drives, one per client connection. It
 * carries the identity (user, target, protocol, client), feeds the recorder,
 * applies the target's limits and the recording policy, and is the only
 * place that decides to disconnect a person, always with a message.
 *
 *   proxy ── output/input/resize/event/screen/terminal ──► Session ──► Recorder
 *   proxy ◄── hooks.notify(message) / hooks.disconnect(reason, message) ──┘
 *
 * Invariants:
 * - `end()` runs once; after it every write is a no-op that never blocks
 *   (`writable` is true, and 'drain' is emitted for anyone still waiting).
 * - A disconnect records why (an event) before the hooks run, then ends the
 *   session with that reason, so a later `end('closed')` from the proxy
 *   cannot overwrite it.
 * - A recording that failed is no longer fed. With `recording.required` the
 *   session is closed; otherwise it goes on unrecorded.
 * - Never emits 'error'.
 */
import { EventEmitter } from 'node:events';
import type { TargetConfig } from '../config/index.js';
import { RecordingError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RecordedEvent } from '../recording/frames.js';
import type { Recorder, RecordingResult, SessionIdentity, TerminalInfo } from '../recording/recorder.js';
import { newRecordingId } from '../store/ids.js';
import { queryEventJson, type QueryEvent } from '../transcript/query-event.js';
import { DEFAULT_WARN_BEFORE, SessionLimits, type LimitReason } from './limits.js';

export type EndReason =
  | 'closed'
  | 'terminated'
  | 'idle-timeout'
  | 'max-duration'
  | 'recording-failed'
  | 'target-closed'
  | 'gateway-shutdown'
  | 'error';

/** The protocol's own ways to tell the person something and to close the client. */
export interface SessionHooks {
  notify(message: string): void;
  disconnect(reason: EndReason, message: string): void;
  /** True while the person waits for the target's answer: the idle timeout does not run then. */
  busy?(): boolean;
}

/** Who connected; the protocol defaults to the target's. */
export interface SessionWho {
  user: string;
  clientAddress: string;
  protocol?: string;
}

export interface SessionOptions {
  /** How long before a limit the person is warned (ms); tests shorten it. */
  warnBefore?: number;
  /** Channel 0's terminal, declared with the recording (a database proxy's transcript; see Recorder.start). */
  terminal?: TerminalInfo;
}

/** How a session's recording is to be made: the target's settings, and what the proxy declares up front. */
export interface RecordingRequest {
  keystrokes?: boolean;
  /** The recipients' names; every configured recipient when absent. */
  recipients?: string[];
  terminal?: TerminalInfo;
}

/** What a session needs from the gateway. */
export interface SessionGateway {
  readonly log: Logger;
  startRecording(who: SessionIdentity, target?: RecordingRequest): Promise<Recorder>;
}

export interface SessionEnd {
  reason: EndReason;
  detail?: Record<string, unknown>;
  /** Absent when the session ran unrecorded. */
  recording?: RecordingResult;
}

export const RECORDING_FAILED_MESSAGE = 'recgate: the recording of this session failed; session ended';

export class Session extends EventEmitter {
  readonly id: string;
  readonly user: string;
  readonly protocol: string;
  readonly clientAddress: string;
  readonly startedAt = new Date();
  readonly log: Logger;
  private readonly t0 = performance.now();
  private readonly limits: SessionLimits;
  private hooks: SessionHooks | undefined;
  private closedWith: { reason: EndReason; message: string } | undefined;
  private ending: Promise<SessionEnd> | undefined;

  private constructor(
    gatewayLog: Logger,
    who: SessionIdentity,
    readonly target: TargetConfig,
    readonly recorder: Recorder | undefined,
    options: SessionOptions,
  ) {
    super();
    this.id = recorder?.id ?? newRecordingId();
    this.user = who.user;
    this.protocol = who.protocol;
    this.clientAddress = who.clientAddress;
    this.log = gatewayLog.child({ proto: this.protocol, session: this.id, user: this.user, target: target.name });
    recorder?.on('error', (err: RecordingError) => this.recordingFailed(err));
    recorder?.on('drain', () => this.emit('drain'));
    this.limits = new SessionLimits(target.limits, options.warnBefore ?? DEFAULT_WARN_BEFORE, {
      warn: (reason, message) => this.warn(reason, message),
      reach: (reason, message) => void this.disconnect(reason, message, { type: 'disconnect', reason, message }),
      busy: () => this.hooks?.busy?.() ?? false,
    });
  }

  /**
   * Starts the session and its recording. When the recording cannot be
   * started: refused with a RecordingError if the target requires it,
   * otherwise the session runs unrecorded.
   */
  static async open(gateway: SessionGateway, who: SessionWho, target: TargetConfig, options: SessionOptions = {}): Promise<Session> {
    const identity: SessionIdentity = {
      user: who.user,
      target: target.name,
      protocol: who.protocol ?? target.protocol,
      clientAddress: who.clientAddress,
    };
    let recorder: Recorder | undefined;
    try {
      recorder = await gateway.startRecording(identity, {
        keystrokes: target.recording.keystrokes,
        recipients: target.recipients.map((r) => r.name),
        ...(options.terminal ? { terminal: options.terminal } : {}),
      });
    } catch (err) {
      const log = gateway.log.child({ proto: identity.protocol, user: identity.user, target: target.name });
      if (target.recording.required) {
        log.error({ err }, 'recording cannot be written; session refused (recording is required for this target)');
        throw new RecordingError(`recording is required for ${target.name} and cannot be written; session refused`, { cause: err });
      }
      log.warn({ err }, 'recording cannot be written; the session goes on unrecorded (recording is not required for this target)');
    }
    const session = new Session(gateway.log, identity, target, recorder, options);
    session.log.info({ client: session.clientAddress, recording: recorder !== undefined }, 'session started');
    return session;
  }

  /** True while the session is being recorded. */
  get recording(): boolean {
    return this.live !== undefined;
  }

  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** False while the recording asks the proxy to pause its source; 'drain' follows. */
  get writable(): boolean {
    return this.live?.writable ?? true;
  }

  /**
   * Milliseconds since the session started, on the recording's clock (for a keystroke's `t`).
   * `at` is a performance.now() the caller already read: a relay reads the clock once per
   * chunk and passes it to everything the chunk records, rather than each reading it again.
   */
  now(at?: number): number {
    return this.recorder ? this.recorder.now(at) : Math.round((at ?? performance.now()) - this.t0);
  }

  idleMs(): number {
    return this.limits.idleMs();
  }

  /** Output to the person; `t` from `now()` when recorded after it was relayed. */
  output(data: Uint8Array, channel?: number, t?: number): boolean {
    return this.live?.output(data, channel, t) ?? true;
  }

  /** Output given as text, recorded as its UTF-8 bytes (see Recorder.outputText); `at` as for now(). */
  outputText(text: string, channel?: number, at?: number): boolean {
    return this.live?.outputText(text, channel, at) ?? true;
  }

  /** A result table as its values, laid out when read (see Recorder.outputTable); `at` as for now(). */
  outputTable(payload: Uint8Array, channel?: number, at?: number): boolean {
    return this.live?.outputTable(payload, channel, at) ?? true;
  }

  /** Keystrokes from the person (they count as activity); `t` from `now()` when recorded late. */
  input(data: Uint8Array, channel?: number, t?: number): boolean {
    this.activity();
    return this.live?.input(data, channel, t) ?? true;
  }

  resize(cols: number, rows: number, channel?: number): boolean {
    return this.live?.resize(cols, rows, channel) ?? true;
  }

  /** An event; `at` as for now(). */
  event(e: RecordedEvent, at?: number): boolean {
    return this.live?.event(e, at) ?? true;
  }

  /** An event at `t`, a time from `now()` taken when what it records happened (see Recorder.eventAt). */
  eventAt(e: RecordedEvent, t: number): boolean {
    return this.live?.eventAt(e, t) ?? true;
  }

  /** A query event as queryEvent() built it, unchanged: recorded as event() would, its JSON written for its shape. */
  queryEvent(e: QueryEvent, at?: number): boolean {
    const live = this.live;
    return live ? live.eventJson(e.type, queryEventJson(e), at) : true;
  }

  screen(update: Uint8Array): boolean {
    return this.live?.screen(update) ?? true;
  }

  terminal(channel: number, info: TerminalInfo): void {
    this.live?.terminal(channel, info);
  }

  /** Any input from the person: the idle timeout starts over; `at` as for now(). */
  activity(at?: number): void {
    this.limits.activity(at);
  }

  /**
   * Gives the session the protocol's ways to reach the person. A session
   * that already closed disconnects the newly attached client at once.
   */
  attach(hooks: SessionHooks): void {
    if (this.ending) {
      if (this.closedWith) callHook(this.log, () => hooks.disconnect(this.closedWith!.reason, this.closedWith!.message));
      return;
    }
    this.hooks = hooks;
  }

  /**
   * An operator (`by`) shows the person a message, recorded as a `message`
   * event; false when the session has already ended.
   */
  message(message: string, by = 'operator'): boolean {
    if (this.ending) return false;
    this.log.info({ message, by }, 'message to the person');
    this.live?.event({ type: 'message', message, by });
    const hooks = this.hooks;
    if (hooks) callHook(this.log, () => hooks.notify(message));
    return true;
  }

  /** An operator (or another authority, `by`) ends the session with a message to the person. */
  terminate(message: string, by = 'operator'): Promise<SessionEnd> {
    return this.disconnect('terminated', message, { type: 'terminate', message, by });
  }

  /** Tells the person why, closes the client and ends the session with `reason`. */
  close(reason: EndReason, message: string): Promise<SessionEnd> {
    return this.disconnect(reason, message, { type: 'disconnect', reason, message });
  }

  /** Ends the session and its recording with `reason`. Idempotent: the first reason stays. */
  end(reason: EndReason, detail?: Record<string, unknown>): Promise<SessionEnd> {
    this.ending ??= this.finish(reason, detail);
    return this.ending;
  }

  private get live(): Recorder | undefined {
    return this.ending || !this.recorder || this.recorder.failed ? undefined : this.recorder;
  }

  private disconnect(reason: EndReason, message: string, event: RecordedEvent | undefined): Promise<SessionEnd> {
    if (this.ending) return this.ending;
    this.log.info({ reason, message }, 'closing session');
    if (event) this.live?.event(event);
    this.closedWith = { reason, message };
    const hooks = this.hooks;
    if (hooks) callHook(this.log, () => hooks.disconnect(reason, message));
    return this.end(reason, { message });
  }

  private warn(reason: LimitReason, message: string): void {
    this.log.info({ reason, message }, 'warning the person of a limit');
    this.live?.event({ type: 'warning', reason, message });
    const hooks = this.hooks;
    if (hooks) callHook(this.log, () => hooks.notify(message));
  }

  private recordingFailed(err: RecordingError): void {
    if (this.target.recording.required) {
      this.log.error({ err }, 'recording failed; closing the session (recording is required for this target)');
      void this.disconnect('recording-failed', RECORDING_FAILED_MESSAGE, undefined);
    } else {
      this.log.warn({ err }, 'recording failed; the session goes on unrecorded (recording is not required for this target)');
    }
  }

  private async finish(reason: EndReason, detail?: Record<string, unknown>): Promise<SessionEnd> {
    this.limits.stop();
    this.hooks = undefined;
    const result: SessionEnd = { reason };
    if (detail) result.detail = detail;
    if (this.recorder) {
      try {
        result.recording = await this.recorder.end(reason, detail);
      } catch (err) {
        const error = new RecordingError(`recording ${this.recorder.id} did not end cleanly: ${(err as Error).message}`, { cause: err });
        result.recording = { id: this.recorder.id, ok: false, error };
      }
    }
    const durationMs = Math.round(performance.now() - this.t0);
    this.log.info({ reason, durationMs, recorded: result.recording?.ok ?? false }, 'session ended');
    this.emit('drain');
    this.emit('ended', result);
    return result;
  }
}

/** A proxy's hook must not break the session's bookkeeping: its failure is logged. */
function callHook(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.warn({ err }, 'the proxy could not reach the client');
  }
}
