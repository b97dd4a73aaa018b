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
import ssh2, { type AuthContext, type Client, type ClientInfo, type Connection, type ServerChannel, type Session as SshSession, type TcpipRequestInfo } from 'ssh2';
import { checkPassword, findUser, hasSshKey, parseLoginName, route, type Route } from '../../src/auth/users.js';
import type { LoginRateLimiter } from '../../src/auth/rate-limit.js';
import type { UserConfig } from '../../src/config/index.js';
import type { GatewayContext } from '../../src/daemon/proxy.js';
import type { Logger } from '../../src/log.js';
import type { Sodium } from '../../src/seal/sodium.js';
import type { EndReason } from '../../src/session/session.js';
import { ChannelRelay, type Setup } from './channel.js';
import { relayForward } from './forward.js';
import type { HostPins } from './host-pins.js';
import { connectTarget, TargetError } from './target.js';
import { coalesceWrites } from './coalesce.js';

export interface ConnectionDeps {
  gateway: GatewayContext;
  sodium: Sodium;
  pins: HostPins;
  limiter: LoginRateLimiter;
  log: Logger;
}


const REFUSALS: Record<Exclude<Route, { ok: true }>['why'], (target: string) => string> = {
  'unknown-target': (t) => `there is no target named ${t}`,
  'not-allowed': (t) => `you are not allowed to reach ${t}`,
  'wrong-protocol': (t) => `${t} is not an SSH target`,
};

export class SshConnection {
  private readonly address: string;
  private readonly log: Logger;
  private login: { user: UserConfig; target: string } | undefined;
  private setup: Promise<Setup> | undefined;
  private channels = 0;
  private readonly relays = new Set<ChannelRelay>();
  private closed = false;

  constructor(
    private readonly conn: Connection,
    info: ClientInfo,
    private readonly deps: ConnectionDeps,
  ) {
    this.address = info.ip;
    coalesceWrites((conn as unknown as { _sock?: Socket })._sock);
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
    if (!this.deps.limiter.allowed(this.address)) {
      this.log.warn({ method: ctx.method }, 'login refused: too many failed logins from this address');
      return ctx.reject();
    }
    const name = parseLoginName(ctx.username);
    const user = name ? findUser(this.deps.gateway.config, name.user) : undefined;
    let ok = false;
    if (ctx.method === 'password') {
      ok = (await checkPassword(this.deps.sodium, user, ctx.password)) && name !== null;
    } else if (ctx.method === 'publickey') {
      if (!user || !hasSshKey(user, ctx.key.algo, ctx.key.data)) ok = false;
      // A key offered without a signature is only a question ("would you accept this key?").
      else if (!ctx.signature || !ctx.blob) return ctx.accept();
      else ok = verifySignature(ctx.key.data, ctx.blob, ctx.signature, ctx.hashAlgo);
    } else {
      return ctx.reject(['publickey', 'password']);
    }
    if (!ok || !user || !name) {
      const blocked = this.deps.limiter.fail(this.address);
      this.log.warn({ login: ctx.username.slice(0, 128), method: ctx.method, blocked }, 'gateway login failed');
      return ctx.reject(['publickey', 'password']);
    }
    this.deps.limiter.succeed(this.address);
    this.login = { user, target: name.target };
    this.log.info({ user: user.name, target: name.target, method: ctx.method }, 'gateway login');
    ctx.accept();
  }

  private ready(): void {
    const login = this.login!;
    this.setup = this.prepare(login.user, login.target);
  }

  private async prepare(user: UserConfig, targetName: string): Promise<Setup> {
    const r = route(this.deps.gateway.config, user, targetName, 'ssh');
    if (!r.ok) {
      this.log.warn({ user: user.name, target: targetName, why: r.why }, 'session refused');
      return { ok: false, message: REFUSALS[r.why](targetName) };
    }
    let target: Client;
    try {
      target = await connectTarget(r.target, this.deps.pins, this.log);
    } catch (err) {
      const message = err instanceof TargetError ? err.message : `cannot connect to ${targetName}`;
      this.log.warn({ err, target: targetName }, 'target connection failed');
      return { ok: false, message };
    }
    try {
      const session = await this.deps.gateway.openSession({ user: user.name, clientAddress: this.address }, r.target);
      session.attach({
        notify: (message) => this.notify(message),
        disconnect: (reason, message) => this.disconnect(reason, message),
      });
      target.on('close', () => void this.close('target-closed'));
      if (this.closed) target.end();
      return { ok: true, target, session };
    } catch (err) {
      target.end();
      return { ok: false, message: (err as Error).message };
    }
  }

  private async forward(accept: () => ServerChannel, reject: () => void, info: TcpipRequestInfo): Promise<void> {
    const setup = await this.setup;
    if (setup?.ok && setup.session.target.portForwarding) {
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
      await setup.session.end(reason);
    }
    this.conn.end();
  }
}

function verifySignature(keyBlob: Buffer, data: Buffer, signature: Buffer, hashAlgo?: string): boolean {
  const key = ssh2.utils.parseKey(keyBlob);
  if (key instanceof Error) return false;
  return key.verify(data, signature, hashAlgo) === true;
}
