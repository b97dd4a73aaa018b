/**
 * Retention: recordings that ended more than `retention.days` ago are
 * deleted, at start and then hourly. Without `retention.days` nothing is.
 *
 * The end time is the one the gateway signed in its log when it has one
 * (an index edited to backdate a recording does not get it deleted early);
 * recordings older than the log go by the index. Each deletion is entered
 * in the log before the files go; when that fails, the recording is kept.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { RecordingStore } from '../store/types.js';
import type { GatewayLog } from './gateway-log.js';

const SWEEP_MS = 3_600_000;

export async function sweepRetention(store: RecordingStore, journal: GatewayLog, days: number, log: Logger, now = Date.now()): Promise<string[]> {
  const cutoff = now - days * 86_400_000;
  const deleted: string[] = [];
  const signedEnds = await journal.signedEndTimes();
  for (const r of await store.list({ until: new Date(cutoff).toISOString() })) {
    const endedAt = signedEnds.get(r.id) ?? r.endedAt;
    if (r.status === 'recording' || endedAt === null || !(Date.parse(endedAt) < cutoff)) continue;
    try {
      await journal.deleted(r.id, `retention: ended ${endedAt}, kept ${days} day${days === 1 ? '' : 's'}`);
    } catch (err) {
      log.error({ err, recording: r.id }, 'retention: cannot log the deletion; the recording is kept');
      continue;
    }
    await store.delete(r.id);
    deleted.push(r.id);
  }
  if (deleted.length > 0) log.info({ count: deleted.length, days }, 'retention: deleted recordings');
  return deleted;
}

/** Starts the periodic sweep; returns its stop function. */
export function startRetention(config: Config, store: RecordingStore, journal: GatewayLog, log: Logger): () => void {
  const days = config.retention.days;
  if (days === null || days === undefined) return () => undefined;
  const run = (): void => {
    sweepRetention(store, journal, days, log).catch((err: unknown) => log.error({ err }, 'retention sweep failed'));
  };
  run();
  const timer = setInterval(run, SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
