/**
 * Static virtual channel PDUs (MS-RDPBCGR 2.2.6.1):
 *
 *   CHANNEL_PDU_HEADER (2.2.6.1.1)  length:u32 (the whole message, uncompressed) | flags:u32 | chunk
 *
 * A message longer than the chunk size (CHANNEL_CHUNK_LENGTH 1600, or the
 * VCChunkSize of the virtual channel capability set) is sent as chunks,
 * the first with CHANNEL_FLAG_FIRST, the last with CHANNEL_FLAG_LAST.
 * ChannelReassembler puts the chunks of each channel back together within
 * a size bound; chunkMessage cuts a message again.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

export const ChannelFlag = {
  FIRST: 0x01,
  LAST: 0x02,
  SHOW_PROTOCOL: 0x10,
  SUSPEND: 0x20,
  RESUME: 0x40,
  SHADOW_PERSISTENT: 0x80,
  PACKET_COMPRESSED: 0x00200000,
  PACKET_AT_FRONT: 0x00400000,
  PACKET_FLUSHED: 0x00800000,
} as const;

export const CHANNEL_CHUNK_LENGTH = 1600;

export interface ChannelChunk {
  length: number;
  flags: number;
  data: Buffer;
}

export function parseChannelChunk(userData: Buffer): ChannelChunk {
  const r = new Reader(userData, 'channel');
  return { length: r.u32le('length'), flags: r.u32le('flags'), data: r.rest() };
}

export function serializeChannelChunk(c: ChannelChunk): Buffer {
  return new Writer().u32le(c.length).u32le(c.flags).bytes(c.data).done();
}

/** `message` cut into chunks of at most `chunkSize` bytes, flagged FIRST and LAST, with `extraFlags` on each. */
export function chunkMessage(message: Buffer, chunkSize = CHANNEL_CHUNK_LENGTH, extraFlags = 0): ChannelChunk[] {
  if (chunkSize < 1) throw codecError(['channel'], `chunk size ${chunkSize}`);
  const out: ChannelChunk[] = [];
  for (let at = 0; at < message.length || out.length === 0; at += chunkSize) {
    const end = Math.min(message.length, at + chunkSize);
    let flags = extraFlags & ~(ChannelFlag.FIRST | ChannelFlag.LAST);
    if (at === 0) flags |= ChannelFlag.FIRST;
    if (end === message.length) flags |= ChannelFlag.LAST;
    out.push({ length: message.length, flags, data: Buffer.from(message.subarray(at, end)) });
  }
  return out;
}

export interface ChannelMessage {
  channelId: number;
  /** Flags of the first chunk (SHOW_PROTOCOL and the like). */
  flags: number;
  data: Buffer;
}

/** Chunk reassembly per channel, each message bounded by `maxMessage` bytes. */
export class ChannelReassembler {
  private partial = new Map<number, { flags: number; total: number; parts: Buffer[]; size: number }>();

  constructor(private readonly maxMessage = 16 * 1024 * 1024) {}

  /** The whole message when `chunk` completes one; null before. */
  push(channelId: number, chunk: ChannelChunk): ChannelMessage | null {
    if (chunk.flags & ChannelFlag.PACKET_COMPRESSED) throw codecError(['channel'], 'a compressed virtual channel chunk (compression is turned off)');
    if (chunk.length > this.maxMessage) throw codecError(['channel'], `a channel message of ${chunk.length} bytes, more than ${this.maxMessage}`);
    const first = (chunk.flags & ChannelFlag.FIRST) !== 0;
    const last = (chunk.flags & ChannelFlag.LAST) !== 0;
    if (first) {
      if (this.partial.has(channelId)) throw codecError(['channel'], `channel ${channelId}: a first chunk before the last one ended`);
      if (last) {
        if (chunk.data.length !== chunk.length) throw codecError(['channel'], `channel ${channelId}: a single chunk of ${chunk.data.length} bytes in a message of ${chunk.length}`);
        return { channelId, flags: chunk.flags, data: chunk.data };
      }
      this.partial.set(channelId, { flags: chunk.flags, total: chunk.length, parts: [], size: 0 });
    }
    const p = this.partial.get(channelId);
    if (!p) throw codecError(['channel'], `channel ${channelId}: a chunk without its first`);
    if (p.total !== chunk.length) throw codecError(['channel'], `channel ${channelId}: chunks disagree on the message length`);
    p.size += chunk.data.length;
    if (p.size > p.total) throw codecError(['channel'], `channel ${channelId}: chunks longer than the message`);
    p.parts.push(chunk.data);
    if (!last) return null;
    this.partial.delete(channelId);
    if (p.size !== p.total) throw codecError(['channel'], `channel ${channelId}: ${p.size} bytes in a message of ${p.total}`);
    return { channelId, flags: p.flags, data: Buffer.concat(p.parts, p.size) };
  }
}
