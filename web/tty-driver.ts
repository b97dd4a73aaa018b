/**
 * An asciinema-player driver over TtyChunks: the player's controls, clock
 * and terminal, with the recording read chunk by chunk. Play starts once
 * the chunk at the current time is open; the next chunks are fetched and
 * opened ahead while it plays. A seek resets the terminal and replays the
 * chunk that holds the time asked for from its start, instantly, so the
 * screen is what that chunk drew up to there (a terminal has no keyframes:
 * what earlier chunks drew and this one does not redraw is not shown).
 *
 * The player calls the driver as asciinema-player's own drivers are called
 * (init, play, pause, seek, step, stop, getTiming, getDuration) and is told
 * of changes through `dispatch` (metadata, reset, resize, output, timing,
 * play, playing, pause, seeked, ended, loading, error).
 *
 * With pauses skipped (`idle`), the player sees playback time (idle-map.ts):
 * its clock, length, seeks and markers are on the shortened timeline, and
 * frames are played when the recording time it maps to is reached.
 */
import { NO_SKIP, toPlayback, toRecording, type IdleMap } from './idle-map.js';
import { msOf } from './seconds.js';
import type { TtyChunk, TtyChunks, TtyFrame } from './tty-chunks.js';

/** Chunks opened ahead of the one playing. */
const AHEAD = 2;
/** A seek redraws from this much output before the time asked for, or this many chunks, whichever comes first. */
const REDRAW_TEXT = 64 * 1024;
const REDRAW_CHUNKS = 16;

type Dispatch = (event: string, data?: unknown) => void;
type SeekTarget = number | string | { marker: number | 'prev' | 'next' };

export interface TtyDriverSource {
  chunks: TtyChunks;
  /** Length of the recording (ms): the last frame's time. */
  durationMs: number;
  cols: number;
  rows: number;
  /** Markers: [seconds, label]; shown once known, playing does not wait for them. */
  markers: Promise<[number, string][]>;
  /** Pauses shortened while playing; none when absent. */
  idle?: IdleMap;
}

interface Cursor {
  chunk: TtyChunk;
  frame: number;
}

