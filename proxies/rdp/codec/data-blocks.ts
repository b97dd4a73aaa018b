/**
 * The client and server data blocks of the GCC conference (MS-RDPBCGR
 * 2.2.1.3.2 - 2.2.1.4.4), each a flat structure. Blocks this codec does not
 * know stay verbatim in the conference's block list.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';
import type { DataBlock } from './gcc.js';
import { parseStruct, structBytes, type Schema, type Struct } from './struct.js';

export const BlockType = {
  CS_CORE: 0xc001,
  CS_SECURITY: 0xc002,
  CS_NET: 0xc003,
  CS_CLUSTER: 0xc004,
  CS_MONITOR: 0xc005,
  CS_MCS_MSGCHANNEL: 0xc006,
  CS_MONITOR_EX: 0xc008,
  CS_MULTITRANSPORT: 0xc00a,
  SC_CORE: 0x0c01,
  SC_SECURITY: 0x0c02,
  SC_NET: 0x0c03,
  SC_MCS_MSGCHANNEL: 0x0c04,
  SC_MULTITRANSPORT: 0x0c08,
} as const;

/** earlyCapabilityFlags of TS_UD_CS_CORE (2.2.1.3.2). */
export const EarlyCapability = {
  SUPPORT_ERRINFO_PDU: 0x0001,
  WANT_32BPP_SESSION: 0x0002,
  SUPPORT_STATUSINFO_PDU: 0x0004,
  STRONG_ASYMMETRIC_KEYS: 0x0008,
  VALID_CONNECTION_TYPE: 0x0020,
  SUPPORT_MONITOR_LAYOUT_PDU: 0x0040,
  SUPPORT_NETCHAR_AUTODETECT: 0x0080,
  SUPPORT_DYNVC_GFX_PROTOCOL: 0x0100,
  SUPPORT_DYNAMIC_TIME_ZONE: 0x0200,
  SUPPORT_HEARTBEAT_PDU: 0x0400,
  SUPPORT_SKIP_CHANNELJOIN: 0x0800,
} as const;

/** TS_UD_CS_CORE (2.2.1.3.2): the fields up to imeFileName are required, the rest optional in order. */
export const CS_CORE: Schema = [
  ['version', 'u32'],
  ['desktopWidth', 'u16'],
  ['desktopHeight', 'u16'],
  ['colorDepth', 'u16'],
  ['SASSequence', 'u16'],
  ['keyboardLayout', 'u32'],
  ['clientBuild', 'u32'],
  ['clientName', 32],
  ['keyboardType', 'u32'],
  ['keyboardSubType', 'u32'],
  ['keyboardFunctionKey', 'u32'],
  ['imeFileName', 64],
  ['postBeta2ColorDepth', 'u16'],
  ['clientProductId', 'u16'],
  ['serialNumber', 'u32'],
  ['highColorDepth', 'u16'],
  ['supportedColorDepths', 'u16'],
  ['earlyCapabilityFlags', 'u16'],
  ['clientDigProductId', 64],
  ['connectionType', 'u8'],
  ['pad1octet', 'u8'],
  ['serverSelectedProtocol', 'u32'],
  ['desktopPhysicalWidth', 'u32'],
  ['desktopPhysicalHeight', 'u32'],
  ['desktopOrientation', 'u16'],
  ['desktopScaleFactor', 'u32'],
  ['deviceScaleFactor', 'u32'],
];
const CS_CORE_REQUIRED = 12;

export const CS_SECURITY: Schema = [
  ['encryptionMethods', 'u32'],
  ['extEncryptionMethods', 'u32'],
];
export const CS_CLUSTER: Schema = [
  ['flags', 'u32'],
  ['redirectedSessionID', 'u32'],
];
/** TS_UD_SC_CORE (2.2.1.4.2). */
export const SC_CORE: Schema = [
  ['version', 'u32'],
  ['clientRequestedProtocols', 'u32'],
  ['earlyCapabilityFlags', 'u32'],
];
/** TS_UD_SC_SEC1 (2.2.1.4.3): with TLS, method and level are 0 and nothing follows. */
export const SC_SECURITY: Schema = [
  ['encryptionMethod', 'u32'],
  ['encryptionLevel', 'u32'],
];

/** One CHANNEL_DEF of TS_UD_CS_NET (2.2.1.3.4.1). */
export interface ChannelDef {
  name: string;
  options: number;
}

export const ChannelOption = {
  INITIALIZED: 0x80000000,
  ENCRYPT_RDP: 0x40000000,
  ENCRYPT_SC: 0x20000000,
  ENCRYPT_CS: 0x10000000,
  PRI_HIGH: 0x08000000,
  PRI_MED: 0x04000000,
  PRI_LOW: 0x02000000,
  COMPRESS_RDP: 0x00800000,
  COMPRESS: 0x00400000,
  SHOW_PROTOCOL: 0x00200000,
  REMOTE_CONTROL_PERSISTENT: 0x00100000,
} as const;

export function parseClientNet(body: Buffer): ChannelDef[] {
  const r = new Reader(body, 'gcc/cs-net');
  const count = r.u32le('channelCount');
  if (count > 31) throw codecError(['gcc', 'cs-net'], `${count} channels, more than the 31 allowed`);
  const out: ChannelDef[] = [];
  for (let i = 0; i < count; i++) {
    const name = r.bytes(8, 'channel name');
    const nul = name.indexOf(0);
    out.push({ name: name.subarray(0, nul < 0 ? 8 : nul).toString('latin1'), options: r.u32le('channel options') });
  }
  r.end('the channel list');
  return out;
}

