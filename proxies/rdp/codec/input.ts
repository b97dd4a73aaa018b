/**
 * Input events, slow path and fast path (MS-RDPBCGR):
 *
 *   slow path  TS_INPUT_PDU_DATA (2.2.8.1.1.3.1): numEvents:u16 | pad2 | events,
 *              each eventTime:u32 | messageType:u16 | 6 bytes:
 *                sync (0x0000)      pad2 | toggleFlags:u32
 *                scancode (0x0004)  keyboardFlags:u16 | keyCode:u16 | pad2
 *                unicode (0x0005)   keyboardFlags:u16 | unicodeCode:u16 | pad2
 *                mouse (0x8001)     pointerFlags:u16 | xPos:u16 | yPos:u16
 *                mouse-x (0x8002)   pointerFlags:u16 | xPos:u16 | yPos:u16
 *   fast path  TS_FP_INPUT_PDU (2.2.8.1.2): fpInputHeader:u8 (action 0..1, numEvents 2..5,
 *              flags 6..7) | length (1 or 2 bytes) | [numEvents:u8 when the header's is 0] | events,
 *              each eventHeader:u8 (eventFlags 0..4, eventCode 5..7) and:
 *                scancode (0) keyCode:u8 · mouse (1) / mouse-x (2) pointerFlags:u16 | x:u16 | y:u16
 *                sync (3) nothing · unicode (4) unicodeCode:u16 · QoE timestamp (6) timestamp:u32
 * Encrypted fast-path input (flags bit 2) carries a signature and is refused: TLS only.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

export type InputEvent =
  | { type: 'sync'; toggleFlags: number }
  | { type: 'scancode'; flags: number; keyCode: number }
  | { type: 'unicode'; flags: number; code: number }
  | { type: 'mouse' | 'mouse-x'; pointerFlags: number; x: number; y: number }
  | { type: 'qoe'; timestamp: number }
  | { type: 'unknown'; code: number; data: Buffer };

export interface SlowInputEvent {
  time: number;
  event: InputEvent;
}

/** keyboardFlags (2.2.8.1.1.3.1.1.1) and the fast-path eventFlags (2.2.8.1.2.2.1). */
export const KBDFLAGS_EXTENDED = 0x0100;
export const KBDFLAGS_RELEASE = 0x8000;
export const FASTPATH_KBDFLAGS_RELEASE = 0x01;
export const FASTPATH_KBDFLAGS_EXTENDED = 0x02;

export function parseSlowInput(data: Buffer): { pad: number; events: SlowInputEvent[] } {
  const r = new Reader(data, 'input');
  const n = r.u16le('numEvents');
  const pad = r.u16le('pad2Octets');
  r.need(n * 12, 'input events');
  const events: SlowInputEvent[] = [];
  for (let i = 0; i < n; i++) {
    const time = r.u32le('eventTime');
    const type = r.u16le('messageType');
    const a = r.u16le();
    const b = r.u16le();
    const c = r.u16le();
    let event: InputEvent;
    if (type === 0x0000) event = { type: 'sync', toggleFlags: b | (c << 16) };
    else if (type === 0x0004) event = { type: 'scancode', flags: a, keyCode: b };
    else if (type === 0x0005) event = { type: 'unicode', flags: a, code: b };
    else if (type === 0x8001 || type === 0x8002) event = { type: type === 0x8001 ? 'mouse' : 'mouse-x', pointerFlags: a, x: b, y: c };
    else event = { type: 'unknown', code: type, data: Buffer.from(data.subarray(r.offset - 6, r.offset)) };
    events.push({ time, event });
  }
  r.end('the input events');
  return { pad, events };
}

export function serializeSlowInput(p: { pad: number; events: SlowInputEvent[] }): Buffer {
  const w = new Writer().u16le(p.events.length).u16le(p.pad);
  for (const { time, event: e } of p.events) {
    w.u32le(time);
    if (e.type === 'sync') w.u16le(0).u16le(0).u16le(e.toggleFlags & 0xffff).u16le(e.toggleFlags >>> 16);
    else if (e.type === 'scancode') w.u16le(4).u16le(e.flags).u16le(e.keyCode).u16le(0);
    else if (e.type === 'unicode') w.u16le(5).u16le(e.flags).u16le(e.code).u16le(0);
    else if (e.type === 'mouse' || e.type === 'mouse-x') w.u16le(e.type === 'mouse' ? 0x8001 : 0x8002).u16le(e.pointerFlags).u16le(e.x).u16le(e.y);
    else if (e.type === 'unknown') w.u16le(e.code).bytes(e.data);
    else throw codecError(['input'], 'a QoE timestamp has no slow-path form');
  }
  return w.done();
}

