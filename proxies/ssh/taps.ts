/**
 * What the recorder sees of a channel. A terminal channel (shell, exec)
 * records its bytes: output on the tty stream, keystrokes on the input
 * stream. An sftp channel records file operations as events, not the file
 * contents.
 */
import type { Session } from '../../src/session/session.js';
import { SftpObserver, type SftpEvent } from './codec/sftp.js';
import { TerminalObserver, type CommandEvent, type KeystrokeRecord } from '../../src/terminal/index.js';

export interface ChannelTap {
  /**
   * Bytes from the target to the person; `t` (the session's `now()`) when they were relayed, by
   * default now: what they cause is recorded at that time.
   */
  fromTarget(data: Uint8Array, t?: number): void;
  /** Bytes from the person to the target; `t` as for fromTarget. */
  fromClient(data: Uint8Array, t?: number): void;
  /** The person's terminal changed size. */
  resize(cols: number, rows: number): void;
  /** The target reported the channel's exit: what the person typed before it is recorded now, before the exit event. */
  settle(): void;
  /** The channel ended. */
  end(): void;
}

/**
 * A channel without a pty (exec with piped input): its input is data, not
 * keystrokes, and is recorded as sent.
 */
export class TerminalTap implements ChannelTap {
  constructor(
    protected readonly session: Session,
    protected readonly channel: number,
  ) {}

  fromTarget(data: Uint8Array, t?: number): void {
    this.session.output(data, this.channel, t);
  }

  fromClient(data: Uint8Array, t?: number): void {
    this.session.input(data, this.channel, t);
  }

  resize(_cols: number, _rows: number): void {}

  settle(): void {}

  end(): void {}
}

/** The part of the terminal observer an interactive tap uses (src/terminal/observer.ts). */
export type KeystrokeObserver = Pick<TerminalObserver, 'output' | 'input' | 'resize' | 'flush' | 'takeCommands'>;

/**
 * An interactive channel with a pty: keystrokes go through the terminal
 * observer, which releases them once it knows whether the target echoed
 * them (unechoed input, such as a password at sudo's prompt, is recorded
 * masked) and reports the commands typed at a prompt. An observer that
 * fails cannot say what to mask, so the channel does not go on unrecorded
 * nor with keystrokes recorded raw: `onBroken` closes it (the output so far
 * is recorded), and no other channel or session is touched.
 */
export class InteractiveTap extends TerminalTap {
  private broken = false;

  constructor(
    session: Session,
    channel: number,
    private readonly onBroken: (why: string) => void,
    private readonly observer: KeystrokeObserver,
  ) {
    super(session, channel);
  }

  override fromTarget(data: Uint8Array, t = this.session.now()): void {
    this.session.output(data, this.channel, t);
    this.observe(() => this.keystrokes(this.observer.output(t, data)));
  }

  override fromClient(data: Uint8Array, t = this.session.now()): void {
    this.observe(() => {
      const { records, commands } = this.observer.input(t, data);
      this.keystrokes(records);
      this.commands(commands, t);
    });
  }

  override resize(cols: number, rows: number): void {
    this.observe(() => this.observer.resize(cols, rows));
  }

  override settle(): void {
    this.observe(() => {
      this.keystrokes(this.observer.flush(this.session.now()));
      this.commands(this.observer.takeCommands());
    });
  }

  override end(): void {
    this.settle();
  }

  private observe(step: () => void): void {
    if (this.broken) return;
    try {
      step();
    } catch (err) {
      this.broken = true;
      this.session.log.error({ err, channel: this.channel }, 'the terminal observer failed; closing the channel');
      this.onBroken((err as Error).message);
    }
  }

  private keystrokes(records: KeystrokeRecord[]): void {
    for (const r of records) this.session.input(r.data, this.channel, r.t);
  }

  /** Commands entered, as events at `t` (the session's time of the keystroke that took them), by default now. */
  private commands(commands: readonly CommandEvent[], t = this.session.now()): void {
    for (const c of commands) {
      this.session.eventAt({ type: 'command', channel: this.channel, command: c.command, typedAt: c.t, ...(c.alternate ? { screen: 'alternate' } : {}) }, t);
    }
  }
}

/**
 * An sftp channel: every file operation becomes an event (path, operation,
 * bytes); the channel's byte counts close it. A stream the observer cannot
 * parse is not allowed to go on unseen: `onBroken` closes the channel.
 */
export class SftpTap implements ChannelTap {
  private readonly observer = new SftpObserver();
  private up = 0;
  private down = 0;
  private broken = false;

  constructor(
    private readonly session: Session,
    private readonly channel: number,
    private readonly onBroken: (why: string) => void,
  ) {}

  fromTarget(data: Uint8Array): void {
    this.down += data.length;
    this.observe(() => this.observer.serverData(data));
  }

  fromClient(data: Uint8Array): void {
    this.up += data.length;
    this.observe(() => this.observer.clientData(data));
  }

  resize(): void {}

  settle(): void {}

  end(): void {
    this.observe(() => this.observer.end());
    this.session.event({ type: 'sftp-end', channel: this.channel, bytesIn: this.up, bytesOut: this.down });
  }

  private observe(read: () => SftpEvent[]): void {
    if (this.broken) return;
    try {
      for (const e of read()) this.session.event({ ...e, channel: this.channel });
    } catch (err) {
      this.broken = true;
      this.session.event({ type: 'protocol-violation', channel: this.channel, side: 'sftp', message: (err as Error).message });
      this.onBroken((err as Error).message);
    }
  }
}
