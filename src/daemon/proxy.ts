/**
 * The one contract between the core and a protocol: a proxy has a name, the
 * `listen` key it serves, and a `listen()` that starts serving with what the
 * gateway gives it. Everything protocol-specific stays in proxies/<name>/.
 */
import type { AddressInfo } from 'node:net';
import type { Config, TargetConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import type { Recorder, SessionIdentity } from '../recording/recorder.js';
import type { Session, SessionOptions, SessionWho } from '../session/session.js';

export interface GatewayContext {
  readonly config: Config;
  readonly log: Logger;
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
  startRecording(who: SessionIdentity, target?: { keystrokes?: boolean; recipients?: string[] }): Promise<Recorder>;
}

export interface RunningProxy {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

export interface ProxyModule {
  readonly name: string;
  readonly listenKey: string;
  listen(gateway: GatewayContext, at: { host: string; port: number }): Promise<RunningProxy>;
}
