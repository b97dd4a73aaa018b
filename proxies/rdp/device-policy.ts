/**
 * Which redirected devices reach the target. The rdpdr channel is offered
 * to the target when its `redirect` names any kind of device; the person's
 * Device List Announce is then cut down to the kinds named, so a target
 * that allows drives gets no printer, smart card or port. The target never
 * hears of a removed device and never sends it I/O.
 *
 * An announce is held until its last chunk, edited whole and sent again in
 * chunks of CHANNEL_CHUNK_LENGTH; every other rdpdr message (file I/O above
 * all) passes chunk by chunk as it came. A first chunk too short to show
 * its header is held too, so splitting the header cannot smuggle a list by.
 */
import { ChannelFlag, chunkMessage, type ChannelChunk } from './codec/channels.js';
import type { Envelope } from './codec/envelope.js';
import { deviceKind, isDeviceListAnnounce, parseDeviceListAnnounce, serializeDeviceListAnnounce, type DeviceKind } from './codec/rdpdr.js';
import type { Redirection } from './spec.js';

export interface AnnouncedDevice {
  kind: DeviceKind;
  name: string;
  allowed: boolean;
}

export type DeviceDecision =
  /** The chunk goes on unchanged. */
  | { action: 'pass' }
  /** The chunk is held (part of an announce) or dropped (an announce that could not be read). */
  | { action: 'hold' }
  | { action: 'drop'; reason: string }
  /** The chunks to send in its place, and what the person announced. */
  | { action: 'replace'; chunks: ChannelChunk[]; devices: AnnouncedDevice[] };

export class DevicePolicy {
  private holding = false;

  constructor(private readonly allowed: readonly Redirection[]) {}

  /** What to do with a client chunk of the rdpdr channel. */
  decide(env: Envelope): DeviceDecision {
    const channel = env.channel;
    if (env.dir !== 'c2s' || !channel || channel.name.toLowerCase() !== 'rdpdr') return { action: 'pass' };
    const { chunk, message } = channel;
    if (chunk.flags & ChannelFlag.FIRST) this.holding = chunk.data.length < 4 || isDeviceListAnnounce(chunk.data);
    if (!this.holding) return { action: 'pass' };
    if (!(chunk.flags & ChannelFlag.LAST)) return { action: 'hold' };
    this.holding = false;
    if (!message) return { action: 'drop', reason: 'a device list that did not reassemble' };
    return this.rewrite(message.data, message.flags);
  }

  private rewrite(data: Buffer, flags: number): DeviceDecision {
    if (!isDeviceListAnnounce(data)) return { action: 'replace', chunks: chunkMessage(data, undefined, flags), devices: [] };
    let announced;
    try {
      announced = parseDeviceListAnnounce(data);
    } catch (err) {
      return { action: 'drop', reason: (err as Error).message };
    }
    const kept = announced.filter((d) => this.allows(deviceKind(d.type)));
    const devices = announced.map((d) => ({ kind: deviceKind(d.type), name: d.dosName, allowed: kept.includes(d) }));
    const out = kept.length === announced.length ? data : serializeDeviceListAnnounce(kept);
    return { action: 'replace', chunks: chunkMessage(out, undefined, flags), devices };
  }

  private allows(kind: DeviceKind): boolean {
    return kind !== 'unknown' && this.allowed.includes(kind);
  }
}
