/**
 * One session channel, relayed between the person's client and the target:
 * pty and window changes, env per policy, shell / exec / the sftp subsystem,
 * signals and exit status. Bytes pass through untouched; the recorder sees a
 * copy. Flow control runs end to end: when the person's client or the
 * recorder cannot keep up, the target side is paused (and the other way
 * round), so nothing buffers without bound.
 */
import type { Client, ClientChannel, PseudoTtyInfo, ServerChannel, Session as SshSession } from 'ssh2';
import type { Logger } from '../../src/log.js';
import type { Session } from '../../src/session/session.js';
import { TerminalObserver } from '../../src/terminal/index.js';
import { guardWindow, packetSizeProblem } from './flow-guard.js';
import { DeferredTap } from './deferred-tap.js';
import { InteractiveTap, SftpTap, TerminalTap, type ChannelTap } from './taps.js';
import { repairWindowResume } from './window-resume.js';

export type Setup = { ok: true; target: Client; session: Session } | { ok: false; message: string };

type Kind = { kind: 'shell' } | { kind: 'exec'; command: string } | { kind: 'subsystem'; name: string };

/** Environment variables a client may set on the target (locale and time zone only). */
const ENV_ALLOWED = /^(LANG|LANGUAGE|LC_[A-Z_]+|TZ)$/;

/** How long a closing channel waits for the person's client to take the gateway's last message (ms). */
const MESSAGE_GRACE_MS = 10_000;

export class ChannelRelay {
  private pty: PseudoTtyInfo | undefined;
  private readonly env: Record<string, string> = {};
  private client: ServerChannel | undefined;
  private target: ClientChannel | undefined;
  private session: Session | undefined;
  private readonly blocked = new Set<string>();
  private tap: DeferredTap | undefined;
  /** Set once the channel was closed for a protocol violation: nothing more is opened for it. */
  private broken = false;

  constructor(
    private readonly ssh: SshSession,
    readonly index: number,
    private readonly setup: Promise<Setup>,
    private readonly log: Logger,
    private readonly onClose: (relay: ChannelRelay) => void,
  ) {
    ssh.on('pty', (accept, _reject, info) => {
      this.pty = info;
      accept?.();
    });
    ssh.on('window-change', (accept, _reject, info) => {
      accept?.();
      if (this.pty) Object.assign(this.pty, { cols: info.cols, rows: info.rows });
      this.target?.setWindow(info.rows, info.cols, info.height, info.width);
      this.flush();
      this.session?.resize(info.cols, info.rows, this.index);
      this.tap?.resize(info.cols, info.rows);
    });
    ssh.on('env', (accept, reject, info) => {
      if (ENV_ALLOWED.test(info.key) && info.val.length <= 256) {
        this.env[info.key] = info.val;
        accept?.();
      } else this.refuseRequest('env', reject, { name: info.key.slice(0, 64) });
    });
    ssh.on('shell', (accept) => void this.start(accept(), { kind: 'shell' }));
    ssh.on('exec', (accept, _reject, info) => void this.start(accept(), { kind: 'exec', command: info.command }));
    ssh.on('subsystem', (accept, reject, info) => {
      if (info.name !== 'sftp') return this.refuseRequest('subsystem', reject, { name: info.name.slice(0, 64) });
      void this.start(accept() as unknown as ServerChannel, { kind: 'subsystem', name: info.name });
    });
    ssh.on('signal', (accept, _reject, info) => {
      accept?.();
      this.target?.signal(info.name);
    });
    // A request sent without want-reply has no reject to call (ssh -A sends agent forwarding so).
    ssh.on('auth-agent', (_accept, reject) => this.refuseRequest('agent-forwarding', reject));
    ssh.on('x11', (_accept, reject) => this.refuseRequest('x11-forwarding', reject));
    ssh.on('close', () => this.closeAll());
  }

  /** Refuses a channel request (answering only when the client asked for an answer), logged and recorded. */
  private refuseRequest(request: string, reject: (() => void) | undefined, detail: Record<string, string> = {}): void {
    reject?.();
    this.log.warn({ channel: this.index, request, ...detail }, 'channel request refused');
    void this.setup.then((setup) => {
      if (setup.ok) setup.session.event({ type: 'request-refused', channel: this.index, request, ...detail });
    });
  }

  /** Records what was relayed and waits to be (deferred-tap.ts): before anything else is recorded. */
  flush(): void {
    this.tap?.flush();
  }

  /** A line in the person's terminal (stderr), e.g. a limit warning or a termination message. */
  notify(message: string): void {
    this.flush();
    if (!this.client || this.client.destroyed) return;
    this.client.stderr.write(`\r\n${message}\r\n`);
  }

  private async start(client: ServerChannel, kind: Kind): Promise<void> {
    repairWindowResume(client);
    this.client = client;
    guardWindow(client as never, (why) => this.violation('client', why));
    const problem = packetSizeProblem(client as never);
    // Nothing can be written to such a channel (writing is what would spin): close it.
    if (problem) return this.violation('client', problem);
    const setup = await this.setup;
    if (this.broken) return;
    if (!setup.ok) return this.refuse(setup.message);
    this.session = setup.session;
    let target: ClientChannel;
    try {
      target = await this.openTarget(setup.target, kind);
    } catch (err) {
      this.log.warn({ err }, 'target refused the channel');
      return this.refuse(`the target refused the ${kind.kind}: ${(err as Error).message}`);
    }
    this.target = target;
    if (this.broken) return void target.close();
    guardWindow(target as never, (why) => this.violation('target', why));
    const targetProblem = packetSizeProblem(target as never);
    if (targetProblem) {
      this.log.warn({ side: 'target', why: targetProblem }, 'flow control violated; closing the channel');
      target.close();
      return this.refuse(`the target's ${targetProblem}`);
    }
    this.record(kind);
    const session = setup.session;
    this.tap = new DeferredTap(
      this.makeTap(kind, session),
      () => session.now(),
      () => {
        if (!session.writable) this.block('recorder', target);
      },
      (err) => this.violation('gateway', err instanceof Error ? err.message : String(err)),
    );
    this.relay(client, target, session, this.tap);
  }

