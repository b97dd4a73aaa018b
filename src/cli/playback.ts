/**
 * `recordings play`: a terminal channel's output written here at the recorded
 * pace. Unless `--raw`, it passes through TerminalOutputFilter, and however
 * playback stops (the end, an error, Ctrl-C or SIGTERM) the filter's restore
 * is written last, so the auditor's terminal is left as it was found.
 */
import { once } from 'node:events';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameKind, type Frame } from '../recording/frames.js';
import { TerminalOutputFilter } from '../terminal/output-filter.js';

export interface PlaybackOptions {
  speed: number;
  /** Longest pause, in recorded milliseconds. */
  maxIdleMs: number;
  /** Write the bytes as recorded. */
  raw: boolean;
  out?: NodeJS.WritableStream;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Plays the Data frames of a tty stream. A signal ends playback cleanly and sets the exit status 128 + its number. */
export async function playFrames(frames: AsyncIterable<Frame>, options: PlaybackOptions): Promise<void> {
  const out = options.out ?? process.stdout;
  const filter = options.raw ? undefined : new TerminalOutputFilter();
  const stop = new AbortController();
  let signal: NodeJS.Signals | undefined;
  let broken = false;
  const onSignal = (s: NodeJS.Signals): void => {
    signal = s;
    stop.abort();
  };
  // The reader went away (a closed pipe): nothing more can be written. Left attached, as a
  // failed write may still report after playback.
  const onError = (): void => {
    broken = true;
    stop.abort();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  out.on('error', onError);
  try {
    let previous = 0;
    for await (const f of frames) {
      if (stop.signal.aborted) break;
      if (f.kind !== FrameKind.Data) continue;
      const wait = Math.min(f.t - previous, options.maxIdleMs) / options.speed;
      previous = f.t;
      if (wait >= 1 && !(await until(sleep(wait, undefined, { signal: stop.signal })))) break;
      const bytes = filter ? filter.push(f.data) : f.data;
      if (bytes.length > 0 && !out.write(bytes) && !(await until(once(out, 'drain', { signal: stop.signal })))) break;
    }
  } finally {
    const end = filter?.end();
    if (end && end.length > 0 && !broken) out.write(end);
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
  if (signal) process.exitCode = 128 + constants.signals[signal];
}

/** True when `p` settles normally, false when it was aborted. */
async function until(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (err) {
    if ((err as Error).name === 'AbortError') return false;
    throw err;
  }
}
