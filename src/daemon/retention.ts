/**
 * Retention, at start and then hourly:
 *
 * - recordings that ended more than `retention.days` ago are deleted, from
 *   the hot store and from the archive alike, by crypto-shredding (the store
 *   destroys the sealed record keys durably before the chunks);
 * - with `retention.archiveAfterDays` and `retention.archive`, recordings that
 *   ended more than that many days ago move to the archive store
 *   (src/store/archive.ts: copy, check, log, then delete the original).
 *
 * The end time is the one the gateway signed in its log when it has one
 * (an index edited to backdate a recording does not get it deleted or moved
 * early); recordings older than the log go by the index. Each deletion and
 * each move is entered in the log before the original goes; when that fails,
 * the recording is kept where it is and the next sweep tries again. A
 * deletion the log already records (one cut short by a crash) is finished
 * without a second entry.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import { withSweepLock } from '../retention/sweep-lock.js';
import { ConfigError } from '../errors.js';
import { describeLocation, isHotStore, moveRecording, openArchiveStore } from '../store/archive.js';
import { TieredStore } from '../store/tiered.js';
import type { RecordingStore, RecordingSummary } from '../store/types.js';
import type { GatewayLog } from './gateway-log.js';

const SWEEP_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Failures in a row after which a sweep stops a phase (a store down), so its log stays a few lines. */
const GIVE_UP_AFTER = 3;

export interface RetentionPolicy {
  days: number | null;
  archiveAfterDays?: number | null;
}

export interface RetentionStores {
  hot: RecordingStore;
  /** The archive tier and how logs name it (describeLocation). */
  archive?: { store: RecordingStore; name: string } | undefined;
}

export interface SweepResult {
  deleted: string[];
  archived: string[];
  /** Recordings a step failed for (logged); the next sweep tries again. */
  failed: string[];
}

type Journal = Pick<GatewayLog, 'deleted' | 'archived' | 'retentionFacts'>;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

interface Due {
  r: RecordingSummary;
  endedAt: string;
}

/** What one sweep knows and reports, shared by its two phases. */
interface Sweep {
  stores: RetentionStores;
  journal: Journal;
  log: Logger;
  stopped: () => boolean;
  result: SweepResult;
  /** Finished recordings of `store` that ended before `cutoff` (the signed end time first). */
  endedBefore(store: RecordingStore, cutoff: number): Promise<Due[]>;
  /** Recordings whose deletion the log already records. */
  deletedInLog: Set<string>;
}

export async function sweepRetention(stores: RetentionStores, journal: Journal, policy: RetentionPolicy, log: Logger, now = Date.now(), stopped: () => boolean = () => false): Promise<SweepResult> {
  const facts = await journal.retentionFacts();
  const sweep: Sweep = {
    stores,
    journal,
    log,
    stopped,
    result: { deleted: [], archived: [], failed: [] },
    deletedInLog: facts.deleted,
    async endedBefore(store, cutoff) {
      const out: Due[] = [];
      for (const r of await store.list({ until: new Date(cutoff).toISOString() })) {
        const endedAt = facts.ends.get(r.id) ?? r.endedAt;
        if (r.status !== 'recording' && endedAt !== null && Date.parse(endedAt) < cutoff) out.push({ r, endedAt });
      }
      return out;
    },
  };
  if (policy.days !== null) {
    await deleteExpired(sweep, stores.hot, 'hot', policy.days, now);
    if (stores.archive) await deleteExpired(sweep, stores.archive.store, 'archive', policy.days, now);
  }
  const afterDays = policy.archiveAfterDays ?? null;
  if (stores.archive && afterDays !== null) await moveOld(sweep, stores.archive, afterDays, now);
  const { result } = sweep;
  if (result.deleted.length + result.archived.length + result.failed.length > 0) {
    log.info({ deleted: result.deleted.length, archived: result.archived.length, failed: result.failed.length }, 'retention: sweep done');
  }
  return result;
}

