/**
 * Share control and share data headers (MS-RDPBCGR 2.2.8.1.1.1.1 - .2):
 *
 *   TS_SHARECONTROLHEADER  totalLength:u16 | pduType:u16 (type | version 0x10 << 0) | pduSource:u16
 *                          (a flow-control PDU has totalLength 0x8000 and is kept verbatim)
 *   TS_SHAREDATAHEADER     shareId:u32 | pad1:u8 | streamId:u8 | uncompressedLength:u16
 *                          | pduType2:u8 | compressedType:u8 | compressedLength:u16 | data
 *
 * uncompressedLength is recomputed from the data unless the data is bulk
 * compressed (compressedType has PACKET_COMPRESSED), when it is kept.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

export const PduType = {
  DEMANDACTIVE: 0x1,
  CONFIRMACTIVE: 0x3,
  DEACTIVATEALL: 0x6,
  DATA: 0x7,
  SERVER_REDIR: 0xa,
} as const;

export const PduType2 = {
  UPDATE: 2,
  CONTROL: 20,
  POINTER: 27,
  INPUT: 28,
  SYNCHRONIZE: 31,
  REFRESH_RECT: 33,
  PLAY_SOUND: 34,
  SUPPRESS_OUTPUT: 35,
  SHUTDOWN_REQUEST: 36,
  SHUTDOWN_DENIED: 37,
  SAVE_SESSION_INFO: 38,
  FONTLIST: 39,
  FONTMAP: 40,
  SET_KEYBOARD_INDICATORS: 41,
  BITMAPCACHE_PERSISTENT_LIST: 43,
  BITMAPCACHE_ERROR_PDU: 44,
  SET_KEYBOARD_IME_STATUS: 45,
  OFFSCRCACHE_ERROR_PDU: 46,
  SET_ERROR_INFO_PDU: 47,
  DRAWNINEGRID_ERROR_PDU: 48,
  DRAWGDIPLUS_ERROR_PDU: 49,
  ARC_STATUS_PDU: 50,
  STATUS_INFO_PDU: 54,
  MONITOR_LAYOUT_PDU: 55,
  FRAME_ACKNOWLEDGE_PDU: 56,
} as const;

/** compressedType (2.2.8.1.1.1.2): PACKET_COMPRESSED and the compression type in the low nibble. */
export const PACKET_COMPRESSED = 0x20;

export interface ShareControl {
  totalLength: number;
  pduType: number;
  /** The pduType field's version bits (0x10 for every current PDU). */
  version: number;
  pduSource: number | null;
  body: Buffer;
}

export function parseShareControl(data: Buffer): ShareControl {
  const r = new Reader(data, 'share-control');
  const totalLength = r.u16le('totalLength');
  if (totalLength === 0x8000) return { totalLength, pduType: 0, version: 0, pduSource: null, body: r.rest() };
  if (totalLength !== data.length) throw codecError(['share-control'], `totalLength ${totalLength} is not the ${data.length} bytes of the PDU`);
  const t = r.u16le('pduType');
  const pduSource = r.remaining >= 2 ? r.u16le('pduSource') : null;
  return { totalLength, pduType: t & 0x0f, version: t & 0xfff0, pduSource, body: r.rest() };
}

export function serializeShareControl(c: ShareControl): Buffer {
  if (c.totalLength === 0x8000) return new Writer().u16le(0x8000).bytes(c.body).done();
  const length = 4 + (c.pduSource === null ? 0 : 2) + c.body.length;
  const w = new Writer().u16le(length).u16le(c.pduType | c.version);
  if (c.pduSource !== null) w.u16le(c.pduSource);
  return w.bytes(c.body).done();
}

export interface ShareData {
  shareId: number;
  pad1: number;
  streamId: number;
  uncompressedLength: number;
  pduType2: number;
  compressedType: number;
  compressedLength: number;
  data: Buffer;
}

export function parseShareData(body: Buffer): ShareData {
  const r = new Reader(body, 'share-data');
  return {
    shareId: r.u32le('shareId'),
    pad1: r.u8('pad1'),
    streamId: r.u8('streamId'),
    uncompressedLength: r.u16le('uncompressedLength'),
    pduType2: r.u8('pduType2'),
    compressedType: r.u8('compressedType'),
    compressedLength: r.u16le('compressedLength'),
    data: r.rest(),
  };
}

export function serializeShareData(d: ShareData): Buffer {
  return new Writer()
    .u32le(d.shareId)
    .u8(d.pad1)
    .u8(d.streamId)
    .u16le(d.uncompressedLength)
    .u8(d.pduType2)
    .u8(d.compressedType)
    .u16le(d.compressedLength)
    .bytes(d.data)
    .done();
}

/** Share data header around edited data: the lengths follow it (uncompressed, as every edit is). */
export function withData(d: ShareData, data: Buffer): ShareData {
  if (d.compressedType & PACKET_COMPRESSED) throw codecError(['share-data'], 'cannot edit bulk-compressed data');
  // uncompressedLength counts from pduType2 on (the 4 bytes of header after it and the data), per 2.2.8.1.1.1.2.
  const delta = data.length - d.data.length;
  return { ...d, data, uncompressedLength: d.uncompressedLength + delta };
}
