/**
 * What the recorder sees of a channel. A terminal channel (shell, exec)
 * records its bytes: output on the tty stream, keystrokes on the input
 * stream. An sftp channel records file operations as events, not the file
 * contents.
 */
import type { Session } from '../../src/session/session.js';
import { SftpObserver, type SftpEvent } from './codec/sftp.js';

export interface ChannelTap {
  /** Bytes from the target to the person. */
  fromTarget(data: Uint8Array): void;
  /** Bytes from the person to the target. */
  fromClient(data: Uint8Array): void;
  /** The channel ended. */
  end(): void;
}

export class TerminalTap implements ChannelTap {
  constructor(
    private readonly session: Session,
    private readonly channel: number,
  ) {}

  fromTarget(data: Uint8Array): void {
    this.session.output(data, this.channel);
  }

  fromClient(data: Uint8Array): void {
    this.session.input(data, this.channel);
  }

  end(): void {}
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
