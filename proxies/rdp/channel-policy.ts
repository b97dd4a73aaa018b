/**
 * The target's channel policy (spec.ts): which static virtual channels the
 * target is offered, and which clipboard messages cross.
 *
 *   rdpdr    device redirection (drive, printer, smartcard, port, MS-RDPEFS):
 *            offered to the target only when `redirect` names at least one;
 *            the person's device list is then cut to the kinds named
 *            (device-policy.ts)
 *   cliprdr  the clipboard (MS-RDPECLIP): not offered with `clipboard: none`;
 *            with `to-target` the target's Format List, Format Data and File
 *            Contents Responses never reach the person, so nothing is copied out
 *
 * A channel not offered to the target stays in the person's channel list
 * (they were answered before the target was known); what they send on it is
 * dropped, and the client finds the feature unavailable.
 */
import { ClipboardTracker, ClipMsg, type TextTransfer } from './codec/cliprdr.js';
import type { Direction, Envelope } from './codec/envelope.js';
import type { RdpTargetOptions } from './spec.js';

const CHANNEL_FLAG_FIRST = 0x1;
const CHANNEL_FLAG_LAST = 0x2;
const FROM_TARGET_BLOCKED: ReadonlySet<number> = new Set([ClipMsg.FORMAT_LIST, ClipMsg.FORMAT_DATA_RESPONSE, ClipMsg.FILECONTENTS_RESPONSE]);

/** Whether the target is offered the static channel `name`. */
export function channelAllowed(name: string, options: RdpTargetOptions): boolean {
  const n = name.toLowerCase();
  if (n === 'rdpdr') return options.redirect.length > 0;
  if (n === 'cliprdr') return options.clipboard !== 'none';
  return true;
}

export class ClipboardPolicy {
  private readonly tracker = new ClipboardTracker();
  private dropping: Record<Direction, boolean> = { c2s: false, s2c: false };

  constructor(private readonly policy: RdpTargetOptions['clipboard']) {}

  /** Whether this cliprdr chunk may pass; a message is let through or dropped whole. */
  passes(env: Envelope): boolean {
    const chunk = env.channel?.chunk;
    if (!chunk || env.channel?.name.toLowerCase() !== 'cliprdr') return true;
    if (chunk.flags & CHANNEL_FLAG_FIRST) {
      const type = chunk.data.length >= 2 ? chunk.data.readUInt16LE(0) : -1;
      this.dropping[env.dir] = this.policy !== 'both' && env.dir === 's2c' && FROM_TARGET_BLOCKED.has(type);
    }
    const pass = !this.dropping[env.dir];
    if (chunk.flags & CHANNEL_FLAG_LAST) this.dropping[env.dir] = false;
    return pass;
  }

  /** The text a paste carried, once its whole message went by. */
  transfer(env: Envelope): TextTransfer | null {
    const message = env.channel?.message;
    if (!message || env.channel?.name.toLowerCase() !== 'cliprdr') return null;
    try {
      return this.tracker.push(env.dir === 'c2s' ? 'client' : 'server', message.data);
    } catch {
      return null;
    }
  }
}
