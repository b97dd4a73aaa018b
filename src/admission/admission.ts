/**
 * The one way in, for every protocol:
 *
 *   begin(login name)     failed-login limit (an attempt counts from now);
 *        │                `alice+web01` parsed, the gateway user found
 *   proxy authenticates   in its protocol's way, against `attempt.user`
 *        │                (unknown users take the same steps and fail)
 *   succeeded / failed    the verdict: counted, logged, the pre-login place freed
 *        │
 *   open(login, connect)  route (exists, allowed, this protocol) → the proxy
 *                         logs in to the target → the session opens
 *
 * Every refusal is a Refusal, logged here once; the proxy only says it in its
 * protocol's words. Nothing is recorded before the target accepted the
 * gateway's login.
 */
import type { Config, TargetConfig, UserConfig } from '../config/index.js';
import { RecordingError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Session, SessionOptions, SessionWho } from '../session/session.js';
import { findUser, parseLoginName, type LoginName } from '../auth/users.js';
import type { PreLogin } from './guard.js';
import type { Attempt, FailureLimiter } from './limiter.js';
import type { LockStore } from './locks.js';
import { REFUSED, Refusal, type RefusalKind } from './refusal.js';
import { TlsRetries } from './retries.js';

/** Told of failed logins and refusals, for the node's metrics (labels: protocol and a RefusalKind only). */
export interface AdmissionObserver {
  loginFailed(protocol: string): void;
  sessionRefused(protocol: string, kind: RefusalKind): void;
}

export interface SessionOpener {
  openSession(who: SessionWho, target: TargetConfig, options?: SessionOptions): Promise<Session>;
}

export interface AttemptRequest {
  protocol: string;
  address: string;
  loginName: string;
  log: Logger;
  /** The connection's place before login: freed once the person is authenticated. */
  place?: PreLogin;
  /** Whether the login runs inside TLS (database protocols): a plain retry of a TLS failure counts once. */
  tls?: boolean;
}

/** Who logged in, and the target they named: what `open` routes. */
export interface Login {
  readonly user: UserConfig;
  readonly target: string;
  readonly method: string;
  readonly protocol: string;
  readonly address: string;
  readonly log: Logger;
}

export interface Admitted<T> {
  target: TargetConfig;
  link: T;
  session: Session;
}

/** Login names in logs: attacker-chosen, so cut short. */
const shown = (name: string): string => name.slice(0, 128);

export class LoginAttempt {
  private done = false;

  constructor(
    private readonly request: AttemptRequest,
    private readonly counted: Attempt,
    /** `user+target` split, or null when the name has no target. */
    readonly name: LoginName | null,
    /** The gateway user the name names; undefined for unknown users (who must still go through the motions). */
    readonly user: UserConfig | undefined,
    private readonly retries?: TlsRetries,
    private readonly observer?: AdmissionObserver,
  ) {}

  /** The person proved the user's credentials with `method`. */
  succeeded(method: string): Login {
    if (!this.user || !this.name) throw this.failed(this.name ? 'unknown user' : 'no target in the login name', method);
    this.end();
    this.counted.succeed();
    this.request.place?.loggedIn();
    const { protocol, address, log } = this.request;
    log.info({ user: this.user.name, target: this.name.target, method }, 'gateway login');
    return { user: this.user, target: this.name.target, method, protocol, address, log };
  }

  /** The person did not prove it (by `method`, when there was one); returns the Refusal to say so. */
  failed(why: string, method?: string): Refusal {
    if (!this.end()) return REFUSED.loginFailed();
    const { protocol, address, loginName, tls } = this.request;
    if (tls !== undefined && this.retries?.isRepeat({ protocol, address, loginName }, tls)) {
      this.counted.repeated();
      this.request.log.warn({ login: shown(loginName), ...(method ? { method } : {}), why, repeat: true }, 'gateway login failed (the client repeating its failed TLS login without TLS; counted once)');
      return REFUSED.loginFailed();
    }
    const blocked = this.counted.fail();
    this.observer?.loginFailed(protocol);
    this.request.log.warn({ login: shown(this.request.loginName), ...(method ? { method } : {}), why, blocked }, 'gateway login failed');
    return REFUSED.loginFailed();
  }

  /** The client left before a verdict: counted as a failure, not logged as one. */
  abandon(): void {
    if (this.end()) this.counted.abandon();
  }

