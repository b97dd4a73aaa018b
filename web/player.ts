/**
 * Plays a terminal recording: fetches the tty and events chunks (ciphertext)
 * and opens them here with the auditor's key (RecordOpener). `openPlayback`
 * streams: asciinema-player drives a TtyChunks reader (tty-driver.ts), so
 * play starts once the first chunk is open and a seek reads the chunk that
 * holds the time, whatever the recording's length. The events list jumps the player to each command or query. Recorded text only
 * ever reaches the DOM through the terminal emulator or textContent.
 */
import * as AsciinemaPlayer from 'asciinema-player';
import { decodeFrames, FrameKind, type Frame } from '../src/recording/frames.js';
import type { AuditorKeyPair } from '../src/seal/keys.js';
import { RecordOpener } from '../src/seal/opener.js';
import type { Sodium } from '../src/seal/sodium.js';
import { chunk, type RecordingView } from './api.js';
import { addGaps, toPlayback, type Gap, type IdleMap } from './idle-map.js';
import { msOf } from './seconds.js';
import { TtyChunks } from './tty-chunks.js';
import { ttyDriver, type TtyDriverSource } from './tty-driver.js';

async function streamFrames(view: RecordingView, opener: RecordOpener, name: string): Promise<Frame[]> {
  const info = view.manifest.streams.find((s) => s.name === name);
  if (!info) return [];
  const frames: Frame[] = [];
  for (let index = 0; ; index++) {
    const data = await chunk(view.summary.id, info.id, index);
    if (!data) break;
    const opened = opener.openChunk(info.id, index, data);
    frames.push(...decodeFrames(opened.plaintext));
    if (opened.last) break;
  }
  return frames;
}

/** The events stream's marks (commands, queries, ...), in seconds. */
async function eventMarks(view: RecordingView, opener: RecordOpener): Promise<{ t: number; label: string }[]> {
  const events = await streamFrames(view, opener, 'events');
  return events.flatMap((f) => (f.kind === FrameKind.Event && f.event.type !== 'terminal' ? [{ t: f.t / 1000, label: eventLabel(f.event) }] : []));
}

export function eventLabel(event: Record<string, unknown>): string {
  const failed = typeof event.error === 'object' && event.error !== null ? ' (error)' : '';
  for (const key of ['command', 'query', 'text', 'title', 'path', 'message']) {
    if (typeof event[key] === 'string') return `${String(event.type)}${failed}: ${event[key] as string}`;
  }
  if (event.type === 'resize' && typeof event.cols === 'number' && typeof event.rows === 'number') return `resize: ${event.cols}x${event.rows}`;
  return String(event.type) + failed;
}

export interface Playback {
  source: TtyDriverSource;
  /** The events stream's marks, read after what playing needs first. */
  events: Promise<{ t: number; label: string }[]>;
  /** Wipes the record key and stream keys. */
  close(): void;
}

/**
 * Opens the record key and what playing needs first, in parallel: the first
 * terminal chunk and the length. The events follow.
 */
export async function openPlayback(s: Sodium, key: AuditorKeyPair, view: RecordingView): Promise<Playback> {
  const opener = RecordOpener.open(s, view.manifest, key);
  try {
    const tty = view.manifest.streams.find((st) => st.name === 'tty');
    if (!tty) throw new Error(`recording ${view.manifest.id} has no terminal stream`);
    const chunks = new TtyChunks(opener, tty.id, (stream, index) => chunk(view.summary.id, stream, index));
    const [durationMs] = await Promise.all([chunks.open(view.checkpoints, view.manifest.meta.startedAt), chunks.chunk(0)]);
    const events = eventMarks(view, opener);
    const meta = view.manifest.meta;
    const source: TtyDriverSource = {
      chunks,
      durationMs,
      cols: meta.cols ?? 80,
      rows: meta.rows ?? 24,
      markers: events.then((marks) => marks.map((m): [number, string] => [m.t, m.label.slice(0, 80)])),
    };
    return { source, events, close: () => opener.close() };
  } catch (error) {
    opener.close();
    throw error;
  }
}

/** The pauses over `limitMs` of the whole terminal stream: every chunk is read once, a few kept at a time. */
export async function idleGaps(playback: Playback, limitMs: number): Promise<IdleMap> {
  const { chunks, durationMs } = playback.source;
  const gaps: Gap[] = [];
  let last = 0;
  for (let i = 0; i < chunks.count; i++) last = addGaps(gaps, (await chunks.chunk(i)).frames.map((f) => f.t), limitMs, last);
  if (durationMs > last) addGaps(gaps, [durationMs], limitMs, last);
  return { limit: limitMs, gaps };
}

/** A player for `playback` in `into`, at `speed`, from `startAt` seconds of the recording, pauses shortened by `idle`. */
export function mountPlayback(playback: Playback, into: HTMLElement, speed: number, startAt = 0, idle?: IdleMap): AsciinemaPlayer.Player {
  into.replaceChildren();
  const driver = ttyDriver({ ...playback.source, idle }) as unknown as AsciinemaPlayer.Source;
  const from = idle ? toPlayback(idle, msOf(startAt)) / 1000 : startAt;
  return AsciinemaPlayer.create(driver, into, { speed, autoPlay: true, startAt: from, fit: 'width', cols: playback.source.cols, rows: playback.source.rows });
}
