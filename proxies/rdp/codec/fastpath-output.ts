/**
 * Fast-path output (MS-RDPBCGR 2.2.9.1.2):
 *
 *   TS_FP_UPDATE_PDU  fpOutputHeader:u8 (action 0..1 = 0, reserved 2..5, flags 6..7) | length (1 or 2 bytes)
 *                     | TS_FP_UPDATE * n   (no fipsInformation or dataSignature: TLS only)
 *   TS_FP_UPDATE (2.2.9.1.2.1)  updateHeader:u8 (updateCode 0..3, fragmentation 4..5, compression 6..7)
 *                     | [compressionFlags:u8 when compression = FASTPATH_OUTPUT_COMPRESSION_USED]
 *                     | size:u16le | updateData
 *
 * A fragmented update (FIRST, NEXT, LAST) is put together by FastPathReassembler
 * before its data is decoded; bulk-compressed data is recognised and kept as is.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';
import { withFastPathLength } from './input.js';

export const UpdateCode = {
  ORDERS: 0x0,
  BITMAP: 0x1,
  PALETTE: 0x2,
  SYNCHRONIZE: 0x3,
  SURFCMDS: 0x4,
  PTR_NULL: 0x5,
  PTR_DEFAULT: 0x6,
  PTR_POSITION: 0x8,
  COLOR: 0x9,
  CACHED: 0xa,
  POINTER: 0xb,
  LARGE_POINTER: 0xc,
} as const;

export const Fragmentation = { SINGLE: 0, LAST: 1, FIRST: 2, NEXT: 3 } as const;
export const COMPRESSION_USED = 0x2;

export interface FastPathUpdate {
  code: number;
  fragmentation: number;
  compression: number;
  compressionFlags: number | null;
  data: Buffer;
}

export interface FastPathOutput {
  header: number;
  lengthWidth: number;
  updates: FastPathUpdate[];
}

export function parseFastPathOutput(pdu: Buffer): FastPathOutput {
  const r = new Reader(pdu, 'fastpath-output');
  const header = r.u8('fpOutputHeader');
  if (header & 0x03) throw codecError(['fastpath-output'], 'not a fast-path PDU');
  if (header & 0x80) throw codecError(['fastpath-output'], 'encrypted fast-path output: only TLS and NLA security are relayed');
  const l1 = r.u8('length');
  const lengthWidth = l1 & 0x80 ? 2 : 1;
  const length = l1 & 0x80 ? ((l1 & 0x7f) << 8) | r.u8('length') : l1;
  if (length !== pdu.length) throw codecError(['fastpath-output'], `length ${length} is not the ${pdu.length} bytes of the PDU`);
  const updates: FastPathUpdate[] = [];
  while (r.remaining > 0) {
    const uh = r.u8('updateHeader');
    const compression = uh >> 6;
    const compressionFlags = compression === COMPRESSION_USED ? r.u8('compressionFlags') : null;
    const size = r.u16le('size');
    updates.push({ code: uh & 0x0f, fragmentation: (uh >> 4) & 0x03, compression, compressionFlags, data: r.bytes(size, 'updateData') });
  }
  return { header, lengthWidth, updates };
}

export function serializeFastPathOutput(p: FastPathOutput): Buffer {
  const w = new Writer();
  for (const u of p.updates) {
    w.u8((u.code & 0x0f) | ((u.fragmentation & 0x03) << 4) | ((u.compression & 0x03) << 6));
    if (u.compressionFlags !== null) w.u8(u.compressionFlags);
    w.u16le(u.data.length).bytes(u.data);
  }
  return withFastPathLength(p.header, w.done(), p.lengthWidth);
}

/** Bulk compression flag of compressionFlags (MS-RDPBCGR 3.1.8.2.1): PACKET_COMPRESSED. */
export const isBulkCompressed = (u: FastPathUpdate): boolean => u.compressionFlags !== null && (u.compressionFlags & 0x20) !== 0;

/**
 * Puts fragmented fast-path updates together (2.2.9.1.2.1: FIRST, NEXT*, LAST),
 * refusing an update that grows past `maxSize` (the MultifragmentUpdate
 * capability's MaxRequestSize bounds what a server may send).
 */
export class FastPathReassembler {
  private parts: Buffer[] = [];
  private size = 0;
  private code = -1;

  constructor(private readonly maxSize = 8 * 1024 * 1024) {}

  /** The whole update once its last fragment arrives; null before. */
  push(u: FastPathUpdate): { code: number; data: Buffer } | null {
    if (u.fragmentation === Fragmentation.SINGLE) {
      if (this.code >= 0) throw codecError(['fastpath-output'], 'a single update inside a fragmented one');
      return { code: u.code, data: u.data };
    }
    if (u.fragmentation === Fragmentation.FIRST) {
      if (this.code >= 0) throw codecError(['fastpath-output'], 'a first fragment before the last one ended');
      this.code = u.code;
    } else if (this.code !== u.code) throw codecError(['fastpath-output'], 'a fragment without its first');
    this.size += u.data.length;
    if (this.size > this.maxSize) throw codecError(['fastpath-output'], `a fragmented update longer than ${this.maxSize} bytes`);
    this.parts.push(u.data);
    if (u.fragmentation !== Fragmentation.LAST) return null;
    const done = { code: this.code, data: Buffer.concat(this.parts, this.size) };
    this.parts = [];
    this.size = 0;
    this.code = -1;
    return done;
  }
}
