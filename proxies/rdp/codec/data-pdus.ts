/**
 * The bodies of slow-path data PDUs (after the share data header), by
 * pduType2 (MS-RDPBCGR):
 *
 *   Synchronize (2.2.1.14.1)       messageType:u16 | targetUser:u16
 *   Control (2.2.1.15.1)           action:u16 | grantId:u16 | controlId:u32
 *   Font List (2.2.1.18.1)         numberFonts | totalNumFonts | listFlags | entrySize (u16 each)
 *   Font Map (2.2.1.22.1)          numberEntries | totalNumEntries | mapFlags | entrySize
 *   Set Error Info (2.2.5.1.1)     errorInfo:u32
 *   Shutdown Request / Denied      nothing (2.2.2.2.1, 2.2.2.3.1)
 *   Save Session Info (2.2.10.1.1) infoType:u32 | infoData (kept verbatim)
 *   Refresh Rect (2.2.11.2.1)      numberOfAreas:u8 | pad3 | TS_RECTANGLE16 {left, top, right, bottom: u16} * n
 *   Suppress Output (2.2.11.3.1)   allowDisplayUpdates:u8 | pad3 | [desktopRect: TS_RECTANGLE16]
 *   Input (2.2.8.1.1.3.1)          numEvents:u16 | pad2 | TS_INPUT_EVENT * n   (see input.ts)
 *   Update (2.2.9.1.1.3.1), Pointer (2.2.9.1.1.4)                              (see updates.ts)
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';
import { PduType2 } from './share.js';
import { parseStruct, structBytes, type Schema, type Struct } from './struct.js';

export const SYNCHRONIZE: Schema = [
  ['messageType', 'u16'],
  ['targetUser', 'u16'],
];
export const CONTROL: Schema = [
  ['action', 'u16'],
  ['grantId', 'u16'],
  ['controlId', 'u32'],
];
export const FONT_LIST: Schema = [
  ['numberFonts', 'u16'],
  ['totalNumFonts', 'u16'],
  ['listFlags', 'u16'],
  ['entrySize', 'u16'],
];
export const FONT_MAP: Schema = [
  ['numberEntries', 'u16'],
  ['totalNumEntries', 'u16'],
  ['mapFlags', 'u16'],
  ['entrySize', 'u16'],
];
export const SET_ERROR_INFO: Schema = [['errorInfo', 'u32']];
export const SAVE_SESSION_INFO: Schema = [['infoType', 'u32']];

export const ControlAction = { REQUEST_CONTROL: 1, GRANTED_CONTROL: 2, DETACH: 3, COOPERATE: 4 } as const;

/** Save Session Info infoType (2.2.10.1.1). */
export const LogonInfoType = { LOGON: 0, LOGON_LONG: 1, PLAINNOTIFY: 2, LOGON_EXTENDED_INFO: 3 } as const;

const FLAT: Record<number, Schema> = {
  [PduType2.SYNCHRONIZE]: SYNCHRONIZE,
  [PduType2.CONTROL]: CONTROL,
  [PduType2.FONTLIST]: FONT_LIST,
  [PduType2.FONTMAP]: FONT_MAP,
  [PduType2.SET_ERROR_INFO_PDU]: SET_ERROR_INFO,
  [PduType2.SAVE_SESSION_INFO]: SAVE_SESSION_INFO,
};

/** The flat body of a data PDU of `pduType2`, or null when it is not one of the flat kinds. */
export function parseFlatData(pduType2: number, data: Buffer): Struct | null {
  const schema = FLAT[pduType2];
  return schema ? parseStruct(data, `data/${pduType2}`, schema) : null;
}

export function serializeFlatData(pduType2: number, s: Struct): Buffer {
  const schema = FLAT[pduType2];
  if (!schema) throw codecError(['data'], `pduType2 ${pduType2} is not a flat data PDU`);
  return structBytes(schema, s);
}

export interface Rect16 {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const readRect = (r: Reader): Rect16 => ({ left: r.u16le('left'), top: r.u16le('top'), right: r.u16le('right'), bottom: r.u16le('bottom') });
const writeRect = (w: Writer, x: Rect16): Writer => w.u16le(x.left).u16le(x.top).u16le(x.right).u16le(x.bottom);

export interface RefreshRect {
  pad: Buffer;
  areas: Rect16[];
}

export function parseRefreshRect(data: Buffer): RefreshRect {
  const r = new Reader(data, 'refresh-rect');
  const n = r.u8('numberOfAreas');
  const pad = r.bytes(3, 'pad3Octets');
  const areas: Rect16[] = [];
  for (let i = 0; i < n; i++) areas.push(readRect(r));
  r.end('the areas');
  return { pad, areas };
}

export function serializeRefreshRect(p: RefreshRect): Buffer {
  if (p.areas.length > 255) throw codecError(['refresh-rect'], 'more than 255 areas');
  const w = new Writer().u8(p.areas.length).bytes(p.pad);
  for (const a of p.areas) writeRect(w, a);
  return w.done();
}

export interface SuppressOutput {
  allowDisplayUpdates: number;
  pad: Buffer;
  rect: Rect16 | null;
}

export function parseSuppressOutput(data: Buffer): SuppressOutput {
  const r = new Reader(data, 'suppress-output');
  const allowDisplayUpdates = r.u8('allowDisplayUpdates');
  const pad = r.bytes(3, 'pad3Octets');
  const rect = r.remaining >= 8 ? readRect(r) : null;
  r.end('Suppress Output');
  return { allowDisplayUpdates, pad, rect };
}

export function serializeSuppressOutput(p: SuppressOutput): Buffer {
  const w = new Writer().u8(p.allowDisplayUpdates).bytes(p.pad);
  if (p.rect) writeRect(w, p.rect);
  return w.done();
}
