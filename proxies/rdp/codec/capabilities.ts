/**
 * Demand Active / Confirm Active (MS-RDPBCGR 2.2.1.13.1.1, 2.2.1.13.2.1)
 * and their capability sets (2.2.7):
 *
 *   Demand Active   shareId:u32 | lengthSourceDescriptor:u16 | lengthCombinedCapabilities:u16
 *                   | sourceDescriptor | numberCapabilities:u16 | pad2:u16 | capabilitySets | sessionId:u32
 *   Confirm Active  shareId:u32 | originatorId:u16 | lengthSourceDescriptor | lengthCombinedCapabilities
 *                   | sourceDescriptor | numberCapabilities | pad2 | capabilitySets
 *   capability set  capabilitySetType:u16 | lengthCapability:u16 (header included) | body
 *
 * Sets are kept as type + body; the known ones decode through their schemas.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';
import type { Schema } from './struct.js';

export const CapabilityType = {
  GENERAL: 1,
  BITMAP: 2,
  ORDER: 3,
  BITMAPCACHE: 4,
  CONTROL: 5,
  ACTIVATION: 7,
  POINTER: 8,
  SHARE: 9,
  COLORCACHE: 10,
  SOUND: 12,
  INPUT: 13,
  FONT: 14,
  BRUSH: 15,
  GLYPHCACHE: 16,
  OFFSCREENCACHE: 17,
  BITMAPCACHE_HOSTSUPPORT: 18,
  BITMAPCACHE_REV2: 19,
  VIRTUALCHANNEL: 20,
  DRAWNINEGRIDCACHE: 21,
  DRAWGDIPLUS: 22,
  RAIL: 23,
  WINDOW: 24,
  COMPDESK: 25,
  MULTIFRAGMENTUPDATE: 26,
  LARGE_POINTER: 27,
  SURFACE_COMMANDS: 28,
  BITMAP_CODECS: 29,
  FRAME_ACKNOWLEDGE: 30,
} as const;

export interface CapabilitySet {
  type: number;
  body: Buffer;
}

export interface ActivePdu {
  kind: 'demand-active' | 'confirm-active';
  shareId: number;
  /** Confirm Active only. */
  originatorId: number | null;
  sourceDescriptor: Buffer;
  pad2: number;
  sets: CapabilitySet[];
  /** Demand Active's sessionId and anything after, verbatim. */
  tail: Buffer;
}

const MAX_SETS = 64;

export function parseActive(body: Buffer, kind: ActivePdu['kind']): ActivePdu {
  const r = new Reader(body, kind);
  const shareId = r.u32le('shareId');
  const originatorId = kind === 'confirm-active' ? r.u16le('originatorId') : null;
  const lengthSource = r.u16le('lengthSourceDescriptor');
  const lengthCombined = r.u16le('lengthCombinedCapabilities');
  const sourceDescriptor = r.bytes(lengthSource, 'sourceDescriptor');
  const caps = r.sub(lengthCombined, kind, 'capability sets');
  const count = caps.u16le('numberCapabilities');
  const pad2 = caps.u16le('pad2');
  if (count > MAX_SETS) throw codecError([kind], `${count} capability sets, more than ${MAX_SETS}`);
  const sets: CapabilitySet[] = [];
  for (let i = 0; i < count; i++) {
    const type = caps.u16le('capabilitySetType');
    const length = caps.u16le('lengthCapability');
    if (length < 4) throw codecError([kind], `capability set ${type} of length ${length}`);
    sets.push({ type, body: caps.bytes(length - 4, `capability set ${type}`) });
  }
  caps.end('the capability sets');
  return { kind, shareId, originatorId, sourceDescriptor, pad2, sets, tail: r.rest() };
}

