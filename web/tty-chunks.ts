/**
 * One terminal stream of a recording, read chunk by chunk as the player
 * needs it: fetched as ciphertext, opened here, decoded into frames. Each
 * chunk opens alone given its index (src/seal/stream.ts), so playing starts
 * after the first chunk and a seek reads only the chunk that holds the time
 * asked for, found by binary search over chunk start times, narrowed by the
 * checkpoints' clear times and chunk counts (a checkpoint signed at time T
 * covers only chunks sealed before T).
 *
 * Memory stays bounded: at most CACHE decoded chunks are kept (the one
 * playing, the ones prefetched after it, the last probes of a seek), plus
 * one number per chunk whose start time is known.
 */
import { decodeFrames, FrameKind } from '../src/recording/frames.js';
import type { Checkpoint } from '../src/seal/manifest.js';
import type { RecordOpener } from '../src/seal/opener.js';

/** Decoded chunks kept; a 64 KiB chunk decodes to about as much text. */
const CACHE = 8;
/** Slack between a checkpoint's wall-clock time and frame times (ms). */
const CLOCK_SLACK = 2000;

export type TtyFrame = { t: number; text: string } | { t: number; cols: number; rows: number };

export interface TtyChunk {
  index: number;
  frames: TtyFrame[];
  /** Time of the first frame (ms), or of the chunk before when empty. */
  firstT: number;
  lastT: number;
  last: boolean;
}

export type ChunkFetch = (stream: number, index: number) => Promise<Uint8Array | null>;

export class TtyChunks {
  private readonly cache = new Map<number, Promise<TtyChunk>>();
  /** The chunks of `cache` that are open already. */
  private readonly opened = new Map<number, TtyChunk>();
  private readonly starts = new Map<number, number>();
  /** Chunks the stream holds; 0 until `open`. */
  private total = 0;
  private hints: { at: number; chunks: number }[] = [];

  constructor(
    private readonly opener: RecordOpener,
    private readonly streamId: number,
    private readonly fetchChunk: ChunkFetch,
  ) {}

  /**
   * Learns the chunk count (checkpoints, then a probe past them) and the
   * checkpoints' times; returns the recording's length (ms): from the final
   * checkpoint's end time, else the last chunk's last frame.
   */
  async open(checkpoints: Checkpoint[], startedAt: string): Promise<number> {
    const t0 = Date.parse(startedAt);
    for (const cp of checkpoints) {
      const st = cp.streams?.find((s) => s.id === this.streamId);
      const at = Date.parse(cp.at) - t0;
      if (st && Number.isFinite(at)) this.hints.push({ at, chunks: st.chunks });
    }
    let count = this.hints.reduce((n, h) => Math.max(n, h.chunks), 0);
    // Chunks sealed after the last checkpoint (a recording cut short, or still going); none follow a final one.
    if (!checkpoints.at(-1)?.final) while ((await this.fetchChunk(this.streamId, count)) !== null) count++;
    if (count === 0) throw new Error('the terminal stream has no chunk');
    this.total = count;
    const final = checkpoints.at(-1)?.final;
    const ended = final ? Date.parse(final.endedAt) - t0 : Number.NaN;
    return Number.isFinite(ended) && ended >= 0 ? ended : (await this.chunk(count - 1)).lastT;
  }

  get count(): number {
    return this.total;
  }

  /** Chunk `index`, fetched and opened once while it stays in the cache. */
  chunk(index: number): Promise<TtyChunk> {
    let entry = this.cache.get(index);
    if (entry) {
      this.cache.delete(index);
      this.cache.set(index, entry);
      return entry;
    }
    entry = this.load(index);
    entry.then(
      (c) => this.cache.get(index) === entry && this.opened.set(index, c),
      () => this.cache.delete(index),
    );
    this.cache.set(index, entry);
    while (this.cache.size > CACHE) {
      const oldest = this.cache.keys().next().value!;
      this.cache.delete(oldest);
      this.opened.delete(oldest);
    }
    return entry;
  }

  /** The chunk that holds time `t` (ms): the last one starting at or before it. */
  async locate(t: number): Promise<number> {
    const last = this.total - 1;
    // A chunk at hand whose frames run to `t` holds it: the next one starts at or after its last frame.
    for (const c of this.opened.values()) {
      if (c.firstT <= t && (t <= c.lastT || c.index === last)) return c.index;
    }
    let lo = 0;
    let hi = last;
    for (const h of this.hints) {
      if (h.at <= t && h.chunks - 1 > lo) lo = Math.min(last, h.chunks - 1);
      if (h.at >= t + CLOCK_SLACK && h.chunks - 1 < hi) hi = Math.max(lo, h.chunks - 1);
    }
    const found = await this.search(t, lo, hi);
    if (await this.holds(found, t)) return found;
    return this.search(t, 0, last);
  }

  /**
   * The last chunk in [lo, hi] that starts at or before `t`: a search that
   * fetches three chunks at once, cutting the range in four per round trip.
   */
  private async search(t: number, lo: number, hi: number): Promise<number> {
    while (lo < hi) {
      const span = hi - lo + 1;
      const probes = [...new Set([1, 2, 3].map((k) => lo + Math.ceil((k * span) / 4)))].filter((i) => i <= hi);
      const starts = await Promise.all(probes.map((i) => this.startOf(i)));
      let next = lo;
      let bound = hi;
      probes.forEach((i, k) => {
        if (starts[k]! <= t) next = Math.max(next, i);
        else bound = Math.min(bound, i - 1);
      });
      lo = next;
      hi = Math.max(lo, bound);
    }
    return lo;
  }

  private async holds(index: number, t: number): Promise<boolean> {
    if (index > 0 && (await this.startOf(index)) > t) return false;
    return index === this.total - 1 || (await this.startOf(index + 1)) > t;
  }

  private async startOf(index: number): Promise<number> {
    return this.starts.get(index) ?? (await this.chunk(index)).firstT;
  }

  private async load(index: number): Promise<TtyChunk> {
    const data = await this.fetchChunk(this.streamId, index);
    if (!data) throw new Error(`chunk ${index} of the terminal stream is missing from the store`);
    const opened = this.opener.openChunk(this.streamId, index, data);
    const frames: TtyFrame[] = [];
    // One decoder per chunk: chunks load out of order when seeking.
    const decoder = new TextDecoder('utf-8');
    for (const f of decodeFrames(opened.plaintext)) {
      if (f.kind === FrameKind.Data) frames.push({ t: f.t, text: decoder.decode(f.data, { stream: true }) });
      else if (f.kind === FrameKind.Resize) frames.push({ t: f.t, cols: f.cols, rows: f.rows });
    }
    opened.plaintext.fill(0);
    const firstT = frames[0]?.t ?? this.starts.get(index - 1) ?? 0;
    this.starts.set(index, firstT);
    return { index, frames, firstT, lastT: frames.at(-1)?.t ?? firstT, last: opened.last };
  }
}
