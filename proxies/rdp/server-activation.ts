/**
 * The PDUs the gateway sends when it plays the server's side of licensing,
 * capability exchange and connection finalization itself (MS-RDPBCGR 1.3.1.1
 * phases 6 to 9), to draw a refusal on the person's screen when no target
 * session will: everything on the I/O channel from the MCS server channel,
 * with TLS (no encryption, security headers only on licensing).
 *
 *   License Error PDU, valid client (2.2.1.12.1.3, 4.1.12): SEC_LICENSE_PKT
 *     | bMsgType ERROR_ALERT 0xFF | flags PREAMBLE_VERSION_3_0 | wMsgSize 16
 *     | dwErrorCode STATUS_VALID_CLIENT 7 | dwStateTransition ST_NO_TRANSITION 2 | BB_ERROR_BLOB 4, length 0
 *   Demand Active (2.2.1.13.1.1), its capability sets (2.2.7): general, bitmap,
 *     order (none supported), pointer, input, virtual channel, share, font
 *   Synchronize (2.2.1.19), Control Cooperate (2.2.1.20), Control Granted
 *     Control (2.2.1.21), Font Map (2.2.1.22)
 */
import { CapabilityType, serializeActive, type CapabilitySet } from './codec/capabilities.js';
import { Writer } from './codec/bytes.js';
import { ControlAction } from './codec/data-pdus.js';
import { SecFlag } from './codec/security.js';
import { PduType, PduType2, serializeShareControl } from './codec/share.js';
import { ioIndication as onIo, SERVER_CHANNEL, serverData } from './pdus.js';

/** The share id the gateway's own activation uses (the server channel in its low half, as servers do). */
export const GATEWAY_SHARE_ID = 0x10000 + SERVER_CHANNEL;

/** License Error PDU with STATUS_VALID_CLIENT: no licence is needed, go on to capability exchange. */
export function licenseValidClient(io: number): Buffer {
  const body = new Writer().u16le(SecFlag.LICENSE_PKT).u16le(0).u8(0xff).u8(0x03).u16le(16).u32le(7).u32le(2).u16le(4).u16le(0).done();
  return onIo(io, body);
}

const set = (type: number, w: Writer): CapabilitySet => ({ type, body: w.done() });

function capabilities(width: number, height: number, bpp: number): CapabilitySet[] {
  return [
    // General: protocol version 0x200, no compression, no fast-path output (the gateway writes slow-path updates).
    set(CapabilityType.GENERAL, new Writer().u16le(1).u16le(3).u16le(0x200).u16le(0).u16le(0).u16le(0).u16le(0).u16le(0).u16le(0).u8(0).u8(0)),
    // Bitmap: the depth and desktop size, receives 1/4/8 bpp, desktop resize off, bitmap compression, multiple rectangles.
    set(CapabilityType.BITMAP, new Writer().u16le(bpp).u16le(1).u16le(1).u16le(1).u16le(width).u16le(height).u16le(0).u16le(0).u16le(1).u8(0).u8(0).u16le(1).u16le(0)),
    // Order: NEGOTIATEORDERSUPPORT | ZEROBOUNDSDELTASSUPPORT, and not one order supported.
    set(CapabilityType.ORDER, new Writer().bytes(Buffer.alloc(16)).u32le(0).u16le(1).u16le(20).u16le(0).u16le(1).u16le(0).u16le(0x22).bytes(Buffer.alloc(32)).u16le(0).u16le(0).u32le(0).u32le(0).u16le(0).u16le(0).u16le(0).u16le(0)),
    set(CapabilityType.POINTER, new Writer().u16le(1).u16le(25).u16le(25)),
    // Input: INPUT_FLAG_SCANCODES | INPUT_FLAG_MOUSEX | INPUT_FLAG_UNICODE; the rest is the client's.
    set(CapabilityType.INPUT, new Writer().u16le(0x0015).u16le(0).u32le(0).u32le(0).u32le(0).u32le(0).bytes(Buffer.alloc(64))),
    set(CapabilityType.VIRTUALCHANNEL, new Writer().u32le(0).u32le(1600)),
    set(CapabilityType.SHARE, new Writer().u16le(SERVER_CHANNEL).u16le(0)),
    set(CapabilityType.FONT, new Writer().u16le(1).u16le(0)),
  ];
}

/** Demand Active for a `width`x`height` desktop at `bpp`. */
export function demandActive(io: number, width: number, height: number, bpp: number): Buffer {
  const body = serializeActive({ kind: 'demand-active', shareId: GATEWAY_SHARE_ID, originatorId: null, sourceDescriptor: Buffer.from('RDP\0', 'latin1'), pad2: 0, sets: capabilities(width, height, bpp), tail: new Writer().u32le(0).done() });
  return onIo(io, serializeShareControl({ totalLength: 0, pduType: PduType.DEMANDACTIVE, version: 0x10, pduSource: SERVER_CHANNEL, body }));
}

/** The server's half of connection finalization, sent once the client's Font List arrives: Synchronize, Cooperate, Granted Control, Font Map. */
export function finalization(io: number, user: number): Buffer[] {
  const data = (pduType2: number, w: Writer): Buffer => serverData(io, pduType2, w.done(), GATEWAY_SHARE_ID);
  return [
    data(PduType2.SYNCHRONIZE, new Writer().u16le(1).u16le(SERVER_CHANNEL)),
    data(PduType2.CONTROL, new Writer().u16le(ControlAction.COOPERATE).u16le(0).u32le(0)),
    data(PduType2.CONTROL, new Writer().u16le(ControlAction.GRANTED_CONTROL).u16le(user).u32le(SERVER_CHANNEL)),
    // numberEntries 0, totalNumEntries 0, mapFlags FONTMAP_FIRST | FONTMAP_LAST, entrySize 4.
    data(PduType2.FONTMAP, new Writer().u16le(0).u16le(0).u16le(0x0003).u16le(4)),
  ];
}
