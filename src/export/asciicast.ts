/**
 * asciicast v2 (asciinema): one JSON value per line.
 *
 *   {"version":2,"width":80,"height":24,"timestamp":1714557600,"env":{"TERM":"xterm"},"title":"alice@web01"}
 *   [0.25,"o","$ "]           output text
 *   [1.5,"i","l"]             input text (keystrokes), when the caller exports them
 *   [3.1,"r","120x40"]        terminal resized to COLSxROWS
 *
 * Times are seconds since the session start with millisecond precision and never
 * decrease. Text is the UTF-8 decoding of the bytes of one stream: a character split
 * across frames is carried to that stream's next frame; invalid bytes become U+FFFD.
 */
import type { RecordingMeta } from '../seal/manifest.js';
import type { Track } from './source.js';
import { clampTime, dimension, parseTime, sanitizeTerm } from './script-format.js';

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp: number;
  env: { TERM?: string };
  title?: string;
}

export class AsciicastWriter {
  private readonly startMs: number;
  private lastMs = 0;
  private readonly outText = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private readonly inText = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  constructor(
    meta: Pick<RecordingMeta, 'startedAt'>,
    private readonly track: Track,
    private readonly options: { title?: string } = {},
  ) {
    this.startMs = parseTime(meta.startedAt, 'recording start');
  }

  header(): string {
    const term = sanitizeTerm(this.track.term);
    const header: AsciicastHeader = {
      version: 2,
      width: dimension(this.track.cols),
      height: dimension(this.track.rows),
      timestamp: Math.floor(this.startMs / 1000),
      env: term === undefined ? {} : { TERM: term },
    };
    if (this.options.title !== undefined) header.title = this.options.title;
    return `${JSON.stringify(header)}\n`;
  }

  /** An "o" line; empty when the bytes complete no character yet. */
  output(t: number, data: Uint8Array): string {
    return this.text(t, 'o', this.outText.decode(data, { stream: true }));
  }

  /** An "i" line; empty when the bytes complete no character yet. */
  input(t: number, data: Uint8Array): string {
    return this.text(t, 'i', this.inText.decode(data, { stream: true }));
  }

  resize(t: number, cols: number, rows: number): string {
    return line(this.seconds(t), 'r', `${dimension(cols)}x${dimension(rows)}`);
  }

  /** Flushes characters left incomplete at the end of each stream (as U+FFFD). */
  end(): string {
    const t = this.lastMs;
    return this.text(t, 'o', this.outText.decode()) + this.text(t, 'i', this.inText.decode());
  }

  private text(t: number, code: 'o' | 'i', text: string): string {
    if (text === '') return '';
    return line(this.seconds(t), code, text);
  }

  private seconds(t: number): number {
    const ms = Math.round(clampTime(t));
    this.lastMs = Math.max(this.lastMs, ms);
    return this.lastMs / 1000;
  }
}

function line(seconds: number, code: string, data: string): string {
  return `${JSON.stringify([seconds, code, data])}\n`;
}
