/**
 * One dedicated connection LISTENing on the cluster channel. A NOTIFY only
 * shortens a wait: whoever listens also polls its queue, so a notification
 * lost while the connection was down costs latency, never a request. A broken
 * connection is logged and opened again on the next `ensure()`.
 */
import pg from 'pg';
import type { Secret } from '../config/secret.js';
import type { Logger } from '../log.js';
import { describeUrl } from '../store/postgres/pool.js';
import { CLUSTER_CHANNEL } from './schema.js';

export class Wakeups {
  private client: pg.Client | undefined;
  private opening: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly url: Secret,
    private readonly log: Logger,
    private readonly onPayload: (payload: string) => void,
    private readonly applicationName = 'recgate',
  ) {}

  /** Connects and LISTENs when not connected; failures are logged, not thrown. */
  ensure(): Promise<void> {
    if (this.closed || this.client) return Promise.resolve();
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url.reveal(), application_name: this.applicationName, connectionTimeoutMillis: 5_000, keepAlive: true });
    const lost = (err?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (!this.closed) this.log.warn({ store: describeUrl(this.url), error: err?.message ?? 'connection ended' }, 'cluster: lost the notification connection; polling until it is back');
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      if (n.channel === CLUSTER_CHANNEL && n.payload !== undefined) this.onPayload(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
    } catch (err) {
      client.end().catch(() => undefined);
      this.log.warn({ store: describeUrl(this.url), error: (err as Error).message }, 'cluster: cannot open the notification connection; polling instead');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.opening;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
