/**
 * Retention: recordings that ended more than `retention.days` ago are
 * deleted, at start and then hourly. Without `retention.days` nothing is.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { RecordingStore } from '../store/types.js';

const SWEEP_MS = 3_600_000;

export async function sweepRetention(store: RecordingStore, days: number, log: Logger, now = Date.now()): Promise<string[]> {
  const cutoff = now - days * 86_400_000;
  const deleted: string[] = [];
  for (const r of await store.list({ until: new Date(cutoff).toISOString() })) {
    if (r.status === 'recording' || r.endedAt === null || Date.parse(r.endedAt) >= cutoff) continue;
    await store.delete(r.id);
    deleted.push(r.id);
  }
  if (deleted.length > 0) log.info({ count: deleted.length, days }, 'retention: deleted recordings');
  return deleted;
}

/** Starts the periodic sweep; returns its stop function. */
export function startRetention(config: Config, store: RecordingStore, log: Logger): () => void {
  const days = config.retention.days;
  if (days === null || days === undefined) return () => undefined;
  const run = (): void => {
    sweepRetention(store, days, log).catch((err: unknown) => log.error({ err }, 'retention sweep failed'));
  };
  run();
  const timer = setInterval(run, SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
