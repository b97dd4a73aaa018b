/**
 * Cuts one direction of an RDP connection (after TLS is taken off) into
 * PDUs, incrementally, never holding more than one PDU of at most
 * `maxPdu` bytes:
 *
 *   slow path  TPKT (RFC 1006 section 6, MS-RDPBCGR 2.2.1.1):
 *              version=3:u8 | reserved:u8 | length:u16be (whole packet, >= 7)
 *   fast path  (MS-RDPBCGR 2.2.8.1.2 input, 2.2.9.1.2 output):
 *              fpHeader:u8 (action = low 2 bits = 0) | length1:u8 [| length2:u8]
 *              length1's high bit set: 15-bit length = (length1 & 0x7f) << 8 | length2
 *   CredSSP    (MS-CSSP 2.2.1) TSRequest, a DER SEQUENCE 0x30 | BER length,
 *              only while `credssp` is on (NLA, before the X.224 data phase):
 *              its first byte is indistinguishable from a fast-path header.
 *
 * After a codec error the stream has lost sync and every later push throws it again.
 * Frames are views of the pushed chunks, not copies: a caller that reuses a
 * chunk's memory after pushing it must push a copy.
 */
import type { ProtocolError } from '../../../src/errors.js';
import { codecError } from './errors.js';

export type FrameKind = 'tpkt' | 'fastpath' | 'credssp';

export interface Frame {
  kind: FrameKind;
  /** The whole PDU, header included: a view of the pushed bytes (or of their concatenation). */
  bytes: Buffer;
}

/** The largest PDU either encoding can describe (TPKT: 16 bits; fast path: 15). */
export const MAX_TPKT = 0xffff;
export const DEFAULT_MAX_PDU = 0xffff;

export class RdpFramer {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private failed: ProtocolError | null = null;
  /** True while the stream carries CredSSP TSRequests (NLA). */
  credssp = false;

  constructor(private readonly maxPdu = DEFAULT_MAX_PDU) {}

  /** True when no partial PDU is held. */
  get idle(): boolean {
    return this.pendingLength === 0;
  }

  push(chunk: Buffer): Frame[] {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const out: Frame[] = [];
    try {
      for (;;) {
        const head = this.peek(4);
        const need = frameLength(head, this.pendingLength, this.credssp);
        if (need === null || this.pendingLength < need) break;
        if (need > this.maxPdu) throw codecError(['framer'], `a PDU of ${need} bytes is longer than the ${this.maxPdu} allowed`);
        out.push({ kind: kindOf(head[0]!, this.credssp), bytes: this.take(need) });
      }
      // A partial PDU already known to be too long is refused before it is buffered whole.
      const need = frameLength(this.peek(4), this.pendingLength, this.credssp);
      if (need !== null && need > this.maxPdu) throw codecError(['framer'], `a PDU of ${need} bytes is longer than the ${this.maxPdu} allowed`);
    } catch (err) {
      this.failed = err as ProtocolError;
      throw err;
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.pending.length > 1 && this.pending[0]!.length < n) {
      const all = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [all];
    }
    return this.pending[0]?.subarray(0, n) ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingLength = rest.length;
    return frame;
  }
}

function kindOf(first: number, credssp: boolean): FrameKind {
  if (first === 0x03) return 'tpkt';
  if (credssp && first === 0x30) return 'credssp';
  return 'fastpath';
}

/** The length of the PDU that starts `head`, or null when too few bytes have arrived to tell. */
export function frameLength(head: Buffer, available: number, credssp = false): number | null {
  if (head.length < 1) return null;
  const first = head[0]!;
  if (first === 0x03) {
    if (head.length < 4) return null;
    const length = head.readUInt16BE(2);
    if (length < 7) throw codecError(['framer', 'tpkt'], `length ${length} is shorter than a TPKT and an X.224 header`);
    return length;
  }
  if (credssp && first === 0x30) {
    if (head.length < 2) return null;
    const l = head[1]!;
    if (l < 0x80) return 2 + l;
    const n = l & 0x7f;
    if (n < 1 || n > 2) throw codecError(['framer', 'credssp'], `a TSRequest length of ${n} bytes`);
    if (head.length < 2 + n) return null;
    return 2 + n + (n === 1 ? head[2]! : head.readUInt16BE(2));
  }
  if ((first & 0x03) !== 0) throw codecError(['framer'], `first byte 0x${first.toString(16).padStart(2, '0')} starts neither a TPKT nor a fast-path PDU`);
  if (head.length < 2) return null;
  const l1 = head[1]!;
  if (l1 < 0x80) {
    if (l1 < 2) throw codecError(['framer', 'fastpath'], `length ${l1} is shorter than its header`);
    return l1;
  }
  if (head.length < 3) return null;
  const length = ((l1 & 0x7f) << 8) | head[2]!;
  if (length < 3) throw codecError(['framer', 'fastpath'], `length ${length} is shorter than its header`);
  return length;
}

/** A TPKT around `payload` (MS-RDPBCGR 2.2.1.1, tpktHeader). */
export function writeTpkt(payload: Buffer): Buffer {
  const length = payload.length + 4;
  if (length > MAX_TPKT) throw codecError(['tpkt'], `a payload of ${payload.length} bytes does not fit a TPKT`);
  const h = Buffer.from([3, 0, length >> 8, length & 0xff]);
  return Buffer.concat([h, payload]);
}

/** The payload of a TPKT frame (its 4-byte header removed, its version checked). */
export function readTpkt(frame: Buffer): Buffer {
  if (frame.length < 4 || frame[0] !== 3) throw codecError(['tpkt'], 'not a TPKT');
  if (frame.readUInt16BE(2) !== frame.length) throw codecError(['tpkt'], `length ${frame.readUInt16BE(2)} is not the frame's ${frame.length}`);
  return frame.subarray(4);
}
