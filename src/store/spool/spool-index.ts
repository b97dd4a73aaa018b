/**
 * What the spool holds, in memory, so reads of a recording written on this
 * node keep working while the store is down: where each spooled chunk lies
 * on disk (the bytes stay on disk, read back on demand), the checkpoints not
 * yet in the store, and the manifests of the recordings this node writes
 * (kept current as streams are added). Rebuilt from the segments at start.
 */
import type { Checkpoint, Manifest } from '../../seal/manifest.js';
import type { SpoolRecord } from './format.js';
import type { SpooledAt } from './spool-dir.js';

export interface SpooledAppend {
  from: number;
  count: number;
  at: SpooledAt;
}

export class SpoolIndex {
  private readonly appends = new Map<string, SpooledAppend[]>();
  private readonly cps = new Map<string, { checkpoint: Checkpoint; at: SpooledAt }[]>();
  /** Recordings written on this node: their manifest as it stands now. */
  readonly manifests = new Map<string, Manifest>();
  /** Recordings written on this node that have been finalized (spooled or stored). */
  readonly finished = new Set<string>();
  /** Recordings with writes in the spool. */
  private readonly waiting = new Map<string, number>();

  /** A write of this node, stored or spooled: keeps the manifests current. */
  written(record: SpoolRecord): void {
    if (record.kind === 'create') this.manifests.set(record.manifest.id, structuredClone(record.manifest));
    else if (record.kind === 'addStream') {
      const m = this.manifests.get(record.id);
      if (m && !m.streams.some((s) => s.id === record.stream.id)) m.streams.push({ ...record.stream });
    } else if (record.kind === 'finalize') this.finished.add(record.id);
  }

  /** A write now in the spool at `at`. */
  spooled(record: SpoolRecord, at: SpooledAt): void {
    this.written(record);
    const id = recordingOf(record);
    if (id === undefined) return;
    this.waiting.set(id, (this.waiting.get(id) ?? 0) + 1);
    if (record.kind === 'append') {
      const key = `${record.id}/${record.streamId}`;
      const list = this.appends.get(key) ?? [];
      list.push({ from: record.from, count: record.chunks.length, at });
      this.appends.set(key, list);
    } else if (record.kind === 'checkpoint' || record.kind === 'finalize') {
      const list = this.cps.get(record.id) ?? [];
      list.push({ checkpoint: record.checkpoint, at });
      this.cps.set(record.id, list);
    }
  }

  /** A spooled write at `at` is in the store now. */
  drained(record: SpoolRecord, at: SpooledAt): void {
    const id = recordingOf(record);
    if (id === undefined) return;
    const left = (this.waiting.get(id) ?? 1) - 1;
    if (left > 0) this.waiting.set(id, left);
    else this.waiting.delete(id);
    const same = (e: { at: SpooledAt }): boolean => e.at.segment !== at.segment || e.at.offset !== at.offset;
    if (record.kind === 'append') {
      const key = `${record.id}/${record.streamId}`;
      const list = (this.appends.get(key) ?? []).filter(same);
      if (list.length > 0) this.appends.set(key, list);
      else this.appends.delete(key);
    } else if (record.kind === 'checkpoint' || record.kind === 'finalize') {
      const list = (this.cps.get(record.id) ?? []).filter(same);
      if (list.length > 0) this.cps.set(record.id, list);
      else this.cps.delete(record.id);
    }
    // A finished recording with nothing left in the spool needs no more local state.
    if (left <= 0 && this.finished.has(id)) this.forget(id);
  }

  /** The spooled append holding chunk `index` of a stream, if any. */
  find(id: string, streamId: number, index: number): SpooledAppend | undefined {
    return this.appends.get(`${id}/${streamId}`)?.find((e) => index >= e.from && index < e.from + e.count);
  }

  hasWaiting(id: string): boolean {
    return this.waiting.has(id);
  }

  /** Checkpoints (final one included) in the spool, oldest first. */
  checkpoints(id: string): Checkpoint[] {
    return (this.cps.get(id) ?? []).map((e) => e.checkpoint);
  }

  /** Drops what is kept of a recording once the store holds all of it. */
  forget(id: string): void {
    if (this.waiting.has(id)) return;
    this.manifests.delete(id);
    this.finished.delete(id);
  }
}

function recordingOf(record: SpoolRecord): string | undefined {
  if (record.kind === 'log') return undefined;
  return record.kind === 'create' ? record.manifest.id : record.id;
}
