/**
 * Skipping inactivity, pure: the terminal player's clock when every pause
 * longer than a limit is shortened to that limit (asciinema's idle time
 * limit). Recording time (ms since the session start) and playback time
 * (ms on the player's timeline) map both ways, monotonically; a time inside
 * a removed stretch plays at the moment the stretch was cut, and that
 * moment seeks to the stretch's end (where the output resumes).
 */

/** A pause of the recording: no frame strictly between `start` and `end` (ms). */
export interface Gap {
  start: number;
  end: number;
}

export interface IdleMap {
  /** Longest pause kept (ms). */
  limit: number;
  /** Pauses longer than `limit`, in time order, not overlapping. */
  gaps: Gap[];
}

/** No pause shortened: playback time is recording time. */
export const NO_SKIP: IdleMap = { limit: Number.POSITIVE_INFINITY, gaps: [] };

/**
 * Adds the pauses longer than `limit` between `times` (frame times, in order)
 * to `into`; `previous` is the time before the first one (0 at the start of a
 * recording). Returns the last time seen, to carry to the next batch of frames.
 */
export function addGaps(into: Gap[], times: Iterable<number>, limit: number, previous = 0): number {
  let last = previous;
  for (const t of times) {
    if (t < last) throw new Error(`frame times go back: ${t} after ${last}`);
    if (t - last > limit) into.push({ start: last, end: t });
    last = t;
  }
  return last;
}

/** The map for frames at `times` of a recording `durationMs` long (its tail after the last frame counts as a pause). */
export function idleMap(times: Iterable<number>, durationMs: number, limit: number): IdleMap {
  const gaps: Gap[] = [];
  const last = addGaps(gaps, times, limit);
  if (durationMs > last) addGaps(gaps, [durationMs], limit, last);
  return { limit, gaps };
}

/** Playback time of recording time `t`. */
export function toPlayback(map: IdleMap, t: number): number {
  let removed = 0;
  for (const g of map.gaps) {
    const cut = g.start + map.limit;
    if (t <= cut) break;
    removed += Math.min(t, g.end) - cut;
  }
  return t - removed;
}

/** Recording time of playback time `p`: the inverse of toPlayback, a cut moment mapping to its pause's end. */
export function toRecording(map: IdleMap, p: number): number {
  let removed = 0;
  for (const g of map.gaps) {
    if (p < g.start + map.limit - removed) break;
    removed += g.end - g.start - map.limit;
  }
  return p + removed;
}
