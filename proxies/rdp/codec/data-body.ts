/**
 * A slow-path data PDU's body decoded by its pduType2, and back: the one
 * place that maps pduType2 to the codec of its body.
 */
import { parseFlatData, parseRefreshRect, parseSuppressOutput, serializeFlatData, serializeRefreshRect, serializeSuppressOutput, type RefreshRect, type SuppressOutput } from './data-pdus.js';
import { parseSlowInput, serializeSlowInput, type SlowInputEvent } from './input.js';
import { PACKET_COMPRESSED, PduType2, type ShareData } from './share.js';
import type { Struct } from './struct.js';
import { parseBitmapUpdate, parsePalette, parseSlowPointer, serializeBitmapUpdate, serializePalette, serializeSlowPointer, type BitmapRect, type Palette, type Pointer } from './updates.js';

export type DataBody =
  | { kind: 'flat'; name: string; struct: Struct }
  | { kind: 'input'; pad: number; events: SlowInputEvent[] }
  | { kind: 'bitmap'; rects: BitmapRect[] }
  | { kind: 'palette'; palette: Palette }
  | { kind: 'pointer'; messageType: number; pad: number; pointer: Pointer }
  | { kind: 'refresh-rect'; refresh: RefreshRect }
  | { kind: 'suppress-output'; suppress: SuppressOutput }
  | { kind: 'raw'; name: string; data: Buffer };

const NAMES = Object.fromEntries(Object.entries(PduType2).map(([k, v]) => [v, k.toLowerCase().replace(/_pdu$/, '').replace(/_/g, '-')])) as Record<number, string>;

export const dataName = (pduType2: number): string => NAMES[pduType2] ?? `data-${pduType2}`;

export function decodeDataBody(d: ShareData): DataBody {
  const name = dataName(d.pduType2);
  if (d.compressedType & PACKET_COMPRESSED) return { kind: 'raw', name: `${name} (compressed)`, data: d.data };
  const flat = parseFlatData(d.pduType2, d.data);
  if (flat) return { kind: 'flat', name, struct: flat };
  switch (d.pduType2) {
    case PduType2.INPUT:
      return { kind: 'input', ...parseSlowInput(d.data) };
    case PduType2.POINTER:
      return { kind: 'pointer', ...parseSlowPointer(d.data) };
    case PduType2.REFRESH_RECT:
      return { kind: 'refresh-rect', refresh: parseRefreshRect(d.data) };
    case PduType2.SUPPRESS_OUTPUT:
      return { kind: 'suppress-output', suppress: parseSuppressOutput(d.data) };
    case PduType2.UPDATE: {
      const type = d.data.length >= 2 ? d.data.readUInt16LE(0) : -1;
      if (type === 1) return { kind: 'bitmap', rects: parseBitmapUpdate(d.data) };
      if (type === 2) return { kind: 'palette', palette: parsePalette(d.data) };
      return { kind: 'raw', name: type === 0 ? 'orders' : type === 3 ? 'update-synchronize' : `update-${type}`, data: d.data };
    }
    default:
      return { kind: 'raw', name, data: d.data };
  }
}

export function encodeDataBody(pduType2: number, b: DataBody): Buffer {
  switch (b.kind) {
    case 'flat':
      return serializeFlatData(pduType2, b.struct);
    case 'input':
      return serializeSlowInput(b);
    case 'pointer':
      return serializeSlowPointer(b);
    case 'refresh-rect':
      return serializeRefreshRect(b.refresh);
    case 'suppress-output':
      return serializeSuppressOutput(b.suppress);
    case 'bitmap':
      return serializeBitmapUpdate(b.rects);
    case 'palette':
      return serializePalette(b.palette);
    default:
      return b.data;
  }
}

/** A label for logs and tallies: the body's kind, or the data PDU's name. */
export function dataLabel(pduType2: number, b: DataBody): string {
  if (b.kind === 'flat' || b.kind === 'raw') return b.name;
  return b.kind === 'bitmap' || b.kind === 'palette' ? `update-${b.kind}` : b.kind;
}