export function serializeClientNet(channels: ChannelDef[]): Buffer {
  const w = new Writer().u32le(channels.length);
  for (const c of channels) {
    const name = Buffer.alloc(8);
    name.write(c.name.slice(0, 7), 'latin1');
    w.bytes(name).u32le(c.options);
  }
  return w.done();
}

/** TS_UD_SC_NET (2.2.1.4.4): the I/O channel and one MCS channel id per requested channel. */
export interface ServerNet {
  ioChannel: number;
  channelIds: number[];
  /** The two padding bytes after an odd number of ids (absent from some servers). */
  pad: Buffer;
}

export function parseServerNet(body: Buffer): ServerNet {
  const r = new Reader(body, 'gcc/sc-net');
  const ioChannel = r.u16le('MCSChannelId');
  const count = r.u16le('channelCount');
  const channelIds: number[] = [];
  for (let i = 0; i < count; i++) channelIds.push(r.u16le('channel id'));
  return { ioChannel, channelIds, pad: r.rest() };
}

export function serializeServerNet(n: ServerNet): Buffer {
  const w = new Writer().u16le(n.ioChannel).u16le(n.channelIds.length);
  for (const id of n.channelIds) w.u16le(id);
  return w.bytes(n.pad).done();
}

/** TS_UD_CS_MONITOR (2.2.1.3.6): flags, count, TS_MONITOR_DEF {left, top, right, bottom: i32; flags: u32}. */
export interface MonitorDef {
  left: number;
  top: number;
  right: number;
  bottom: number;
  flags: number;
}

export function parseClientMonitor(body: Buffer): { flags: number; monitors: MonitorDef[] } {
  const r = new Reader(body, 'gcc/cs-monitor');
  const flags = r.u32le('flags');
  const count = r.u32le('monitorCount');
  if (count > 16) throw codecError(['gcc', 'cs-monitor'], `${count} monitors, more than 16`);
  const monitors: MonitorDef[] = [];
  for (let i = 0; i < count; i++) monitors.push({ left: r.i32le(), top: r.i32le(), right: r.i32le(), bottom: r.i32le(), flags: r.u32le() });
  r.end('the monitor list');
  return { flags, monitors };
}

export function serializeClientMonitor(m: { flags: number; monitors: MonitorDef[] }): Buffer {
  const w = new Writer().u32le(m.flags).u32le(m.monitors.length);
  for (const d of m.monitors) w.i32le(d.left).i32le(d.top).i32le(d.right).i32le(d.bottom).u32le(d.flags);
  return w.done();
}

const FLAT: Record<number, [Schema, number]> = {
  [BlockType.CS_CORE]: [CS_CORE, CS_CORE_REQUIRED],
  [BlockType.CS_SECURITY]: [CS_SECURITY, 1],
  [BlockType.CS_CLUSTER]: [CS_CLUSTER, 2],
  [BlockType.SC_CORE]: [SC_CORE, 1],
  [BlockType.SC_SECURITY]: [SC_SECURITY, 2],
};

/** A known flat block as a structure; null for the others. */
export function parseFlatBlock(block: DataBlock): Struct | null {
  const known = FLAT[block.type];
  return known ? parseStruct(block.body, `gcc/0x${block.type.toString(16)}`, known[0], known[1]) : null;
}

export function serializeFlatBlock(type: number, s: Struct): Buffer {
  const known = FLAT[type];
  if (!known) throw codecError(['gcc'], `block 0x${type.toString(16)} is not a flat block`);
  return structBytes(known[0], s);
}

/** A client or server data block, decoded where this codec knows it. */
export type DecodedBlock =
  | { type: number; name: keyof typeof BlockType; struct: Struct }
  | { type: typeof BlockType.CS_NET; name: 'CS_NET'; channels: ChannelDef[] }
  | { type: typeof BlockType.SC_NET; name: 'SC_NET'; net: ServerNet }
  | { type: typeof BlockType.CS_MONITOR; name: 'CS_MONITOR'; monitor: { flags: number; monitors: MonitorDef[] } }
  | { type: number; name: 'unknown'; body: Buffer };

const NAMES = Object.fromEntries(Object.entries(BlockType).map(([k, v]) => [v, k])) as Record<number, keyof typeof BlockType>;

export function decodeBlock(block: DataBlock): DecodedBlock {
  if (block.type === BlockType.CS_NET) return { type: block.type, name: 'CS_NET', channels: parseClientNet(block.body) };
  if (block.type === BlockType.SC_NET) return { type: block.type, name: 'SC_NET', net: parseServerNet(block.body) };
  if (block.type === BlockType.CS_MONITOR) return { type: block.type, name: 'CS_MONITOR', monitor: parseClientMonitor(block.body) };
  const struct = parseFlatBlock(block);
  const name = NAMES[block.type];
  if (struct && name) return { type: block.type, name, struct };
  return { type: block.type, name: 'unknown', body: block.body };
}

export function encodeBlock(d: DecodedBlock): DataBlock {
  if ('channels' in d) return { type: d.type, body: serializeClientNet(d.channels) };
  if ('net' in d) return { type: d.type, body: serializeServerNet(d.net) };
  if ('monitor' in d) return { type: d.type, body: serializeClientMonitor(d.monitor) };
  if ('struct' in d) return { type: d.type, body: serializeFlatBlock(d.type, d.struct) };
  return { type: d.type, body: d.body };
}