export function serializeActive(p: ActivePdu): Buffer {
  const caps = new Writer().u16le(p.sets.length).u16le(p.pad2);
  for (const s of p.sets) caps.u16le(s.type).u16le(s.body.length + 4).bytes(s.body);
  const combined = caps.done();
  const w = new Writer().u32le(p.shareId);
  if (p.kind === 'confirm-active') w.u16le(p.originatorId ?? 0x3ea);
  return w.u16le(p.sourceDescriptor.length).u16le(combined.length).bytes(p.sourceDescriptor).bytes(combined).bytes(p.tail).done();
}

/** TS_GENERAL_CAPABILITYSET (2.2.7.1.1). */
export const GENERAL: Schema = [
  ['osMajorType', 'u16'],
  ['osMinorType', 'u16'],
  ['protocolVersion', 'u16'],
  ['pad2octetsA', 'u16'],
  ['compressionTypes', 'u16'],
  ['extraFlags', 'u16'],
  ['updateCapabilityFlag', 'u16'],
  ['remoteUnshareFlag', 'u16'],
  ['compressionLevel', 'u16'],
  ['refreshRectSupport', 'u8'],
  ['suppressOutputSupport', 'u8'],
];

/** TS_BITMAP_CAPABILITYSET (2.2.7.1.2). */
export const BITMAP: Schema = [
  ['preferredBitsPerPixel', 'u16'],
  ['receive1BitPerPixel', 'u16'],
  ['receive4BitsPerPixel', 'u16'],
  ['receive8BitsPerPixel', 'u16'],
  ['desktopWidth', 'u16'],
  ['desktopHeight', 'u16'],
  ['pad2octets', 'u16'],
  ['desktopResizeFlag', 'u16'],
  ['bitmapCompressionFlag', 'u16'],
  ['highColorFlags', 'u8'],
  ['drawingFlags', 'u8'],
  ['multipleRectangleSupport', 'u16'],
  ['pad2octetsB', 'u16'],
];

/** TS_ORDER_CAPABILITYSET (2.2.7.1.3). */
export const ORDER: Schema = [
  ['terminalDescriptor', 16],
  ['pad4octetsA', 'u32'],
  ['desktopSaveXGranularity', 'u16'],
  ['desktopSaveYGranularity', 'u16'],
  ['pad2octetsA', 'u16'],
  ['maximumOrderLevel', 'u16'],
  ['numberFonts', 'u16'],
  ['orderFlags', 'u16'],
  ['orderSupport', 32],
  ['textFlags', 'u16'],
  ['orderSupportExFlags', 'u16'],
  ['pad4octetsB', 'u32'],
  ['desktopSaveSize', 'u32'],
  ['pad2octetsC', 'u16'],
  ['pad2octetsD', 'u16'],
  ['textANSICodePage', 'u16'],
  ['pad2octetsE', 'u16'],
];

/** TS_POINTER_CAPABILITYSET (2.2.7.1.5): the last field is absent from older peers. */
export const POINTER: Schema = [
  ['colorPointerFlag', 'u16'],
  ['colorPointerCacheSize', 'u16'],
  ['pointerCacheSize', 'u16'],
];

/** TS_INPUT_CAPABILITYSET (2.2.7.1.6). */
export const INPUT: Schema = [
  ['inputFlags', 'u16'],
  ['pad2octetsA', 'u16'],
  ['keyboardLayout', 'u32'],
  ['keyboardType', 'u32'],
  ['keyboardSubType', 'u32'],
  ['keyboardFunctionKey', 'u32'],
  ['imeFileName', 64],
];

/** TS_VIRTUALCHANNEL_CAPABILITYSET (2.2.7.1.10): VCChunkSize is optional. */
export const VIRTUALCHANNEL: Schema = [
  ['flags', 'u32'],
  ['VCChunkSize', 'u32'],
];

/** TS_SURFCMDS_CAPABILITYSET (2.2.7.2.9). */
export const SURFACE_COMMANDS: Schema = [
  ['cmdFlags', 'u32'],
  ['reserved', 'u32'],
];

/** A capability set of `type`, or undefined. */
export function findSet(p: ActivePdu, type: number): CapabilitySet | undefined {
  return p.sets.find((s) => s.type === type);
}
