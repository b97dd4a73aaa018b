/**
 * The two ASN.1 encodings MCS uses, as far as RDP needs them:
 * BER lengths (ITU-T X.690 8.1.3) for Connect-Initial/Response, and PER
 * lengths (X.691 10.9, aligned, up to 16383) for the domain PDUs and GCC.
 * Each read reports the width it found, since peers differ (xfreerdp
 * writes a 2-byte PER length for short data, xrdp a 1-byte one) and an
 * unedited PDU must serialize to the bytes it came from.
 */
import type { Reader } from './bytes.js';
import { codecError } from './errors.js';

export interface Length {
  value: number;
  /** Bytes the length took on the wire. */
  width: number;
}

export function readBerLength(r: Reader): Length {
  const first = r.u8('BER length');
  if (first < 0x80) return { value: first, width: 1 };
  const n = first & 0x7f;
  if (n < 1 || n > 2) throw codecError([r.layer], `a BER length of ${n} bytes`);
  return { value: n === 1 ? r.u8('BER length') : r.u16be('BER length'), width: 1 + n };
}

export function writeBerLength(value: number, width?: number): Buffer {
  const w = width ?? (value < 0x80 ? 1 : value < 0x100 ? 2 : 3);
  if (w === 1 && value < 0x80) return Buffer.of(value);
  if (w <= 2 && value < 0x100) return Buffer.of(0x81, value);
  if (value > 0xffff) throw codecError(['ber'], `length ${value} too large`);
  return Buffer.of(0x82, value >> 8, value & 0xff);
}

export function readPerLength(r: Reader): Length {
  const first = r.u8('PER length');
  if ((first & 0x80) === 0) return { value: first, width: 1 };
  if ((first & 0x40) !== 0) throw codecError([r.layer], 'a fragmented PER length');
  return { value: ((first & 0x3f) << 8) | r.u8('PER length'), width: 2 };
}

export function writePerLength(value: number, width?: number): Buffer {
  if (value > 0x3fff) throw codecError(['per'], `length ${value} too large`);
  if (value < 0x80 && width !== 2) return Buffer.of(value);
  return Buffer.of(0x80 | (value >> 8), value & 0xff);
}

/** Reads a BER tag (one byte, or 0x7F and one more for MCS's application tags) and checks it. */
export function expectBerTag(r: Reader, tag: number[], what: string): void {
  for (const t of tag) {
    const got = r.u8(what);
    if (got !== t) throw codecError([r.layer], `${what}: tag 0x${got.toString(16)}, expected 0x${t.toString(16)}`);
  }
}
