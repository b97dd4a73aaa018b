/**
 * The clipboard virtual channel "cliprdr" (MS-RDPECLIP 2.2):
 *
 *   CLIPRDR_HEADER (2.2.1)  msgType:u16 | msgFlags:u16 | dataLen:u32 | data
 *   Format List (2.2.3.1)   long names (CB_USE_LONG_FORMAT_NAMES): formatId:u32 | wszFormatName (UTF-16, NUL) ...
 *                           short names: formatId:u32 | formatName (32 bytes) ...
 *   Format Data Request (2.2.5.1)   requestedFormatId:u32
 *   Format Data Response (2.2.5.2)  msgFlags CB_RESPONSE_OK / CB_RESPONSE_FAIL | requestedFormatData
 *   File Contents Request (2.2.5.3) streamId | lindex | dwFlags | nPositionLow | nPositionHigh | cbRequested [| clipDataId]
 *   File Contents Response (2.2.5.4) streamId | requestedFileContentsData
 *   Capabilities (2.2.2.1)  cCapabilitiesSets:u16 | pad | general set: type=1 | length=12 | version:u32 | generalFlags:u32
 */
import { Reader, Writer, utf16z } from './bytes.js';
import { codecError } from './errors.js';

export const ClipMsg = {
  MONITOR_READY: 0x1,
  FORMAT_LIST: 0x2,
  FORMAT_LIST_RESPONSE: 0x3,
  FORMAT_DATA_REQUEST: 0x4,
  FORMAT_DATA_RESPONSE: 0x5,
  TEMP_DIRECTORY: 0x6,
  CLIP_CAPS: 0x7,
  FILECONTENTS_REQUEST: 0x8,
  FILECONTENTS_RESPONSE: 0x9,
  LOCK_CLIPDATA: 0xa,
  UNLOCK_CLIPDATA: 0xb,
} as const;

export const CB_RESPONSE_OK = 0x1;
export const CB_RESPONSE_FAIL = 0x2;
export const CB_USE_LONG_FORMAT_NAMES = 0x2;
export const CF_UNICODETEXT = 13;

export interface ClipPdu {
  msgType: number;
  msgFlags: number;
  data: Buffer;
}

export function parseClipPdu(message: Buffer): ClipPdu {
  const r = new Reader(message, 'cliprdr');
  const msgType = r.u16le('msgType');
  const msgFlags = r.u16le('msgFlags');
  const dataLen = r.u32le('dataLen');
  const data = r.bytes(dataLen, 'data');
  // Some clients pad a PDU; what follows dataLen is not part of it.
  return { msgType, msgFlags, data };
}

export function serializeClipPdu(p: ClipPdu): Buffer {
  return new Writer().u16le(p.msgType).u16le(p.msgFlags).u32le(p.data.length).bytes(p.data).done();
}

export interface ClipFormat {
  id: number;
  name: string;
}

export function parseFormatList(data: Buffer, longNames: boolean): ClipFormat[] {
  const r = new Reader(data, 'cliprdr/format-list');
  const out: ClipFormat[] = [];
  while (r.remaining > 0) {
    const id = r.u32le('formatId');
    if (!longNames) {
      out.push({ id, name: utf16z(r.bytes(32, 'formatName')) });
      continue;
    }
    let end = r.offset;
    while (end + 1 < data.length && (data[end] !== 0 || data[end + 1] !== 0)) end += 2;
    if (end + 1 >= data.length) throw codecError(['cliprdr', 'format-list'], 'a format name without its terminating NUL');
    out.push({ id, name: data.subarray(r.offset, end).toString('utf16le') });
    r.offset = end + 2;
    if (out.length > 4096) throw codecError(['cliprdr', 'format-list'], 'more than 4096 formats');
  }
  return out;
}

