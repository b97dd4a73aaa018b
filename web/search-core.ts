/**
 * Search across recordings, the page's side: the recordings a listing
 * selects are read one at a time (events stream only: commands, queries,
 * typed text, titles, paths), each decrypted here, and matched as the CLI's
 * `recordings search` matches events (eventText, excerpt). Nothing but the
 * hits is kept, and at most MAX_HITS of them, so memory stays bounded
 * whatever the number or length of the recordings. Pure of the DOM: the
 * listing, the reading and the reporting are passed in.
 */
import { eventText, excerpt } from '../src/cli/excerpt.js';
import { FrameKind, type Frame, type RecordedEvent } from '../src/recording/frames.js';
import type { RecordingSummary } from '../src/store/types.js';

/** Hits kept before a search stops early. */
export const MAX_HITS = 500;
/** Event types that say nothing a person did or saw as text (screen change per second, terminal size). */
const NOT_SEARCHED = new Set(['activity', 'terminal']);

export interface SearchHit {
  recording: Pick<RecordingSummary, 'id' | 'user' | 'target' | 'protocol' | 'startedAt'>;
  /** Milliseconds since the session start. */
  t: number;
  type: string;
  snippet: string;
}

/** The hit in one event, or undefined; `needle` in lower case. */
export function matchEvent(event: RecordedEvent, needle: string): { type: string; snippet: string } | undefined {
  const type = String(event.type);
  if (NOT_SEARCHED.has(type)) return undefined;
  const snippet = excerpt(eventText(event), needle);
  return snippet === undefined ? undefined : { type, snippet };
}

export interface SearchSteps {
  /** Every recording the search covers (the current filter's listing, all pages). */
  recordings(): Promise<RecordingSummary[]>;
  /** Called once the count is known, before any recording is read (the audit line). */
  starting(total: number): Promise<void>;
  /** The decrypted events stream of one recording. */
  events(recording: RecordingSummary): AsyncIterable<Frame>;
  progress(done: number, total: number): void;
  hit(hit: SearchHit): void;
}

export interface SearchResult {
  searched: number;
  total: number;
  hits: number;
  /** Why it ended before reading every recording: cancelled, or the hit limit. */
  stopped?: 'cancelled' | 'too many hits';
  /** Recordings that could not be read, with the reason (the search goes on past them). */
  failed: { id: string; error: string }[];
}

export async function runSearch(query: string, steps: SearchSteps, signal: AbortSignal): Promise<SearchResult> {
  const needle = query.trim().toLowerCase();
  if (needle === '') throw new Error('type something to search for');
  const recordings = await steps.recordings();
  const result: SearchResult = { searched: 0, total: recordings.length, hits: 0, failed: [] };
  await steps.starting(recordings.length);
  steps.progress(0, recordings.length);
  for (const r of recordings) {
    if (signal.aborted) return { ...result, stopped: 'cancelled' };
    try {
      for await (const f of steps.events(r)) {
        if (signal.aborted) return { ...result, stopped: 'cancelled' };
        if (f.kind !== FrameKind.Event) continue;
        const m = matchEvent(f.event, needle);
        if (!m) continue;
        steps.hit({ recording: { id: r.id, user: r.user, target: r.target, protocol: r.protocol, startedAt: r.startedAt }, t: f.t, ...m });
        if (++result.hits >= MAX_HITS) return { ...result, searched: result.searched + 1, stopped: 'too many hits' };
      }
    } catch (err) {
      if (signal.aborted) return { ...result, stopped: 'cancelled' };
      result.failed.push({ id: r.id, error: err instanceof Error ? err.message : String(err) });
    }
    result.searched++;
    steps.progress(result.searched, recordings.length);
  }
  return result;
}