export function ttyDriver(src: TtyDriverSource) {
  return ({ dispatch, logger }: { dispatch: Dispatch; logger?: { error(...a: unknown[]): void } }, opts: { speed?: number; startAt?: number }) => {
    const speed = opts.speed ?? 1;
    const idle = src.idle ?? NO_SKIP;
    const toRec = (p: number): number => toRecording(idle, p);
    /** Length of the playback (ms). */
    const length = toPlayback(idle, src.durationMs);
    /** Playback time (ms) at `anchor` (performance.now()) while playing; the position while paused. */
    let position = Math.max(0, Math.min(msOf(opts.startAt ?? 0), length));
    let anchor = 0;
    let playing = false;
    let cursor: Cursor | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** Bumped by every seek and stop: work begun for an older one is dropped. */
    let generation = 0;
    let markers: [number, string][] = [];
    const metadata = (): void => dispatch('metadata', { duration: length / 1000, markers, hasAudio: false });

    /** Playback time now: frames are played by the recording time it maps to; the player is shown it capped at the length. */
    const clock = (): number => (playing ? position + (performance.now() - anchor) * speed : position);
    const now = (): number => Math.min(length, clock());
    const timing = () => ({ time: now() / 1000, rate: playing ? speed : 0, sampledAt: performance.timeOrigin + performance.now() });
    const fail = (error: unknown): void => {
      playing = false;
      logger?.error('recording playback failed', error);
      dispatch('error', { message: error instanceof Error ? error.message : String(error) });
      dispatch('timing', timing());
    };

    const prefetch = (index: number): void => {
      for (let i = index + 1; i <= Math.min(index + AHEAD, src.chunks.count - 1); i++) src.chunks.chunk(i).catch(() => undefined);
    };

    /**
     * Resets the terminal and draws the output up to `t` at once; the cursor
     * points after it. The screen at `t` is what the output before it drew,
     * so the chunks before the one holding `t` are fed too, back to the
     * start or until REDRAW_TEXT characters of output come before (a screen
     * is drawn over many times by then) or REDRAW_CHUNKS chunks.
     */
    async function positionAt(t: number): Promise<void> {
      const g = generation;
      const chunk = await src.chunks.chunk(await src.chunks.locate(t));
      if (g !== generation) return;
      const before: TtyChunk[] = [];
      for (let i = chunk.index - 1, chars = 0; i >= 0 && chars < REDRAW_TEXT && chunk.index - i <= REDRAW_CHUNKS; i--) {
        const earlier = await src.chunks.chunk(i);
        if (g !== generation) return;
        before.unshift(earlier);
        for (const f of earlier.frames) if ('text' in f) chars += f.text.length;
      }
      let size = { cols: src.cols, rows: src.rows };
      const texts: string[] = [];
      const feed = (f: TtyFrame): void => {
        if ('text' in f) texts.push(f.text);
        else size = { cols: f.cols, rows: f.rows };
      };
      for (const c of before) c.frames.forEach(feed);
      let frame = 0;
      for (; frame < chunk.frames.length && chunk.frames[frame]!.t <= t; frame++) feed(chunk.frames[frame]!);
      dispatch('reset', { size, init: texts.join('') });
      cursor = { chunk, frame };
      prefetch(chunk.index);
    }

    /** Emits every frame due by now, then waits for the next one (or the next chunk). */
    async function tick(): Promise<void> {
      timer = undefined;
      if (!playing || !cursor) return;
      const g = generation;
      const p = clock();
      const t = toRec(p);
      let out = '';
      for (;;) {
        const f = cursor.chunk.frames[cursor.frame];
        if (f === undefined) {
          if (cursor.chunk.last || cursor.chunk.index >= src.chunks.count - 1) break;
          if (out) dispatch('output', out);
          out = '';
          const waiting = performance.now();
          const next = await src.chunks.chunk(cursor.chunk.index + 1);
          if (g !== generation || !playing) return;
          anchor += performance.now() - waiting;
          cursor = { chunk: next, frame: 0 };
          prefetch(next.index);
          continue;
        }
        if (f.t > t) break;
        if ('text' in f) out += f.text;
        else {
          if (out) dispatch('output', out);
          out = '';
          dispatch('resize', { cols: f.cols, rows: f.rows });
        }
        cursor.frame++;
      }
      if (out) dispatch('output', out);
      const next = cursor.chunk.frames[cursor.frame];
      const drained = !next && (cursor.chunk.last || cursor.chunk.index >= src.chunks.count - 1);
      if (drained && p >= length) {
        position = length;
        playing = false;
        dispatch('timing', timing());
        dispatch('ended');
        return;
      }
      const wait = ((next ? toPlayback(idle, next.t) : length) - p) / speed;
      timer = setTimeout(() => void tick().catch(fail), Math.max(0, Math.min(wait, 1000)));
    }

    function stopTimer(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    }

    function target(where: SeekTarget): number {
      const t = now();
      if (typeof where === 'number') return msOf(where);
      if (typeof where === 'string') {
        if (where === '<<') return t - 5000;
        if (where === '>>') return t + 5000;
        if (where === '<<<') return t - 0.1 * length;
        if (where === '>>>') return t + 0.1 * length;
        if (where.endsWith('%')) return (Number.parseFloat(where) / 100) * length;
        return t;
      }
      const times = markers.map(([s]) => msOf(s));
      if (where.marker === 'prev') return [...times].reverse().find((m) => m < t - 1000) ?? 0;
      if (where.marker === 'next') return times.find((m) => m > t) ?? length;
      return times[where.marker] ?? t;
    }

    return {
      init: async () => {
        metadata();
        src.markers.then(
          (known) => {
            markers = known.map(([s, label]): [number, string] => [toPlayback(idle, msOf(s)) / 1000, label]);
            if (known.length > 0) metadata();
          },
          () => undefined,
        );
        await positionAt(toRec(position));
        dispatch('timing', timing());
      },
      play: async () => {
        if (playing) return true;
        if (position >= length) {
          position = 0;
          generation++;
          await positionAt(0);
        }
        if (!cursor) await positionAt(toRec(position));
        playing = true;
        anchor = performance.now();
        dispatch('play');
        dispatch('playing');
        dispatch('timing', timing());
        void tick().catch(fail);
        return true;
      },
      pause: () => {
        if (!playing) return true;
        position = now();
        playing = false;
        stopTimer();
        dispatch('pause');
        dispatch('timing', timing());
        return true;
      },
      seek: async (where: SeekTarget) => {
        const t = Math.max(0, Math.min(target(where), length));
        const resume = playing;
        stopTimer();
        playing = false;
        position = t;
        generation++;
        dispatch('timing', timing());
        await positionAt(toRec(t));
        dispatch('seeked');
        if (resume) {
          playing = true;
          anchor = performance.now();
          dispatch('playing');
          dispatch('timing', timing());
          void tick().catch(fail);
        }
        return true;
      },
      step: () => undefined,
      stop: () => {
        generation++;
        playing = false;
        stopTimer();
      },
      getTiming: timing,
      getDuration: () => length / 1000,
    };
  };
}
