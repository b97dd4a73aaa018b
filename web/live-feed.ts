/**
 * What a watched session's opened chunks do to the page: terminal output of
 * channel 0 as text (UTF-8 decoded across chunk boundaries, so a character
 * split between two chunks arrives whole), resizes, and labelled events.
 * Keystrokes (the input stream) and other channels are not shown live.
 */
import { FrameKind, type Frame, type RecordedEvent } from '../src/recording/frames.js';

export interface LiveSink {
  write(text: string): void;
  resize(cols: number, rows: number): void;
  event(t: number, event: RecordedEvent): void;
}

export class LiveFeed {
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly sink: LiveSink) {}

  apply(stream: { kind: string; channel: number }, frames: readonly Frame[]): void {
    if (stream.kind === 'tty' && stream.channel === 0) {
      let text = '';
      for (const f of frames) {
        if (f.kind === FrameKind.Data) text += this.decoder.decode(f.data, { stream: true });
        else if (f.kind === FrameKind.Resize) {
          if (text) this.sink.write(text);
          text = '';
          this.sink.resize(f.cols, f.rows);
        }
      }
      if (text) this.sink.write(text);
    } else if (stream.kind === 'events') {
      for (const f of frames) {
        if (f.kind === FrameKind.Event && f.event.type !== 'terminal' && f.event.type !== 'resize') this.sink.event(f.t / 1000, f.event);
      }
    }
  }
}
