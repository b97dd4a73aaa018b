/**
 * Plays a terminal recording: fetches the tty and events chunks (ciphertext),
 * opens them here with the auditor's key (RecordOpener), builds an asciicast
 * v2 text with the export's own writer and hands it to asciinema-player. The
 * events list jumps the player to each command or query. Recorded text only
 * ever reaches the DOM through the terminal emulator or textContent.
 */
import * as AsciinemaPlayer from 'asciinema-player';
import { AsciicastWriter } from '../src/export/asciicast.js';
import { decodeFrames, FrameKind, type Frame } from '../src/recording/frames.js';
import type { AuditorKeyPair } from '../src/seal/keys.js';
import { RecordOpener } from '../src/seal/opener.js';
import type { Sodium } from '../src/seal/sodium.js';
import { chunk, type RecordingView } from './api.js';

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

export function eventLabel(event: Record<string, unknown>): string {
  for (const key of ['command', 'query', 'title', 'path']) {
    if (typeof event[key] === 'string') return `${String(event.type)}: ${event[key] as string}`;
  }
  return String(event.type);
}

export interface DecryptedCast {
  cast: string;
  events: { t: number; label: string }[];
}

/** The recording's terminal as asciicast text and its events, decrypted here. */
export async function decryptCast(s: Sodium, key: AuditorKeyPair, view: RecordingView): Promise<DecryptedCast> {
  const opener = RecordOpener.open(s, view.manifest, key);
  try {
    const [tty, events] = await Promise.all([streamFrames(view, opener, 'tty'), streamFrames(view, opener, 'events')]);
    const meta = view.manifest.meta;
    const writer = new AsciicastWriter(meta, { channel: 0, cols: meta.cols ?? 80, rows: meta.rows ?? 24, ...(meta.term ? { term: meta.term } : {}) }, {
      title: `${meta.user}@${meta.target}`,
    });
    let cast = writer.header();
    for (const f of tty) {
      if (f.kind === FrameKind.Data) cast += writer.output(f.t, f.data);
      else if (f.kind === FrameKind.Resize) cast += writer.resize(f.t, f.cols, f.rows);
    }
    cast += writer.end();
    const marks = events.flatMap((f) =>
      f.kind === FrameKind.Event && f.event.type !== 'terminal' ? [{ t: f.t / 1000, label: eventLabel(f.event) }] : [],
    );
    return { cast, events: marks };
  } finally {
    opener.close();
  }
}

/** A player for `decrypted` in `into`, at `speed`, from `startAt` seconds. */
export function mountPlayer(decrypted: DecryptedCast, into: HTMLElement, speed: number, startAt = 0): AsciinemaPlayer.Player {
  into.replaceChildren();
  return AsciinemaPlayer.create({ data: decrypted.cast }, into, {
    speed,
    autoPlay: true,
    startAt,
    fit: 'width',
    markers: decrypted.events.map((m): [number, string] => [m.t, m.label.slice(0, 80)]),
  });
}
