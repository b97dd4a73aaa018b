/**
 * --overlay of a video export (video.ts): the person's keystrokes and clicks
 * as captions (captions.ts, from the events stream), drawn by ffmpeg's
 * drawtext one at a time. Each caption's text is in a file of its own in
 * the export's private work folder, read verbatim (`expansion=none`), so
 * nothing typed is interpreted by ffmpeg; a part of the video gets the
 * filters of the captions it shows, timed from its own start.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdleCuts } from '../graphics/idle-cuts.js';
import { FrameKind } from '../recording/frames.js';
import { CaptionBuilder, type Caption } from './captions.js';
import type { ExportSource } from './source.js';

export interface CaptionFile {
  caption: Caption;
  /** The caption's text, in a file of its own (drawtext reads it verbatim: nothing typed is interpreted). */
  file: string;
}

/** The captions of the recording's events, each written to a file of its own in `work`. */
export async function captionFiles(source: ExportSource, work: string): Promise<CaptionFile[]> {
  const builder = new CaptionBuilder();
  if (source.eventsStream !== undefined) {
    for await (const f of source.frames(source.eventsStream)) if (f.kind === FrameKind.Event) builder.event(f.t, f.event);
  }
  const files: CaptionFile[] = [];
  for (const [i, caption] of builder.captions.entries()) {
    const file = join(work, `caption-${i}.txt`);
    await writeFile(file, caption.text, { mode: 0o600 });
    files.push({ caption, file });
  }
  return files;
}

/** The drawtext filters of the captions shown after `startSeconds` of the video, timed from there; undefined when there are none. */
export async function filterScript(captions: CaptionFile[], cuts: IdleCuts, startSeconds: number, path: string): Promise<string | undefined> {
  const filters: string[] = [];
  for (const { caption, file } of captions) {
    const from = cuts.videoTime(caption.from) / 1000 - startSeconds;
    const to = Math.max(cuts.videoTime(caption.to), cuts.videoTime(caption.from) + 500) / 1000 - startSeconds;
    if (to > 0) filters.push(drawtext(file, from, to));
  }
  if (filters.length === 0) return undefined;
  await writeFile(path, filters.join(',\n'), { mode: 0o600 });
  return path;
}

function drawtext(file: string, from: number, to: number): string {
  const escaped = file.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/:/g, '\\:');
  return `drawtext=textfile='${escaped}':expansion=none:font=monospace:fontsize=h/30:fontcolor=white:box=1:boxcolor=black@0.65:boxborderw=8:x=(w-tw)/2:y=h-th-h/20:enable='between(t,${from.toFixed(3)},${to.toFixed(3)})'`;
}
