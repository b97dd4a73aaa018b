/**
 * Commands that decrypt on the auditor's machine: export, play, search. Each
 * verifies a recording before it decrypts it (see verification.ts); `--force`
 * decrypts one that fails, after printing every finding.
 */
import { resolve } from 'node:path';
import { GatewayError, usageError } from '../errors.js';
import { writeVideo, type VideoFormat, type VideoOptions } from '../export/video.js';
import { writeExportZip } from '../export/zip.js';
import { readerSource } from '../export/reader-source.js';
import { FrameKind } from '../recording/frames.js';
import { RecordingReader } from '../recording/reader.js';
import { TextLines } from '../recording/text-lines.js';
import { wipeKeyPair, type AuditorKeyPair } from '../seal/keys.js';
import type { RecordingSummary } from '../store/types.js';
import { discardUnlock, unlockInBackground } from './auditor-key.js';
import { withContext, type CliContext, type GlobalOptions } from './context.js';
import { toListFilter, type FilterOptions } from './filters.js';
import { eventText, excerpt, formatOffset, stripControls } from './excerpt.js';
import { playFrames } from './playback.js';
import { printable } from './printable.js';
import { progressBar } from './progress-bar.js';
import { Verification, verifiedOnly, verifyBeforeReading } from './verification.js';

export { eventText, formatOffset };

/** What a decrypting command is given: its key file, and the key already unlocking (see auditor-key.ts). */
export interface KeyOptions {
  key: string;
  force?: boolean;
  unlocking?: Promise<AuditorKeyPair> | undefined;
}

export async function withReader<T>(ctx: CliContext, id: string, options: KeyOptions, fn: (r: RecordingReader) => Promise<T>): Promise<T> {
  // With the passphrase in the environment nothing is asked, so the key is unlocked (Argon2id) while
  // the recording is found and verified; it is wiped if that fails. A wrong passphrase is reported
  // after verification (unlockInBackground holds the failure until then).
  const unlocking = options.unlocking ?? unlockInBackground(options.key);
  let summary: RecordingSummary;
  let key: AuditorKeyPair;
  try {
    summary = await ctx.recording(id);
    await verifyBeforeReading(await Verification.open(ctx), summary, options.force === true);
    key = await (unlocking ?? ctx.auditorKey(options.key));
  } catch (err) {
    await discardUnlock(unlocking);
    throw err;
  }
  try {
    const reader = await RecordingReader.open(ctx.store(), ctx.sodium, summary, key);
    try {
      return await fn(reader);
    } finally {
      reader.close();
    }
  } finally {
    wipeKeyPair(ctx.sodium, key);
  }
}

export interface ExportOptions extends GlobalOptions, KeyOptions {
  out: string;
  video?: string;
  fps?: string;
  skipIdle?: string;
  overlay?: boolean;
}

export async function exportRecording(id: string, options: ExportOptions): Promise<void> {
  let bar: ReturnType<typeof progressBar> = undefined;
  try {
    const video = videoOptions(options);
    // On a terminal, the video's frames as they are encoded (the longest part of a graphical export).
    const shown = (bar = progressBar(process.stderr, 'encoding video', 'frames'));
    if (shown) video.onProgress = (done, total) => shown.update(done, total);
    await exportWith(id, options, video);
  } catch (err) {
    // A bad option or config stops the command before it opens the recording: the key is wiped all the same.
    await discardUnlock(options.unlocking);
    throw err;
  } finally {
    bar?.finish();
  }
}

async function exportWith(id: string, options: ExportOptions, video: VideoOptions): Promise<void> {
  await withContext(options, (ctx) =>
    withReader(ctx, id, options, async (reader) => {
      const source = await readerSource(reader);
      const out = resolve(options.out);
      if (options.video !== undefined) {
        if (source.screenStream === undefined) throw usageError(`recording ${id} is not graphical: it has no screen to export as video`);
        const r = await writeVideo(source, out, video);
        reportSkipped(id, r);
        process.stdout.write(`wrote ${out}: ${r.width}x${r.height}, ${(r.videoMs / 1000).toFixed(1)} s at ${video.fps ?? 10} fps\n`);
        return;
      }
      const { files, video: rendered } = await writeExportZip(source, out, id, video);
      if (rendered) reportSkipped(id, rendered);
      process.stdout.write(`wrote ${out}: ${files.join(', ')}\n`);
    }),
  );
}

function videoOptions(options: ExportOptions): VideoOptions {
  const format = options.video ?? 'webm';
  if (format !== 'webm' && format !== 'mp4') throw usageError(`--video must be webm or mp4, got ${JSON.stringify(format)}`);
  const video: VideoOptions = { format: format as VideoFormat };
  if (options.fps !== undefined) {
    video.fps = positiveNumber('--fps', options.fps);
    if (video.fps > 120) throw usageError(`--fps must be at most 120, got ${JSON.stringify(options.fps)}`);
  }
  if (options.skipIdle !== undefined) video.skipIdleSeconds = positiveNumber('--skip-idle', options.skipIdle);
  if (options.overlay === true) video.overlay = true;
  return video;
}

