/**
 * One LISTEN connection per store, shared by every `tail` it serves: a
 * dedicated client (not from the pool, which would hand it back) that hears
 * NOTIFY on the chunks channel and wakes the tails of that recording.
 *
 * Notifications are not queued for a connection that is down, so after a
 * reconnect every tail is woken to re-read; tails also poll slowly as a
 * safety net. The connection opens with the first tail and is re-opened,
 * with a growing delay, after it breaks.
 */
import { EventEmitter, once } from 'node:events';
import type pg from 'pg';
import type { Logger } from '../../log.js';
import { CHUNKS_CHANNEL } from './schema.js';
import { driver } from './pool.js';

/** NOTIFY payload: chunks of a recording's stream landed (`next` = chunks held), or the recording ended (`stream` 0). */
export interface ChunkNotice {
  recording: string;
  stream: number;
  next: number;
}

export function noticePayload(n: ChunkNotice): string {
  return JSON.stringify([n.recording, n.stream, n.next]);
}

export function parseNotice(payload: string | undefined): ChunkNotice | undefined {
  try {
    const [recording, stream, next] = JSON.parse(payload ?? '') as unknown[];
    if (typeof recording === 'string' && typeof stream === 'number' && typeof next === 'number') return { recording, stream, next };
  } catch {
    // not ours: ignored
  }
  return undefined;
}

/** The `any` event wakes every tail (after a reconnect); a recording id wakes that recording's tails. */
const ANY = Symbol('any');

export class ChunkListener {
  private readonly events = new EventEmitter();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private users = 0;
  private closed = false;
  private retryDelay = 100;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly log: Logger,
  ) {
    this.events.setMaxListeners(0);
  }

  /**
   * Subscribes to a recording's notices; `wake` is called on each (and after
   * a reconnect). Resolves once the LISTEN is in place, or at once when the
   * connection cannot be made now (the tail then relies on its poll).
   */
  async subscribe(recording: string, wake: () => void): Promise<() => void> {
    this.events.on(recording, wake);
    this.events.on(ANY, wake);
    this.users++;
    await this.ensure().catch(() => undefined);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.events.off(recording, wake);
      this.events.off(ANY, wake);
      if (--this.users === 0) this.disconnect();
    };
  }

  private ensure(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new (driver().Client)({ ...this.config, application_name: 'recgate listener' });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      const notice = parseNotice(msg.payload);
      if (notice) this.events.emit(notice.recording, notice);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHUNKS_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.scheduleRetry();
      throw err;
    }
    if (this.closed || this.users === 0) {
      await client.end().catch(() => undefined);
      return;
    }
    const wasDown = this.retryDelay > 100;
    this.client = client;
    this.retryDelay = 100;
    if (wasDown) {
      this.log.info('PostgreSQL store: live-view listener connected again');
      this.events.emit(ANY);
    }
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed || this.users === 0) return;
    this.log.warn({ error: err?.message ?? 'connection ended' }, 'PostgreSQL store: live-view listener lost its connection; reconnecting (tails poll meanwhile)');
    this.retryDelay = Math.max(this.retryDelay, 200);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.users === 0 || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensure().catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }

  private disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.events.emit(ANY);
    await this.connecting?.catch(() => undefined);
    this.disconnect();
  }
}

/** Waits for `wake` to be signalled through `flag`, `ms` to pass, or `signal` to abort. */
export async function waitFor(wakeups: EventEmitter, ms: number, signal?: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(ms);
  try {
    await once(wakeups, 'wake', { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch {
    // a timeout or abort: the caller's loop re-reads or stops
  }
}
