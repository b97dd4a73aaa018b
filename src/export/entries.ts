/**
 * The text files of an export (entry names: see file-names.ts), written to
 * sinks the caller opens: files beside the zip for the CLI, memory in the
 * console's page. Pure of I/O: every byte goes through a sink.
 *
 * Each stream is read once, frame by frame; a terminal's tty and input streams are merged
 * by time and feed every writer of that terminal in the same pass (the cast carries "i"
 * events when keystrokes were recorded). The keystroke files (`.timing`, `.in.tys`) are
 * written only when the input stream holds a keystroke: its first frames are read once
 * beforehand to tell.
 */
import { FrameKind } from '../recording/frames.js';
import { AdvancedTimingWriter } from './advanced-timing.js';
import { AsciicastWriter } from './asciicast.js';
import { EventsWriter } from './events.js';
import { eventsFileName, terminalFileNames, type TerminalFileNames } from './file-names.js';
import { mergeByTime } from './merge.js';
import type { ExportSource, ExportTerminal } from './source.js';
import { TypescriptWriter } from './typescript.js';

/** Where one entry's bytes go, in order; closed once after the last write. */
export interface EntrySink {
  write(chunk: Uint8Array | string): Promise<void>;
  close(): Promise<void>;
}

/** Opens the sink of the entry named `name` (called in the order the entries go into the zip). */
export type OpenEntry = (name: string) => Promise<EntrySink>;

/** Every terminal's files (channel order), then the events file. */
export async function writeTextEntries(source: ExportSource, baseName: string, open: OpenEntry): Promise<void> {
  const terminals = [...source.terminals].sort((a, b) => a.channel - b.channel);
  for (const [index, recorded] of terminals.entries()) {
    // A database session has an input stream that stays empty: no keystroke files for it.
    const terminal = await withKeystrokesOnly(source, recorded);
    const names = terminalFileNames(baseName, index, terminal.inputStream !== undefined);
    const title = `${source.meta.user}@${source.meta.target}${index === 0 ? '' : ` (channel ${terminal.channel})`}`;
    await exportTerminal(source, terminal, names, title, open);
  }
  await exportEvents(source, await open(eventsFileName(baseName)));
}

/** Entry times: the session start (zip dates begin in 1980). */
export function zipTime(startedAt: string): Date {
  const ms = Date.parse(startedAt);
  return new Date(Number.isFinite(ms) && ms >= Date.UTC(1980, 0, 2) ? ms : Date.UTC(1980, 0, 2));
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
  tys: EntrySink;
  tm: EntrySink;
  castFile: EntrySink;
  timing?: EntrySink;
  input?: EntrySink;
}

async function exportTerminal(
  source: ExportSource,
  terminal: ExportTerminal,
  names: TerminalFileNames,
  title: string,
  open: OpenEntry,
): Promise<void> {
  const sinks: EntrySink[] = [];
  const sink = async (name: string): Promise<EntrySink> => {
    const s = await open(name);
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
  sink: OpenEntry,
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

async function exportEvents(source: ExportSource, file: EntrySink): Promise<void> {
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