/** Deletes what ended more than `days` ago from one store: logged first (once), then shredded. */
async function deleteExpired(sweep: Sweep, store: RecordingStore, tier: 'hot' | 'archive', days: number, now: number): Promise<void> {
  const { journal, log, result } = sweep;
  const streak = new FailureStreak(log, `deleting from the ${tier} store`);
  for (const { r, endedAt } of await sweep.endedBefore(store, now - days * DAY_MS)) {
    if (sweep.stopped() || streak.givenUp) return;
    if (!sweep.deletedInLog.has(r.id)) {
      try {
        await journal.deleted(r.id, `retention: ended ${endedAt}, kept ${plural(days, 'day')}`);
      } catch (err) {
        log.error({ err, recording: r.id }, 'retention: cannot log the deletion; the recording is kept');
        result.failed.push(r.id);
        streak.failed();
        continue;
      }
    }
    try {
      await store.delete(r.id);
      // A copy a move cut short may be left in the archive: it goes too (a no-op when there is none).
      if (tier === 'hot' && sweep.stores.archive) await sweep.stores.archive.store.delete(r.id);
    } catch (err) {
      log.error({ err, recording: r.id, tier }, 'retention: cannot delete the recording; the next sweep finishes it');
      result.failed.push(r.id);
      streak.failed();
      continue;
    }
    streak.succeeded();
    log.info({ recording: r.id, tier, endedAt, days }, 'retention: recording deleted (its sealed keys destroyed first)');
    result.deleted.push(r.id);
  }
}

/** Moves what ended more than `afterDays` ago from the hot store to the archive (see moveRecording). */
async function moveOld(sweep: Sweep, archive: { store: RecordingStore; name: string }, afterDays: number, now: number): Promise<void> {
  const { journal, log, result } = sweep;
  const skip = new Set([...result.deleted, ...result.failed]);
  const streak = new FailureStreak(log, 'moving to the archive');
  for (const { r, endedAt } of await sweep.endedBefore(sweep.stores.hot, now - afterDays * DAY_MS)) {
    if (sweep.stopped() || streak.givenUp) return;
    if (skip.has(r.id)) continue;
    const reason = `retention: ended ${endedAt}, archived after ${plural(afterDays, 'day')}`;
    try {
      await moveRecording(sweep.stores.hot, archive.store, r.id, { journal, reason, archive: archive.name, log: log.child({ recording: r.id }) });
    } catch (err) {
      log.error({ err, recording: r.id, archive: archive.name }, 'retention: cannot move the recording to the archive; it stays in the hot store');
      result.failed.push(r.id);
      streak.failed();
      continue;
    }
    streak.succeeded();
    log.info({ recording: r.id, endedAt, archive: archive.name, archiveAfterDays: afterDays }, 'retention: recording moved to the archive');
    result.archived.push(r.id);
  }
}

/** Counts failures in a row; at GIVE_UP_AFTER the phase stops with one line, and the next sweep tries again. */
class FailureStreak {
  private inRow = 0;

  constructor(
    private readonly log: Logger,
    private readonly phase: string,
  ) {}

  get givenUp(): boolean {
    return this.inRow >= GIVE_UP_AFTER;
  }

  failed(): void {
    if (++this.inRow === GIVE_UP_AFTER) this.log.error({ phase: this.phase }, `retention: ${GIVE_UP_AFTER} failures in a row ${this.phase}; the rest waits for the next sweep`);
  }

  succeeded(): void {
    this.inRow = 0;
  }
}

/** A running retention: the store readers use (the hot store, with the archive behind it when there is one), and its stop. */
export interface Retention {
  readStore: RecordingStore;
  /** Lets a running sweep finish the recording it is on, then closes the archive. */
  stop(): Promise<void>;
}

/**
 * Opens the archive store when one is configured and starts the periodic
 * sweep (one node at a time on a shared store, see sweep-lock.ts).
 */
export function startRetention(config: Config, store: RecordingStore, journal: GatewayLog, log: Logger): Retention {
  const { days, archiveAfterDays, archive: location } = config.retention;
  if (location !== null && isHotStore(location, config.store, config.gateway.dataDir)) {
    throw new ConfigError(`retention.archive names the hot store itself (${describeLocation(location)}); give the archive a directory or database of its own`);
  }
  const archive = location !== null ? { store: openArchiveStore(location, log, config.gateway.nodeId), name: describeLocation(location) } : undefined;
  const readStore = archive ? new TieredStore(store, archive.store) : store;
  if (days === null && (archiveAfterDays === null || archive === undefined)) return { readStore, stop: async () => void (await archive?.store.close()) };
  let stopping = false;
  let sweep: Promise<void> | undefined;
  // A sweep still running when the next is due (a long archive move) is not doubled.
  const run = (): void => {
    if (sweep !== undefined || stopping) return;
    sweep = withSweepLock(store, () => sweepRetention({ hot: store, archive }, journal, { days, archiveAfterDays }, log, Date.now(), () => stopping))
      .then(
        (result) => void (result === 'busy' && log.info('retention: another node is sweeping the shared store; this sweep is skipped')),
        (err: unknown) => log.error({ err }, 'retention sweep failed'),
      )
      .finally(() => (sweep = undefined));
  };
  run();
  const timer = setInterval(run, SWEEP_MS);
  timer.unref();
  return {
    readStore,
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      await sweep;
      await archive?.store.close();
    },
  };
}
