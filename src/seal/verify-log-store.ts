/**
 * A recording held against what the gateway's log says of it (trusted
 * entries only, see verify-log.ts). The recording's own signatures protect
 * what it holds; the log protects that it still exists, how far it went and
 * how it ended.
 *
 * Errors: started and never deleted by the gateway, yet absent (deleted; or
 * moved to an archive this verifier is not configured with);
 * ended or interrupted with N checkpoints or chunks while the store holds
 * fewer (cut short) or more; a last checkpoint that differs; a status, end
 * time or end reason other than the log's (edited); metadata other than at
 * its start; marked interrupted without an `interrupted` entry.
 * Warnings: a recording the log never mentions (older than the log, or its
 * start could not be written); complete without an `end` entry; deleted by
 * the gateway yet still held.
 */
import { FindingList, type Finding } from './findings.js';
import { checkpointDigest, type ChunkCounts, type LogArchived, type LogEnd, type LogEntry, type LogInterrupted } from './log.js';
import type { Checkpoint, RecordingStatus } from './manifest.js';
import type { Sodium } from './sodium.js';

export interface StoredRecording {
  /** The index row's status, end time and end reason. */
  status: RecordingStatus;
  endedAt: string | null;
  endReason: string | null;
  /** metaHash of the manifest's metadata; null when it cannot be computed. */
  metaHash: string | null;
  checkpoints: Checkpoint[];
  /** Whole chunks the store holds per stream name. */
  chunks: ChunkCounts;
}

type Close = (LogEnd | LogInterrupted) & { seq: number };

/** `stored` null: the store holds no such recording. */
export function checkRecordingLog(s: Sodium, id: string, entries: readonly LogEntry[] | undefined, stored: StoredRecording | null): Finding[] {
  const report = new FindingList(id);
  const list = entries ?? [];
  const start = list.find((e) => e.kind === 'start');
  const close = list.filter((e): e is LogEntry & Close => e.kind === 'end' || e.kind === 'interrupted').at(-1);
  const deleted = list.filter((e) => e.kind === 'deleted').at(-1);
  if (stored === null) {
    const first = list[0];
    const archived = list.filter((e): e is LogEntry & LogArchived => e.kind === 'archived').at(-1);
    if (first && !deleted && archived) {
      report.error(`the log records its move to the archive (seq ${archived.seq}: ${archived.archive}), but no store holds it (deleted, or retention.archive is not configured here)`);
    } else if (first && !deleted) report.error(`the log records its ${first.kind} (seq ${first.seq}), but the store no longer holds it (deleted)`);
    return report.findings;
  }
  if (list.length === 0) {
    report.warning("the gateway's log never mentions this recording (older than the log, or its start could not be logged); its content is still protected by its signatures");
    return report.findings;
  }
  if (deleted) report.warning(`the log records its deletion (seq ${deleted.seq}: ${deleted.reason}), yet the store still holds it`);
  if (!start) report.warning('the log has no start entry for it');
  else if (stored.metaHash !== start.metaHash) report.error(`its metadata differs from what the log recorded at its start (seq ${start.seq})`);
  if (!close) checkOpen(stored, report);
  else checkClosed(s, close, stored, report);
  return report.findings;
}

function checkOpen(stored: StoredRecording, report: FindingList): void {
  if (stored.status === 'complete') {
    report.warning('the log does not record its end (it could not be written); its content is protected by its final checkpoint');
  } else if (stored.status === 'interrupted') {
    report.error('the index says interrupted, but the log records no end and no interruption (status edited)');
  }
}

function checkClosed(s: Sodium, close: Close, stored: StoredRecording, report: FindingList): void {
  const at = `the log (seq ${close.seq})`;
  const status = close.kind === 'end' ? 'complete' : 'interrupted';
  const reason = close.kind === 'end' ? close.endReason : 'interrupted';
  if (stored.status !== status) {
    const how = close.kind === 'end' ? `ended complete (${close.endReason})` : 'was interrupted';
    report.error(`the index says ${stored.status}, ${at} records that it ${how} (status edited, or cut short)`);
  }
  if (stored.endedAt !== close.endedAt) report.error(`the index says endedAt ${JSON.stringify(stored.endedAt)}, ${at} ${JSON.stringify(close.endedAt)}`);
  if (stored.endReason !== reason) report.error(`the index says endReason ${JSON.stringify(stored.endReason)}, ${at} ${JSON.stringify(reason)}`);
  checkCheckpoints(s, close, stored, report, at);
  checkChunks(close, stored, report, at);
}

function checkCheckpoints(s: Sodium, close: Close, stored: StoredRecording, report: FindingList, at: string): void {
  const held = stored.checkpoints.length;
  const logged = close.checkpoints;
  if (held < logged) {
    report.error(`cut short: ${at} records ${logged} checkpoint${logged === 1 ? '' : 's'}, the store holds ${held}`);
    return;
  }
  if (held > logged) {
    report.error(`${at} records ${logged} checkpoint${logged === 1 ? '' : 's'}, the store holds ${held} (added after it was closed)`);
    return;
  }
  const last = stored.checkpoints.at(-1);
  const want = close.kind === 'end' ? close.finalCheckpoint : close.lastCheckpoint;
  const digest = last === undefined ? null : checkpointDigest(s, last);
  if (digest !== want) report.error(`its last checkpoint differs from the one ${at} records (replaced)`);
}

const chunks = (n: number): string => `${n} chunk${n === 1 ? '' : 's'}`;

function checkChunks(close: Close, stored: StoredRecording, report: FindingList, at: string): void {
  for (const [name, logged] of Object.entries(close.chunks)) {
    const held = stored.chunks[name] ?? 0;
    if (held < logged) report.error(`cut short: ${at} records ${chunks(logged)}, the store holds ${held}`, name);
    else if (held > logged && close.kind === 'interrupted') {
      report.error(`${at} records ${chunks(logged)}, the store holds ${held} (added after it was closed)`, name);
    }
  }
  for (const name of Object.keys(stored.chunks)) {
    if (!(name in close.chunks) && (stored.chunks[name] ?? 0) > 0) report.error(`${at} records no such stream (added after it was closed)`, name);
  }
}