export function serializeFormatList(formats: ClipFormat[], longNames: boolean): Buffer {
  const w = new Writer();
  for (const f of formats) {
    w.u32le(f.id);
    if (longNames) w.bytes(Buffer.from(`${f.name}\0`, 'utf16le'));
    else {
      const name = Buffer.alloc(32);
      name.write(f.name.slice(0, 15), 'utf16le');
      w.bytes(name);
    }
  }
  return w.done();
}

export interface FileContentsRequest {
  streamId: number;
  listIndex: number;
  flags: number;
  positionLow: number;
  positionHigh: number;
  requested: number;
  clipDataId: number | null;
}

export function parseFileContentsRequest(data: Buffer): FileContentsRequest {
  const r = new Reader(data, 'cliprdr/file-contents');
  const req = { streamId: r.u32le(), listIndex: r.u32le(), flags: r.u32le(), positionLow: r.u32le(), positionHigh: r.u32le(), requested: r.u32le() };
  return { ...req, clipDataId: r.remaining >= 4 ? r.u32le() : null };
}

export function serializeFileContentsRequest(q: FileContentsRequest): Buffer {
  const w = new Writer().u32le(q.streamId).u32le(q.listIndex).u32le(q.flags).u32le(q.positionLow).u32le(q.positionHigh).u32le(q.requested);
  if (q.clipDataId !== null) w.u32le(q.clipDataId);
  return w.done();
}

/** The general capability set's flags from a Clipboard Capabilities PDU, or 0. */
export function clipGeneralFlags(data: Buffer): number {
  const r = new Reader(data, 'cliprdr/caps');
  const n = r.u16le('cCapabilitiesSets');
  r.u16le('pad1');
  for (let i = 0; i < n; i++) {
    const type = r.u16le('capabilitySetType');
    const length = r.u16le('lengthCapability');
    if (length < 4) throw codecError(['cliprdr', 'caps'], `a capability set of length ${length}`);
    const body = r.sub(length - 4, 'cliprdr/caps');
    if (type === 1) {
      body.u32le('version');
      return body.u32le('generalFlags');
    }
  }
  return 0;
}

export type ClipSide = 'client' | 'server';

/** A text copied from one side's clipboard and pasted on the other. */
export interface TextTransfer {
  /** Whose clipboard the text came from. */
  from: ClipSide;
  text: string;
}

/**
 * Follows a cliprdr conversation in both directions and yields the text
 * (CF_UNICODETEXT) each side's paste fetched from the other: a Format Data
 * Request from one side, answered by a Format Data Response from the other.
 */
export class ClipboardTracker {
  private longNames = false;
  private capsSeen: Record<ClipSide, number | null> = { client: null, server: null };
  /** The format each side last asked the other for. */
  private asked: Record<ClipSide, number | null> = { client: null, server: null };
  readonly offered: Record<ClipSide, ClipFormat[]> = { client: [], server: [] };

  /** A whole cliprdr message sent by `from`. */
  push(from: ClipSide, message: Buffer): TextTransfer | null {
    const pdu = parseClipPdu(message);
    const other: ClipSide = from === 'client' ? 'server' : 'client';
    switch (pdu.msgType) {
      case ClipMsg.CLIP_CAPS:
        this.capsSeen[from] = clipGeneralFlags(pdu.data);
        this.longNames = [this.capsSeen.client, this.capsSeen.server].every((f) => f === null || (f & CB_USE_LONG_FORMAT_NAMES) !== 0) && this.capsSeen[from] !== null;
        return null;
      case ClipMsg.FORMAT_LIST:
        this.offered[from] = parseFormatList(pdu.data, this.longNames);
        return null;
      case ClipMsg.FORMAT_DATA_REQUEST:
        this.asked[from] = new Reader(pdu.data, 'cliprdr/data-request').u32le('requestedFormatId');
        return null;
      case ClipMsg.FORMAT_DATA_RESPONSE: {
        const format = this.asked[other];
        this.asked[other] = null;
        if (format !== CF_UNICODETEXT || !(pdu.msgFlags & CB_RESPONSE_OK)) return null;
        return { from, text: utf16z(pdu.data) };
      }
      default:
        return null;
    }
  }
}
