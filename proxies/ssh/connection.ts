/**
 * One client connection to the SSH proxy: gateway authentication, routing to
 * the target, the target login with injected credentials, and the channels.
 *
 * Refusals after authentication (unknown target, not allowed, target down,
 * host key changed, target login failed, recording required but failing) are
 * told to the person as a line on the first channel's stderr, with exit
 * status 1, because SSH has no other place for a message once a login name
 * has been accepted.
 */
import type { Socket } from 'node:net';
import ssh2, { type AuthContext, type AuthenticationType, type Client, type ClientInfo, type Connection, type ServerChannel, type Session as SshSession, type TcpipRequestInfo } from 'ssh2';
import type { Login, LoginAttempt } from '../../src/admission/admission.js';
import type { PreLogin } from '../../src/admission/guard.js';
import { Refusal } from '../../src/admission/refusal.js';
import { checkPassword, hasSshKey } from '../../src/auth/users.js';
import { targetOptions } from '../../src/config/index.js';
import type { GatewayContext } from '../../src/daemon/proxy.js';
import type { Logger } from '../../src/log.js';
import type { Sodium } from '../../src/seal/sodium.js';
import type { EndReason } from '../../src/session/session.js';
import { ChannelRelay, type Setup } from './channel.js';
import { coalesceWrites } from './coalesce.js';
import { readLoggedInIntoSlabs } from './socket-reads.js';
import { poolPadding } from './padding-pool.js';
import { relayForward } from './forward.js';
import type { TargetPins } from '../wire/target-pins.js';
import type { SshTargetOptions } from './spec.js';
import { connectTarget, TargetError } from './target.js';

export interface ConnectionDeps {
  gateway: GatewayContext;
  sodium: Sodium;
  pins: TargetPins;
  log: Logger;
}

const METHODS: AuthenticationType[] = ['publickey', 'password'];

/**
 * Shown once to a login name without "+target" (ssh alice@gateway), which can never
 * log in: as the instruction of a keyboard-interactive request with no prompts
 * (RFC 4256 3.2), which OpenSSH prints before asking for anything else.
 */
export const NO_TARGET_HINT = 'recgate: log in as user+target, for example ssh alice+web01@gateway (the target names are in the gateway\'s configuration)';

/** Failed logins on one connection before it is closed, as OpenSSH's MaxAuthTries. */
const MAX_AUTH_FAILURES = 6;

export class SshConnection {
  private readonly address: string;
  private readonly log: Logger;
  private login: Login | undefined;
  private failures = 0;
  private hinted = false;
  private setup: Promise<Setup> | undefined;
  private channels = 0;
  private readonly relays = new Set<ChannelRelay>();
  private closed = false;
  /** A disconnect message was written to the person: give it time to leave before the connection ends. */
  private told = false;

  constructor(
    private readonly conn: Connection,
    info: ClientInfo,
    private readonly deps: ConnectionDeps,
    private readonly place: PreLogin | undefined,
  ) {
    this.address = info.ip;
    coalesceWrites((conn as unknown as { _sock?: Socket })._sock);
    poolPadding(conn);
    this.log = deps.log.child({ client: `${info.ip}:${info.port}` });
    conn.on('authentication', (ctx) => void this.authenticate(ctx));
    conn.on('ready', () => this.ready());
    conn.on('session', (accept) => this.openChannel(accept()));
    conn.on('tcpip', (accept, reject, info) => void this.forward(accept, reject, info));
    conn.on('request', (accept, reject, name) => {
      this.log.warn({ request: name }, 'global request refused');
      reject?.();
    });
    conn.on('error', (err) => this.log.debug({ err }, 'client connection error'));
    conn.on('close', () => void this.close('closed'));
  }

