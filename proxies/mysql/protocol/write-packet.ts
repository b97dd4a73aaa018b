/** MySQL packets as a sender writes them (see framer.ts for the format). */

/** The largest payload one packet carries; a packet this long continues in the next. */
export const MAX_PACKET_PAYLOAD = 0xff_ffff;

/** Packets a payload of `length` bytes takes (one more when it is a multiple of 0xFFFFFF, the empty last one). */
export function packetCount(length: number): number {
  return Math.floor(length / MAX_PACKET_PAYLOAD) + 1;
}

/**
 * The payload as packets, the first with sequence id `seq` (taken modulo
 * 256) and each next one counting up: split every 0xFFFFFF bytes, with an
 * empty last packet when the length is a multiple of 0xFFFFFF. The next
 * packet of the exchange takes sequence id seq + packetCount(length).
 */
export function writePacket(payload: Uint8Array, seq: number): Buffer {
  const n = payload.length;
  const packets = packetCount(n);
  const out = Buffer.allocUnsafe(n + 4 * packets);
  let at = 0;
  let from = 0;
  for (let k = 0; k < packets; k++) {
    const length = Math.min(MAX_PACKET_PAYLOAD, n - from);
    out[at] = length & 0xff;
    out[at + 1] = (length >>> 8) & 0xff;
    out[at + 2] = length >>> 16;
    out[at + 3] = (seq + k) & 0xff;
    out.set(payload.subarray(from, from + length), at + 4);
    at += 4 + length;
    from += length;
  }
  return out;
}
