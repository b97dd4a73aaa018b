/**
 * The one contract between the core and a protocol: a proxy has its spec
 * (name, listen key, default port, target options: see src/config/protocols.ts)
 * and a `listen()` that starts serving with what the gateway gives it.
 * Everything protocol-specific stays in proxies/<name>/.
 */
import type { AddressInfo, Socket } from 'node:net';
import type { Admission } from '../admission/admission.js';
import type { PreLogin } from '../admission/guard.js';
import type { Config, ProtocolSpec, TargetConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Recorder, SessionIdentity } from '../recording/recorder.js';
import type { RecordingRequest, Session, SessionOptions, SessionWho } from '../session/session.js';

export interface GatewayContext {
  readonly config: Config;
  readonly log: Logger;
  /** The one login path: failed-login limit, user, authentication verdict, route, session. */
  readonly admission: Admission;
  /**
   * Listens at `at`; each connection takes a place before login (refused
   * beyond the caps, closed when it has not logged in in time) and reaches
   * `serve` paused.
   */
  listen(at: { host: string; port: number }, log: Logger, serve: (socket: Socket, place: PreLogin) => void): Promise<RunningProxy>;
  /**
   * Opens a session for a person on a target: its recording started as the
   * target's policy says, its limits running, listed for operators. Throws a
   * RecordingError (whose message the proxy shows the person) when the target
   * requires a recording that cannot be written.
   */
  openSession(who: SessionWho, target: TargetConfig, options?: SessionOptions): Promise<Session>;
  /** A 32-byte secret for `purpose`, derived from the gateway's signing key (stable across restarts). */
  secret(purpose: string): Buffer;
  /** Starts a sealed recording for a session (throws RecordingError when it cannot be written). */
  startRecording(who: SessionIdentity, target?: RecordingRequest): Promise<Recorder>;
}

export interface RunningProxy {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export interface ProxyModule {
  readonly spec: ProtocolSpec;
  listen(gateway: GatewayContext, at: { host: string; port: number }): Promise<RunningProxy>;
}
