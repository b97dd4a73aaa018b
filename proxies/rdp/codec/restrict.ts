/**
 * Edits that keep a session within what a simple decoder can render
 * (recording decodes every screen update): no drawing orders, no bitmap
 * codecs beyond the built-in planar and interleaved RLE, no surface
 * commands, no graphics pipeline, no bulk compression.
 */
import { CapabilityType, GENERAL, ORDER, SURFACE_COMMANDS, type ActivePdu, type CapabilitySet } from './capabilities.js';
import { BlockType, CS_CORE, EarlyCapability } from './data-blocks.js';
import type { ConferenceCreate } from './gcc.js';
import { InfoFlag, type ClientInfo } from './security.js';
import { parseStruct, structBytes } from './struct.js';

function editSet(set: CapabilitySet): CapabilitySet {
  switch (set.type) {
    case CapabilityType.ORDER: {
      // 2.2.7.1.3: every orderSupport index off, and the extended orders (orderSupportExFlags) too.
      const s = parseStruct(set.body, 'capabilities/order', ORDER, 0);
      if (s.fields.orderSupport) s.fields.orderSupport = Buffer.alloc(32);
      if (s.fields.orderSupportExFlags !== undefined) s.fields.orderSupportExFlags = 0;
      return { type: set.type, body: structBytes(ORDER, s) };
    }
    case CapabilityType.BITMAP_CODECS:
      // 2.2.7.2.10: bitmapCodecCount = 0 leaves the built-in codecs only.
      return { type: set.type, body: Buffer.of(0) };
    case CapabilityType.SURFACE_COMMANDS: {
      const s = parseStruct(set.body, 'capabilities/surface-commands', SURFACE_COMMANDS, 0);
      if (s.fields.cmdFlags !== undefined) s.fields.cmdFlags = 0;
      return { type: set.type, body: structBytes(SURFACE_COMMANDS, s) };
    }
    case CapabilityType.GENERAL: {
      // 2.2.7.1.1: compressionTypes must be 0; no compressed bitmap data without its header either.
      const s = parseStruct(set.body, 'capabilities/general', GENERAL, 0);
      if (s.fields.compressionTypes !== undefined) s.fields.compressionTypes = 0;
      return { type: set.type, body: structBytes(GENERAL, s) };
    }
    default:
      return set;
  }
}

/** Demand or Confirm Active with orders, codecs, surface commands and compression turned off. */
export function restrictCapabilities(p: ActivePdu): ActivePdu {
  return { ...p, sets: p.sets.map(editSet) };
}

/** The conference request with RNS_UD_CS_SUPPORT_DYNVC_GFX_PROTOCOL cleared in TS_UD_CS_CORE (2.2.1.3.2). */
export function clearGfxFlag(c: ConferenceCreate): ConferenceCreate {
  return {
    ...c,
    blocks: c.blocks.map((b) => {
      if (b.type !== BlockType.CS_CORE) return b;
      const s = parseStruct(b.body, 'gcc/cs-core', CS_CORE, 12);
      const early = s.fields.earlyCapabilityFlags;
      if (typeof early !== 'number') return b;
      s.fields.earlyCapabilityFlags = early & ~EarlyCapability.SUPPORT_DYNVC_GFX_PROTOCOL;
      return { type: b.type, body: structBytes(CS_CORE, s) };
    }),
  };
}

/** The Client Info without bulk compression (INFO_COMPRESSION and the compression type, 2.2.1.11.1.1). */
export function withoutCompression(info: ClientInfo): ClientInfo {
  return { ...info, flags: info.flags & ~(InfoFlag.COMPRESSION | InfoFlag.COMPRESSION_TYPE_MASK) };
}