function reportSkipped(id: string, r: { skippedRecords: number; firstError?: string }): void {
  if (r.skippedRecords === 0) return;
  process.stderr.write(`recgate: warning: recording ${printable(id)}: ${r.skippedRecords} screen update(s) could not be decoded and were left out (first: ${printable(r.firstError ?? '')})\n`);
}

export interface PlayOptions extends GlobalOptions {
  key: string;
  speed?: string;
  skipIdle?: string;
  channel?: string;
  raw?: boolean;
  force?: boolean;
  follow?: boolean;
}

export async function playRecording(id: string, options: PlayOptions): Promise<void> {
  const speed = positiveNumber('--speed', options.speed ?? '1');
  const maxIdleMs = options.skipIdle === undefined ? Infinity : positiveNumber('--skip-idle', options.skipIdle) * 1000;
  const channel = Number(options.channel ?? '0');
  await withContext(options, async (ctx) => {
    if (options.follow) await terminalStarted(ctx, id, channel);
    return withReader(ctx, id, options, async (reader) => {
      const terminals = await reader.terminals();
      if (terminals.length === 0) {
        throw new GatewayError(
          'RG_ERR_NOT_FOUND',
          `recording ${id} has no terminal to play (an sftp or exec-only session records events only); see recgate recordings events ${id} --key ${options.key}`,
        );
      }
      const tty = terminals.find((t) => t.channel === channel);
      if (!tty) throw usageError(`recording ${id} has no terminal channel ${channel} (it has ${terminals.map((t) => t.channel).join(', ')})`);
      if (!options.follow) return playFrames(reader.frames(tty.ttyStream), { speed, maxIdleMs, raw: options.raw === true });
      // Following: what is stored is written at once, then each chunk as it lands (from any node's store), until the recording stops.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      try {
        await playFrames(reader.follow(tty.ttyStream, stop.signal), { speed: 1, maxIdleMs: 0, raw: options.raw === true });
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      }
    });
  });
}

/** Longest `play --follow` waits for a live session to open its terminal (a login still under way). */
const TERMINAL_WAIT_MS = 30_000;

/**
 * A session is live before its terminal channel opens: following waits for
 * the channel's tty stream while the recording runs, up to TERMINAL_WAIT_MS.
 */
async function terminalStarted(ctx: CliContext, id: string, channel: number): Promise<void> {
  const deadline = Date.now() + TERMINAL_WAIT_MS;
  for (;;) {
    const manifest = await ctx.store().manifest(id);
    if (manifest.streams.some((s) => s.kind === 'tty' && s.channel === channel)) return;
    if ((await ctx.recording(id)).status !== 'recording' || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw usageError(`${flag} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * `recordings search`: one line per hit (id, offset, where, a short excerpt around the
 * match). Exit status as grep's: 0 when something matched, 1 when nothing did, 2 on an
 * error (including a recording skipped for failing verification).
 */
export async function searchRecordings(text: string, options: GlobalOptions & FilterOptions & { key: string; force?: boolean }): Promise<void> {
  const needle = text.toLowerCase();
  try {
    await withContext(options, async (ctx) => {
      const key = await ctx.auditorKey(options.key);
      try {
        const candidates = (await ctx.store().list(toListFilter(options))).filter((r) => r.recipients.includes(key.kid));
        let hits = 0;
        for await (const summary of verifiedOnly(ctx, candidates, options.force === true)) hits += await searchOne(ctx, summary, key, needle);
        process.stderr.write(`${hits} match${hits === 1 ? '' : 'es'} in ${candidates.length} recording${candidates.length === 1 ? '' : 's'} this key opens\n`);
        // verifiedOnly marks a skipped recording with exit 1, which for search would read "no match".
        if (process.exitCode === 1) process.exitCode = 2;
        else if (hits === 0) process.exitCode = 1;
      } finally {
        wipeKeyPair(ctx.sodium, key);
      }
    });
  } catch (err) {
    // Every error is exit 2 here (main gives RG_ERR_USAGE that status), as grep's.
    const message = err instanceof GatewayError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    throw new GatewayError('RG_ERR_USAGE', message, { cause: err });
  }
}

async function searchOne(ctx: CliContext, summary: RecordingSummary, key: AuditorKeyPair, needle: string): Promise<number> {
  const reader = await RecordingReader.open(ctx.store(), ctx.sodium, summary, key);
  let hits = 0;
  const report = (t: number, where: string, line: string): void => {
    const part = excerpt(line, needle);
    if (part === undefined) return;
    hits++;
    process.stdout.write(`${printable(summary.id)}  +${formatOffset(t)}  ${printable(where)}  ${printable(part)}\n`);
  };
  try {
    for await (const f of reader.frames('events')) {
      if (f.kind === FrameKind.Event) report(f.t, `event:${f.event.type}`, eventText(f.event));
    }
    for (const tty of await reader.terminals()) {
      const lines = new TextLines();
      for await (const f of reader.frames(tty.ttyStream)) {
        if (f.kind === FrameKind.Data) for (const l of lines.push(f.t, f.data)) report(l.t, tty.ttyStream, stripControls(l.text));
      }
      for (const l of lines.end()) report(l.t, tty.ttyStream, stripControls(l.text));
    }
  } finally {
    reader.close();
  }
  return hits;
}
