/**
 * Gateway: what proxies get from the core. It opens sessions (listed in its
 * registry for operators), starts recordings sealed to the configured
 * recipients and entered in its signed log, and keeps track of both so that
 * shutdown tells every person why and ends each recording cleanly.
 */
import type { Socket } from 'node:net';
import { Admission } from '../admission/admission.js';
import { PreLoginGuard, type PreLogin } from '../admission/guard.js';
import { FailureLimiter } from '../admission/limiter.js';
import { listenGuarded } from '../admission/listener.js';
import type { Config, TargetConfig } from '../config/index.js';
import { RecordingError } from '../errors.js';
import type { Logger } from '../log.js';
import { Recorder, type SessionIdentity } from '../recording/recorder.js';
import type { Sodium } from '../seal/sodium.js';
import { SessionRegistry } from '../session/registry.js';
import { Session, type EndReason, type SessionOptions, type SessionWho } from '../session/session.js';
import type { RecordingStore } from '../store/types.js';
import { GatewayLog } from './gateway-log.js';
import type { GatewayContext, RunningProxy } from './proxy.js';

export const SHUTDOWN_MESSAGE = 'recgate: the gateway is shutting down';

export class Gateway implements GatewayContext {
  private readonly live = new Set<Recorder>();
  readonly sessions = new SessionRegistry();
  readonly admission: Admission;
  private readonly guard: PreLoginGuard;
  /** Set by endAll: sessions opened from then on are closed with the shutdown message at once. */
  private closing: { reason: EndReason; message: string } | undefined;
  /** The gateway's signed log of the recordings it starts, ends, recovers and deletes. */
  readonly journal: GatewayLog;

  constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly sodium: Sodium,
    readonly store: RecordingStore,
    private readonly signer: { publicKey: Uint8Array; secretKey: Uint8Array },
  ) {
    this.journal = new GatewayLog(sodium, store, signer);
    const a = config.admission;
    this.admission = new Admission(config, new FailureLimiter({ maxFailures: a.maxFailures, windowMs: a.failureWindow }), this);
    this.guard = new PreLoginGuard({ maxTotal: a.maxPreLogin, maxPerAddress: a.maxPreLoginPerAddress, graceMs: a.loginGraceTime });
  }

  listen(at: { host: string; port: number }, log: Logger, serve: (socket: Socket, place: PreLogin) => void): Promise<RunningProxy> {
    return listenGuarded(at, this.guard, log, serve);
  }

  /**
   * A 32-byte secret for one purpose (e.g. SCRAM's mock salts), stable across
   * restarts: keyed BLAKE2b of the purpose under the gateway's signing key.
   */
  secret(purpose: string): Buffer {
    return Buffer.from(this.sodium.generichash(32, Buffer.from(`recgate/secret/${purpose}`, 'utf8'), this.signer.secretKey.subarray(0, 32)));
  }

  get activeRecordings(): number {
    return this.live.size;
  }

  async openSession(who: SessionWho, target: TargetConfig, options?: SessionOptions): Promise<Session> {
    const session = await Session.open(this, who, target, options);
    if (this.closing) void session.close(this.closing.reason, this.closing.message);
    else this.sessions.add(session);
    return session;
  }

  async startRecording(who: SessionIdentity, target: { keystrokes?: boolean; recipients?: string[] } = {}): Promise<Recorder> {
    const names = target.recipients;
    const recipients = this.config.recipients.filter((r) => names === undefined || names.includes(r.name));
    if (recipients.length === 0) throw new RecordingError('no recipients to seal the recording for');
    const r = this.config.recording;
    const recorder = await Recorder.start(
      { store: this.store, sodium: this.sodium, signer: this.signer, recipients, log: this.log, journal: this.journal },
      who,
      {
        flushInterval: r.flushInterval,
        chunkSize: r.chunkSize,
        checkpointInterval: r.checkpointInterval,
        keystrokes: target.keystrokes ?? r.keystrokes,
      },
    );
    this.live.add(recorder);
    recorder.once('ended', () => this.live.delete(recorder));
    return recorder;
  }

  /** Closes every live session with `message`, then ends any recording still open (gateway shutdown). */
  async endAll(reason: EndReason = 'gateway-shutdown', message = SHUTDOWN_MESSAGE): Promise<void> {
    this.closing = { reason, message };
    await this.sessions.endAll(reason, message);
    await Promise.allSettled([...this.live].map((r) => r.end(reason)));
    this.live.clear();
  }
}
