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
import { LockStore } from '../admission/locks.js';
import { loadConfig, type Config, type TargetConfig } from '../config/index.js';
import { describeDiff, planReload, type ConfigDiff } from '../config/reload.js';
import { ConfigError, GatewayError, RecordingError } from '../errors.js';
import type { Logger } from '../log.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { readiness, type NodePhase, type Readiness } from '../metrics/health.js';
import { meterStore } from '../metrics/metered-store.js';
import { Recorder, type SessionIdentity } from '../recording/recorder.js';
import type { Sodium } from '../seal/sodium.js';
import { SessionRegistry } from '../session/registry.js';
import { Session, type EndReason, type SessionEnd, type RecordingRequest, type SessionOptions, type SessionWho } from '../session/session.js';
import type { RecordingStore } from '../store/types.js';
import type { LiveCluster } from '../console/live-remote.js';
import { GatewayLog } from './gateway-log.js';
import type { GatewayContext, RunningProxy } from './proxy.js';

export const SHUTDOWN_MESSAGE = 'recgate: the gateway is shutting down';

export class Gateway implements GatewayContext {
  private readonly live = new Set<Recorder>();
  private readonly openedListeners = new Set<(session: Session) => void>();
  /** With a PostgreSQL store: the other nodes' live sessions, and requests to them (set when the node joins). */
  cluster: LiveCluster | undefined;
  readonly sessions = new SessionRegistry();
  readonly admission: Admission;
  private readonly guard: PreLoginGuard;
  /** Set by endAll: sessions opened from then on are closed with the shutdown message at once. */
  private closing: { reason: EndReason; message: string } | undefined;
  /** The gateway's signed log of the recordings it starts, ends, recovers and deletes. */
  readonly journal: GatewayLog;
  /** Operators' locks (`<dataDir>/locks.json`), checked at every login. */
  readonly locks: LockStore;
  private running: Config;
  /** Reloads run one at a time. */
  private reloading: Promise<unknown> = Promise.resolve();
  /** For /readyz: starting until the listeners are up, then serving; draining after SIGTERM, stopping once sessions are ended. */
  phase: NodePhase = 'starting';
  /** The node's /metrics, when the daemon asked for them (`metricsFor`: the served protocols). */
  readonly metrics: GatewayMetrics | undefined;
  /** The store as recorders write to it: timed for the metrics. */
  private readonly recorderStore: RecordingStore;

  constructor(
    config: Config,
    readonly log: Logger,
    private readonly sodium: Sodium,
    readonly store: RecordingStore,
    private readonly signer: { publicKey: Uint8Array; secretKey: Uint8Array },
    options: { metricsFor?: readonly string[] } = {},
  ) {
    this.running = config;
    this.journal = new GatewayLog(sodium, store, signer);
    this.locks = LockStore.inDataDir(config.gateway.dataDir);
    if (options.metricsFor) {
      this.metrics = new GatewayMetrics(options.metricsFor, {
        liveSessions: () => this.sessions.list().map((s) => s.protocol),
        storeHealth: () => this.store.health?.(),
        phase: () => this.phase,
      });
    }
    this.recorderStore = this.metrics ? meterStore(store, this.metrics) : store;
    const a = config.admission;
    this.admission = new Admission(() => this.running, new FailureLimiter({ maxFailures: a.maxFailures, windowMs: a.failureWindow }), this, this.locks, undefined, this.metrics);
    this.guard = new PreLoginGuard({ maxTotal: a.maxPreLogin, maxPerAddress: a.maxPreLoginPerAddress, graceMs: a.loginGraceTime });
  }

  /** The running config; a reload replaces it for what starts afterwards. */
  get config(): Config {
    return this.running;
  }

  /**
   * Reads the config file again and applies recipients, users and targets
   * (and signers, limits, recording) to new logins and sessions; live sessions
   * keep what they opened with. A file with errors changes nothing: the
   * ConfigError says why. Sections that need a restart are reported, not applied.
   */
  reload(file = this.running.source): Promise<ConfigDiff> {
    const next = this.reloading.then(() => this.reloadNow(file));
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(file: string): Promise<ConfigDiff> {
    let loaded: Config;
    try {
      loaded = loadConfig(file);
    } catch (err) {
      const message = err instanceof GatewayError ? err.message : `cannot reload ${file}: ${(err as Error).message}`;
      this.log.error({ config: file, error: message }, 'reload failed: the running config stays in place');
      throw err instanceof ConfigError ? err : new ConfigError(message, { cause: err });
    }
    const { config, diff } = planReload(this.running, loaded);
    if (config.recipients.length === 0) this.log.warn('no recipients configured after reload: new sessions will be refused');
    this.running = config;
    this.log.info({ config: file, changes: describeDiff(diff), diff }, 'config reloaded');
    if (diff.needsRestart.length > 0) this.log.warn({ sections: diff.needsRestart }, 'config sections changed that need a restart; the running values stay until then');
    return diff;
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

  /** What /readyz answers: accepting sessions, or why not. */
  readiness(): Readiness {
    return readiness(this.phase, this.store.health?.(), this.running.store.spool.maxBytes);
  }

  async openSession(who: SessionWho, target: TargetConfig, options?: SessionOptions): Promise<Session> {
    const session = await Session.open(this, who, target, options);
    const metrics = this.metrics;
    if (metrics) {
      metrics.sessionStarted(session.protocol);
      session.once('ended', (end: SessionEnd) => metrics.sessionEnded(session.protocol, end.reason));
    }
    if (this.closing) void session.close(this.closing.reason, this.closing.message);
    else {
      this.sessions.add(session);
      for (const listener of this.openedListeners) listener(session);
    }
    return session;
  }

  /** Calls `listener` with every session opened from now on (the cluster lists them); returns the unsubscribe. */
  onSessionOpened(listener: (session: Session) => void): () => void {
    this.openedListeners.add(listener);
    return () => this.openedListeners.delete(listener);
  }

  liveSessions(): Session[] {
    return this.sessions.all();
  }

  async startRecording(who: SessionIdentity, target: RecordingRequest = {}): Promise<Recorder> {
    const names = target.recipients;
    const recipients = this.config.recipients.filter((r) => names === undefined || names.includes(r.name));
    if (recipients.length === 0) throw new RecordingError('no recipients to seal the recording for');
    const r = this.config.recording;
    const recorder = await Recorder.start(
      {
        store: this.recorderStore,
        sodium: this.sodium,
        signer: this.signer,
        recipients,
        log: this.log,
        journal: this.journal,
        ...(this.metrics ? { onSealed: (stream: string, bytes: number) => this.metrics!.recorded(who.protocol, stream, bytes) } : {}),
      },
      who,
      {
        flushInterval: r.flushInterval,
        chunkSize: r.chunkSize,
        checkpointInterval: r.checkpointInterval,
        keystrokes: target.keystrokes ?? r.keystrokes,
      },
      target.terminal,
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
