/**
 * Export of one recording to a zip (entry names: see file-names.ts).
 *
 * Each stream is read once, frame by frame; a terminal's tty and input streams are merged
 * by time and feed every writer of that terminal in the same pass (the cast carries "i"
 * events when keystrokes were recorded). The keystroke files (`.timing`, `.in.tys`) are
 * written only when the input stream holds a keystroke: its first frames are read once
 * beforehand to tell. Writer output goes to files in a private
 * directory beside `OUT` (`.recgate-export-*`), so memory stays bounded whatever the
 * recording's size and the plaintext never leaves the folder the auditor chose. The zip is built from those files into `OUT.<random>.tmp` beside `OUT`, synced and
 * renamed over it: `OUT` is absent, the previous file, or the complete export. Temporary
 * files are removed on success and on failure.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { GatewayError, RecordingError } from '../errors.js';
import { FrameKind } from '../recording/frames.js';
import { AdvancedTimingWriter } from './advanced-timing.js';
import { AsciicastWriter } from './asciicast.js';
import { EventsWriter } from './events.js';
import { FileSink } from './file-sink.js';
import { checkBaseName, eventsFileName, terminalFileNames, type TerminalFileNames } from './file-names.js';
import { mergeByTime } from './merge.js';
import type { ExportSource, ExportTerminal } from './source.js';
import { TypescriptWriter } from './typescript.js';
import { writeVideo, type VideoOptions, type VideoResult } from './video.js';

interface ZipEntry {
  name: string;
  path: string;
}

/** `video`: how a graphical recording's screen stream is rendered into the zip (default WebM at 10 fps). */
export async function writeExportZip(
  source: ExportSource,
  outPath: string,
  baseName: string,
  video: VideoOptions = { format: 'webm' },
): Promise<{ files: string[]; video?: VideoResult }> {
  checkBaseName(baseName);
  // Beside the zip: the plaintext stays where the auditor chose to put it, on the same file system.
  const work = await mkdtemp(join(dirname(outPath), '.recgate-export-'));
  const zipTemp = `${outPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const entries: ZipEntry[] = [];
    const place = (name: string): ZipEntry => ({ name, path: join(work, `entry-${entries.length}`) });
    const terminals = [...source.terminals].sort((a, b) => a.channel - b.channel);
    for (const [index, recorded] of terminals.entries()) {
      // A database session has an input stream that stays empty: no keystroke files for it.
      const terminal = await withKeystrokesOnly(source, recorded);
      const names = terminalFileNames(baseName, index, terminal.inputStream !== undefined);
      const title = `${source.meta.user}@${source.meta.target}${index === 0 ? '' : ` (channel ${terminal.channel})`}`;
      await exportTerminal(source, terminal, names, title, (name) => {
        const entry = place(name);
        entries.push(entry);
        return entry.path;
      });
    }
    const events = place(eventsFileName(baseName));
    entries.push(events);
    await exportEvents(source, events.path);
    let rendered: VideoResult | undefined;
    if (source.screenStream !== undefined) {
      const entry = place(`${baseName}.${video.format}`);
      rendered = await writeVideo(source, entry.path, video);
      entries.push(entry);
    }
    await writeZip(entries, zipTemp, zipTime(source.meta.startedAt));
    await rename(zipTemp, outPath);
    return { files: entries.map((e) => e.name), ...(rendered ? { video: rendered } : {}) };
  } catch (err) {
    await rm(zipTemp, { force: true });
    if (err instanceof GatewayError) throw err;
    throw new RecordingError(`export to ${outPath} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The terminal as given when its input stream holds a keystroke, else without the input stream. */
async function withKeystrokesOnly(source: ExportSource, terminal: ExportTerminal): Promise<ExportTerminal> {
  if (terminal.inputStream === undefined) return terminal;
  for await (const frame of source.frames(terminal.inputStream)) {
    if (frame.kind === FrameKind.Data && frame.data.length > 0) return terminal;
  }
  const { inputStream: _none, ...rest } = terminal;
  return rest;
}

/** Writers and files of one terminal; the advanced pair only when keystrokes exist. */
interface TerminalOutputs {
  typescript: TypescriptWriter;
  cast: AsciicastWriter;
  advanced?: AdvancedTimingWriter;
  tys: FileSink;
  tm: FileSink;
  castFile: FileSink;
  timing?: FileSink;
  input?: FileSink;
}

async function exportTerminal(
  source: ExportSource,
  terminal: ExportTerminal,
  names: TerminalFileNames,
  title: string,
  entryPath: (name: string) => string,
): Promise<void> {
  const sinks: FileSink[] = [];
  const sink = async (name: string): Promise<FileSink> => {
    const s = await FileSink.create(entryPath(name));
    sinks.push(s);
    return s;
  };
  let written = false;
  try {
    const out = await openTerminalOutputs(source, terminal, names, title, sink);
    await writeTerminalFrames(source, terminal, out);
    await writeTerminalEnd(source, out);
    written = true;
  } finally {
    const closing = await Promise.allSettled(sinks.map((s) => s.close()));
    const failure = closing.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (written && failure) throw failure.reason;
  }
}

async function openTerminalOutputs(
  source: ExportSource,
  terminal: ExportTerminal,
  names: TerminalFileNames,
  title: string,
  sink: (name: string) => Promise<FileSink>,
): Promise<TerminalOutputs> {
  const meta = source.meta;
  const out: TerminalOutputs = {
    typescript: new TypescriptWriter(meta, terminal),
    cast: new AsciicastWriter(meta, terminal, { title }),
    tys: await sink(names.tys),
    tm: await sink(names.tm),
    castFile: await sink(names.cast),
  };
  await out.tys.write(out.typescript.header());
  await out.castFile.write(out.cast.header());
  if (names.timing !== undefined && names.input !== undefined) {
    out.advanced = new AdvancedTimingWriter(meta, terminal, { timing: names.timing, output: names.tys, input: names.input });
    out.timing = await sink(names.timing);
    out.input = await sink(names.input);
    await out.timing.write(out.advanced.header());
    await out.input.write(out.advanced.logHeader());
  }
  return out;
}

async function writeTerminalFrames(source: ExportSource, terminal: ExportTerminal, out: TerminalOutputs): Promise<void> {
  const streams = [
    ...(terminal.inputStream === undefined ? [] : [{ label: 'input' as const, frames: source.frames(terminal.inputStream) }]),
    { label: 'tty' as const, frames: source.frames(terminal.ttyStream) },
  ];
  let size = `${terminal.cols}x${terminal.rows}`;
  for await (const { source: from, frame } of mergeByTime(streams)) {
    if (frame.kind === FrameKind.Data && from === 'tty') {
      const { tys, tm } = out.typescript.output(frame.t, frame.data);
      await out.tys.write(tys);
      await out.tm.write(tm);
      await out.castFile.write(out.cast.output(frame.t, frame.data));
      if (out.advanced) await out.timing!.write(out.advanced.output(frame.t, frame.data).timing);
    } else if (frame.kind === FrameKind.Data && from === 'input') {
      await out.castFile.write(out.cast.input(frame.t, frame.data));
      if (out.advanced) {
        const { timing, log } = out.advanced.input(frame.t, frame.data);
        await out.timing!.write(timing);
        await out.input!.write(log);
      }
    } else if (frame.kind === FrameKind.Resize && from === 'tty' && `${frame.cols}x${frame.rows}` !== size) {
      // Only changes are resizes: the recorder also marks a channel's starting size with one.
      size = `${frame.cols}x${frame.rows}`;
      await out.castFile.write(out.cast.resize(frame.t, frame.cols, frame.rows));
      if (out.advanced) await out.timing!.write(out.advanced.resize(frame.t, frame.cols, frame.rows));
    }
  }
}

async function writeTerminalEnd(source: ExportSource, out: TerminalOutputs): Promise<void> {
  const endedAt = source.meta.endedAt ?? undefined;
  const status = source.meta.status;
  await out.tys.write(out.typescript.trailer(endedAt, status));
  await out.castFile.write(out.cast.end());
  if (out.advanced) {
    await out.timing!.write(out.advanced.trailer(endedAt));
    await out.input!.write(out.advanced.logTrailer(endedAt, status));
  }
}

async function exportEvents(source: ExportSource, path: string): Promise<void> {
  const file = await FileSink.create(path);
  try {
    if (source.eventsStream !== undefined) {
      const writer = new EventsWriter(source.meta);
      for await (const frame of source.frames(source.eventsStream)) {
        if (frame.kind === FrameKind.Event) await file.write(writer.event(frame.t, frame.event));
      }
    }
  } finally {
    await file.close();
  }
}

async function writeZip(entries: ZipEntry[], path: string, mtime: Date): Promise<void> {
  const zip = new ZipFile();
  const failed = new Promise<never>((_, reject) => zip.on('error', reject));
  for (const e of entries) zip.addFile(e.path, e.name, { mtime, mode: 0o100600 });
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const written = pipeline(zip.outputStream, file);
  zip.end();
  try {
    await Promise.race([written, failed]);
  } finally {
    file.destroy();
  }
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Entry times: the session start (zip dates begin in 1980). */
function zipTime(startedAt: string): Date {
  const ms = Date.parse(startedAt);
  return new Date(Number.isFinite(ms) && ms >= Date.UTC(1980, 0, 2) ? ms : Date.UTC(1980, 0, 2));
}