  private openTarget(target: Client, kind: Kind): Promise<ClientChannel> {
    const pty = this.pty ? { term: this.pty.term, cols: this.pty.cols, rows: this.pty.rows, width: this.pty.width, height: this.pty.height, modes: this.pty.modes } : undefined;
    return new Promise((resolve, reject) => {
      const done = (err: Error | undefined, channel: ClientChannel): void => (err ? reject(err) : resolve(channel));
      if (kind.kind === 'shell') target.shell(pty ?? false, { env: this.env }, done);
      else if (kind.kind === 'exec') target.exec(kind.command, pty ? { env: this.env, pty } : { env: this.env }, done);
      else target.subsys(kind.name, done);
    });
  }

  private makeTap(kind: Kind, session: Session): ChannelTap {
    if (kind.kind === 'subsystem') return new SftpTap(session, this.index, (why) => this.violation('client', `unreadable sftp stream: ${why}`));
    if (!this.pty) return new TerminalTap(session, this.index);
    const observer = new TerminalObserver(this.pty.cols, this.pty.rows);
    return new InteractiveTap(session, this.index, (why) => this.violation('gateway', `the terminal observer failed: ${why}`), observer);
  }

  private record(kind: Kind): void {
    const s = this.session!;
    if (kind.kind !== 'subsystem') s.terminal(this.index, { term: this.pty?.term, cols: this.pty?.cols ?? 80, rows: this.pty?.rows ?? 24 });
    if (kind.kind === 'exec') s.event({ type: 'exec', channel: this.index, command: kind.command, pty: this.pty !== undefined });
    else if (kind.kind === 'shell') s.event({ type: 'shell', channel: this.index });
    else s.event({ type: 'subsystem', channel: this.index, name: kind.name });
  }

  private relay(client: ServerChannel, target: ClientChannel, session: Session, tap: ChannelTap): void {
    const channel = this.index;
    const pauseTarget = (why: string): void => this.block(why, target);
    // Forward first, record second: the tap records once this turn's writes have gone out (deferred-tap.ts).
    target.on('data', (data: Buffer) => {
      if (!client.write(data)) pauseTarget('client');
      tap.fromTarget(data);
    });
    target.stderr.on('data', (data: Buffer) => {
      if (!client.stderr.write(data)) pauseTarget('client');
      tap.fromTarget(data);
    });
    client.on('drain', () => this.unblock('client', target));
    session.on('drain', () => this.unblock('recorder', target));
    client.on('data', (data: Buffer) => {
      if (!target.write(data)) client.pause();
      session.activity();
      tap.fromClient(data);
    });
    target.on('drain', () => client.resume());
    client.on('end', () => target.end());
    target.on('exit', (code: number | null, signal?: string) => {
      // The shell exits because of a command typed last (`exit`): its command event comes first.
      tap.settle();
      session.event({ type: 'exit', channel, code, signal: signal ?? null });
      if (signal) client.exit(signal, false, '');
      else client.exit(code ?? 0);
    });
    target.on('close', () => {
      tap.end();
      // A channel closed for a violation is closed once the person has the message (see violation).
      if (!this.broken) client.end();
    });
    client.on('close', () => this.closeAll());
  }

  private block(why: string, target: ClientChannel): void {
    if (this.blocked.size === 0) target.pause();
    this.blocked.add(why);
  }

  private unblock(why: string, target: ClientChannel): void {
    if (!this.blocked.delete(why)) return;
    if (this.blocked.size === 0) target.resume();
  }

  private refuse(message: string): void {
    const client = this.client!;
    client.stderr.write(`recgate: ${message}\r\n`);
    client.exit(1);
    client.end();
  }

  /**
   * Closes the channel: a side broke the protocol (`client`, `target`), or the gateway cannot
   * record it (`gateway`); the person is told why, after what was relayed before.
   */
  private violation(side: 'client' | 'target' | 'gateway', why: string): void {
    if (this.broken) return;
    this.broken = true;
    this.flush();
    this.log.warn({ side, why }, side === 'gateway' ? 'the channel cannot be recorded; closing it' : 'flow control violated; closing the channel');
    if (side === 'gateway') this.session?.event({ type: 'channel-unrecordable', channel: this.index, message: why });
    else this.session?.event({ type: 'protocol-violation', channel: this.index, side, message: why });
    this.target?.close();
    this.target?.destroy();
    const client = this.client;
    if (!client) return;
    const close = (): void => {
      clearTimeout(grace);
      client.close();
      client.destroy();
    };
    let grace: NodeJS.Timeout | undefined;
    if (side === 'client' || client.destroyed) return close();
    // The person is told why, after what was relayed before. When their client's window is
    // full, the message waits for it to read on (for a while) rather than being dropped.
    grace = setTimeout(close, MESSAGE_GRACE_MS).unref();
    const told = side === 'gateway' ? `this channel cannot be recorded (${why})` : `the target broke SSH flow control (${why})`;
    client.stderr.write(`\r\nrecgate: ${told}; channel closed\r\n`, close);
  }

  private closeAll(): void {
    this.target?.close();
    this.onClose(this);
  }
}