  private end(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }
}

export class Admission {
  constructor(
    /** The running config: read on every login, so a reload applies to the next one. */
    private readonly current: () => Config,
    private readonly limiter: FailureLimiter,
    private readonly sessions: SessionOpener,
    private readonly locks?: LockStore,
    private readonly retries: TlsRetries = new TlsRetries(),
    private readonly observer?: AdmissionObserver,
  ) {}

  private get config(): Config {
    return this.current();
  }

  /** The user a login name names, without counting an attempt (an SSH key offered without a signature). */
  identify(loginName: string): { name: LoginName | null; user: UserConfig | undefined } {
    const name = parseLoginName(loginName);
    return { name, user: name ? findUser(this.config, name.user) : undefined };
  }

  /** Starts a login attempt, counted from now; a Refusal when the address reached the limit. */
  begin(request: AttemptRequest): LoginAttempt {
    const counted = this.limiter.begin(request.address);
    if (counted === null) {
      request.log.warn({ login: shown(request.loginName) }, 'login refused: too many failed logins from this address');
      this.observer?.sessionRefused(request.protocol, 'too-many-failures');
      throw REFUSED.tooManyFailures();
    }
    const { name, user } = this.identify(request.loginName);
    return new LoginAttempt(request, counted, name, user, this.retries, this.observer);
  }

  /**
   * Routes the login, lets the proxy log in to the target (`connect`; its
   * errors become a 'target' Refusal with the error as cause) and opens the
   * session (with `options`). `release` undoes `connect` when the session cannot open.
   */
  async open<T>(login: Login, connect: (target: TargetConfig) => Promise<T>, release: (link: T) => void, options?: SessionOptions): Promise<Admitted<T>> {
    try {
      return await this.openRouted(login, connect, release, options);
    } catch (err) {
      if (err instanceof Refusal) this.observer?.sessionRefused(login.protocol, err.kind);
      throw err;
    }
  }

  private async openRouted<T>(login: Login, connect: (target: TargetConfig) => Promise<T>, release: (link: T) => void, options?: SessionOptions): Promise<Admitted<T>> {
    const target = this.route(login);
    await this.checkLock(login, target);
    let link: T;
    try {
      link = await connect(target);
    } catch (err) {
      login.log.warn({ err, target: target.name }, 'target login failed');
      throw new Refusal('target', (err as Error).message, { cause: err });
    }
    try {
      const session = await this.sessions.openSession({ user: login.user.name, clientAddress: login.address, protocol: login.protocol }, target, options);
      return { target, link, session };
    } catch (err) {
      release(link);
      const message = err instanceof RecordingError ? err.message : 'the session could not be opened';
      if (!(err instanceof RecordingError)) login.log.error({ err }, 'session could not be opened');
      throw new Refusal('recording', message, { cause: err });
    }
  }

  /**
   * An operator's lock on this person (the gateway, or this target) refuses
   * the login after authentication: the person proved who they are, so it is
   * not a failed login and says why, and a stranger learns nothing of locks.
   */
  private async checkLock(login: Login, target: TargetConfig): Promise<void> {
    if (!this.locks) return;
    let lock;
    try {
      lock = await this.locks.find(login.user.name, target.name);
    } catch (err) {
      // A damaged locks file must not lock everyone out, nor let a locked person in silently.
      login.log.error({ err }, 'cannot read the locks file; logins go on without lock checks');
      return;
    }
    if (!lock) return;
    login.log.warn({ user: login.user.name, target: target.name, scope: lock.scope, until: lock.until }, 'session refused: locked by an operator');
    throw REFUSED.locked(lock);
  }

  private route(login: Login): TargetConfig {
    const { user, target: name } = login;
    const target = this.config.targets.find((t) => t.name === name);
    const allowed = target !== undefined && (user.targets.includes('*') || user.targets.includes(target.name));
    const why = !target ? 'unknown-target' : !allowed ? 'not-allowed' : target.protocol !== login.protocol ? 'wrong-protocol' : null;
    if (why === null) return target!;
    login.log.warn({ user: user.name, target: name, why }, 'session refused');
    // Unknown and not allowed read alike: a person learns nothing of targets they may not reach.
    if (why === 'wrong-protocol') throw REFUSED.wrongProtocol(name, target!.protocol, login.protocol);
    throw REFUSED.noSuchTarget(name);
  }
}
