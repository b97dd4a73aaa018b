/**
 * Frames are what a chunk's plaintext is made of: a recorded unit with its time.
 *
 *   frame := kind:u8 | t:varint | len:varint | payload[len]
 *
 * `t` is milliseconds since the session started; varints are unsigned LEB128.
 * Payloads by kind:
 *   Data   (1)  bytes as they crossed the wire (tty: output, input: keystrokes)
 *   Resize (2)  cols:u16be | rows:u16be
 *   Event  (3)  UTF-8 JSON object
 *   Screen (4)  graphical update (graphics layer defines it)
 *   Table  (5)  a result table as its values (src/transcript/table-frame.ts); read back
 *               as the Data frame of the text it stands for, so readers see only Data
 */
import { RecordingError } from '../errors.js';
import { renderTableFrame } from '../transcript/table-frame.js';
import { varintLength, writeVarint } from './varint.js';

export { varintLength, writeVarint };

export const enum FrameKind {
  Data = 1,
  Resize = 2,
  Event = 3,
  Screen = 4,
  Table = 5,
}

export type Frame =
  | { kind: FrameKind.Data; t: number; data: Uint8Array }
  | { kind: FrameKind.Resize; t: number; cols: number; rows: number }
  | { kind: FrameKind.Event; t: number; event: RecordedEvent }
  | { kind: FrameKind.Screen; t: number; data: Uint8Array };

/** An entry of the events stream. `type` names it: command, query, resize, file, end, ... */
export interface RecordedEvent {
  type: string;
  [field: string]: unknown;
}

/** Largest event a frame carries; the recorder replaces a bigger one with a marker. */
export const MAX_FRAME_PAYLOAD = 1 << 20;

/** The size `encodeFrameInto` will write for a frame with this time and payload length. */
export function frameSize(t: number, payloadLength: number): number {
  return 1 + varintLength(t) + varintLength(payloadLength) + payloadLength;
}

export function encodeFrameInto(buf: Uint8Array, offset: number, kind: FrameKind, t: number, payload: Uint8Array): number {
  buf[offset++] = kind;
  offset = writeVarint(buf, offset, t);
  offset = writeVarint(buf, offset, payload.length);
  buf.set(payload, offset);
  return offset + payload.length;
}

export function resizePayload(cols: number, rows: number): Uint8Array {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setUint16(0, cols);
  new DataView(p.buffer).setUint16(2, rows);
  return p;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

export function eventPayload(event: RecordedEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/** Encodes frames into one buffer (used by tests and tools; the recorder encodes in place). */
export function encodeFrames(frames: Frame[]): Uint8Array {
  const payloads = frames.map(payloadOf);
  const size = frames.reduce((n, f, i) => n + frameSize(f.t, payloads[i]!.length), 0);
  const out = new Uint8Array(size);
  let offset = 0;
  frames.forEach((f, i) => {
    offset = encodeFrameInto(out, offset, f.kind, f.t, payloads[i]!);
  });
  return out;
}

function payloadOf(f: Frame): Uint8Array {
  switch (f.kind) {
    case FrameKind.Data:
    case FrameKind.Screen:
      return f.data;
    case FrameKind.Resize:
      return resizePayload(f.cols, f.rows);
    case FrameKind.Event:
      return eventPayload(f.event);
  }
}

/** Decodes a chunk's plaintext. Throws RecordingError on any malformed frame. */
export function decodeFrames(buf: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  const readVarint = (): number => {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (offset >= buf.length) throw new RecordingError('frame truncated inside a varint');
      const b = buf[offset++]!;
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return n;
      scale *= 128;
    }
    throw new RecordingError('frame varint too long');
  };
  while (offset < buf.length) {
    const kind = buf[offset++]!;
    const t = readVarint();
    const len = readVarint();
    if (len > buf.length - offset) throw new RecordingError('frame payload runs past the chunk');
    const payload = buf.subarray(offset, offset + len);
    offset += len;
    frames.push(decodeFrame(kind, t, payload));
  }
  return frames;
}

function decodeFrame(kind: number, t: number, payload: Uint8Array): Frame {
  switch (kind) {
    case FrameKind.Data:
      return { kind, t, data: payload };
    case FrameKind.Screen:
      return { kind, t, data: payload };
    case FrameKind.Table:
      return { kind: FrameKind.Data, t, data: encoder.encode(renderTableFrame(payload)) };
    case FrameKind.Resize: {
      if (payload.length !== 4) throw new RecordingError('resize frame must be 4 bytes');
      const view = new DataView(payload.buffer, payload.byteOffset, 4);
      return { kind, t, cols: view.getUint16(0), rows: view.getUint16(2) };
    }
    case FrameKind.Event: {
      let event: unknown;
      try {
        event = JSON.parse(utf8.decode(payload));
      } catch (cause) {
        throw new RecordingError('event frame is not JSON', { cause });
      }
      if (event === null || typeof event !== 'object' || typeof (event as RecordedEvent).type !== 'string') {
        throw new RecordingError('event frame is not an object with a type');
      }
      return { kind, t, event: event as RecordedEvent };
    }
    default:
      throw new RecordingError(`unknown frame kind ${kind}`);
  }
}