export interface FastPathEvent {
  /** eventFlags (5 bits): key release/extended, or the sync toggle flags. */
  flags: number;
  event: InputEvent;
}

export interface FastPathInput {
  header: number;
  /** Whether numEvents travelled in a byte of its own (always so for more than 15 events). */
  separateCount: boolean;
  lengthWidth: number;
  events: FastPathEvent[];
}

export function parseFastPathInput(pdu: Buffer): FastPathInput {
  const r = new Reader(pdu, 'fastpath-input');
  const header = r.u8('fpInputHeader');
  if (header & 0x03) throw codecError(['fastpath-input'], 'not a fast-path PDU');
  if (header & 0x80) throw codecError(['fastpath-input'], 'encrypted fast-path input: only TLS and NLA security are relayed');
  const l1 = r.u8('length');
  const lengthWidth = l1 & 0x80 ? 2 : 1;
  const length = l1 & 0x80 ? ((l1 & 0x7f) << 8) | r.u8('length') : l1;
  if (length !== pdu.length) throw codecError(['fastpath-input'], `length ${length} is not the ${pdu.length} bytes of the PDU`);
  let n = (header >> 2) & 0x0f;
  const separateCount = n === 0;
  if (separateCount) n = r.u8('numEvents');
  const events: FastPathEvent[] = [];
  for (let i = 0; i < n; i++) {
    const eh = r.u8('eventHeader');
    const flags = eh & 0x1f;
    const code = eh >> 5;
    let event: InputEvent;
    if (code === 0) event = { type: 'scancode', flags, keyCode: r.u8('keyCode') };
    else if (code === 1 || code === 2) event = { type: code === 1 ? 'mouse' : 'mouse-x', pointerFlags: r.u16le('pointerFlags'), x: r.u16le('xPos'), y: r.u16le('yPos') };
    else if (code === 3) event = { type: 'sync', toggleFlags: flags };
    else if (code === 4) event = { type: 'unicode', flags, code: r.u16le('unicodeCode') };
    else if (code === 6) event = { type: 'qoe', timestamp: r.u32le('timestamp') };
    else throw codecError(['fastpath-input'], `unknown event code ${code}`);
    events.push({ flags, event });
  }
  r.end('the fast-path input events');
  return { header, separateCount, lengthWidth, events };
}

export function serializeFastPathInput(p: FastPathInput): Buffer {
  const separate = p.separateCount || p.events.length > 15;
  const body = new Writer();
  if (separate) body.u8(p.events.length);
  for (const { flags, event: e } of p.events) {
    const code = { scancode: 0, mouse: 1, 'mouse-x': 2, sync: 3, unicode: 4, qoe: 6, unknown: -1 }[e.type];
    if (code < 0) throw codecError(['fastpath-input'], 'an unknown event has no fast-path form');
    body.u8((code << 5) | (flags & 0x1f));
    if (e.type === 'scancode') body.u8(e.keyCode);
    else if (e.type === 'mouse' || e.type === 'mouse-x') body.u16le(e.pointerFlags).u16le(e.x).u16le(e.y);
    else if (e.type === 'unicode') body.u16le(e.code);
    else if (e.type === 'qoe') body.u32le(e.timestamp);
  }
  const events = body.done();
  const header = (p.header & 0xc3) | ((separate ? 0 : p.events.length) << 2);
  return withFastPathLength(header, events, p.lengthWidth);
}

/** A fast-path PDU: its header byte, its length (1 or 2 bytes, the 2-byte form when asked or needed), the body. */
export function withFastPathLength(header: number, body: Buffer, width = 1): Buffer {
  const w = body.length + 2 < 0x80 && width === 1 ? 1 : 2;
  const length = body.length + 1 + w;
  if (length > 0x7fff) throw codecError(['fastpath'], `a fast-path PDU of ${length} bytes`);
  const h = w === 1 ? Buffer.of(header, length) : Buffer.of(header, 0x80 | (length >> 8), length & 0xff);
  return Buffer.concat([h, body]);
}