  private async authenticate(ctx: AuthContext): Promise<void> {
    const { admission } = this.deps.gateway;
    if (ctx.method === 'keyboard-interactive' && this.offersHint(ctx.username)) {
      this.hinted = true;
      this.log.info({ loginName: ctx.username }, 'login name without +target; told to log in as user+target');
      return ctx.prompt([], 'recgate', NO_TARGET_HINT, () => ctx.reject(METHODS));
    }
    if (ctx.method !== 'password' && ctx.method !== 'publickey') return ctx.reject(this.methods(ctx.username));
    // A key offered without a signature is only a question ("would you accept this key?"): no attempt yet.
    if (ctx.method === 'publickey' && (!ctx.signature || !ctx.blob)) {
      const { user } = admission.identify(ctx.username);
      return user && hasSshKey(user, ctx.key.algo, ctx.key.data) ? ctx.accept() : ctx.reject(this.methods(ctx.username));
    }
    let attempt: LoginAttempt;
    try {
      attempt = admission.begin({ protocol: 'ssh', address: this.address, loginName: ctx.username, log: this.log, ...(this.place ? { place: this.place } : {}) });
    } catch (err) {
      if (err instanceof Refusal) return ctx.reject(this.methods(ctx.username));
      throw err;
    }
    let ok: boolean;
    if (ctx.method === 'password') ok = await checkPassword(this.deps.sodium, attempt.user, ctx.password);
    else ok = attempt.user !== undefined && hasSshKey(attempt.user, ctx.key.algo, ctx.key.data) && verifySignature(ctx.key.data, ctx.blob!, ctx.signature!, ctx.hashAlgo);
    try {
      if (!ok) throw attempt.failed(ctx.method === 'password' ? 'wrong password' : 'wrong key or signature', ctx.method);
      this.login = attempt.succeeded(ctx.method);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      if (++this.failures >= MAX_AUTH_FAILURES) {
        this.log.warn({ failures: this.failures }, 'too many failed logins on one connection; closing it');
        this.conn.end();
      }
      return ctx.reject(this.methods(ctx.username));
    }
    ctx.accept();
  }

  /** A name without "+target" is offered keyboard-interactive once, to carry the hint. */
  private offersHint(loginName: string): boolean {
    return !this.hinted && !loginName.includes('+');
  }

  private methods(loginName: string): AuthenticationType[] {
    return this.offersHint(loginName) ? ['keyboard-interactive', ...METHODS] : METHODS;
  }

  private ready(): void {
    readLoggedInIntoSlabs((this.conn as unknown as { _sock?: Socket })._sock);
    this.setup = this.prepare(this.login!);
  }

  private async prepare(login: Login): Promise<Setup> {
    try {
      const { link: target, session } = await this.deps.gateway.admission.open(
        login,
        (t) => connectTarget(t, this.deps.pins, this.log),
        (client) => client.end(),
      );
      session.attach({
        notify: (message) => this.notify(message),
        disconnect: (reason, message) => this.disconnect(reason, message),
      });
      target.on('close', () => void this.close('target-closed'));
      if (this.closed) target.end();
      return { ok: true, target, session };
    } catch (err) {
      if (!(err instanceof Refusal)) {
        this.log.error({ err }, 'session could not be opened');
        return { ok: false, message: 'the session could not be opened; see the gateway log' };
      }
      if (err.kind !== 'target') return { ok: false, message: err.message };
      return { ok: false, message: err.cause instanceof TargetError ? err.cause.message : `cannot connect to ${login.target}` };
    }
  }

  private async forward(accept: () => ServerChannel, reject: () => void, info: TcpipRequestInfo): Promise<void> {
    const setup = await this.setup;
    if (setup?.ok && targetOptions<SshTargetOptions>(setup.session.target).portForwarding) {
      return relayForward(accept, reject, info, setup.target, setup.session, this.log);
    }
    this.log.warn({ to: `${info.destIP}:${info.destPort}` }, 'port forwarding refused');
    if (setup?.ok) setup.session.event({ type: 'forward-refused', host: info.destIP, port: info.destPort });
    reject();
  }

  private openChannel(channel: SshSession): void {
    const setup = this.setup ?? Promise.resolve<Setup>({ ok: false, message: 'not logged in' });
    this.relays.add(new ChannelRelay(channel, this.channels++, setup, this.log, (relay) => this.relays.delete(relay)));
  }

  private notify(message: string): void {
    for (const relay of this.relays) relay.notify(message);
  }

  private disconnect(reason: EndReason, message: string): void {
    this.log.info({ reason }, 'closing the session');
    this.told = true;
    for (const relay of this.relays) relay.notify(message);
    setTimeout(() => this.conn.end(), 100).unref();
    void this.close(reason);
  }

  private async close(reason: EndReason): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const setup = await this.setup;
    if (setup?.ok) {
      setup.target.end();
      for (const relay of this.relays) relay.flush();
      await setup.session.end(reason);
    }
    // A message just written to the person (disconnect) goes out before the connection ends.
    if (this.told) await new Promise((r) => setTimeout(r, 100));
    this.conn.end();
  }
}

function verifySignature(keyBlob: Buffer, data: Buffer, signature: Buffer, hashAlgo?: string): boolean {
  const key = ssh2.utils.parseKey(keyBlob);
  if (key instanceof Error) return false;
  return key.verify(data, signature, hashAlgo) === true;
}
