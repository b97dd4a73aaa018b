/**
 * X.224 (ITU-T X.224 class 0) as RDP uses it, inside a TPKT:
 *
 *   Connection Request (MS-RDPBCGR 2.2.1.1): li:u8 | 0xE0 | dst-ref:u16 | src-ref:u16 | class:u8
 *     | routingToken or cookie ("Cookie: mstshash=NAME\r\n"), ending in CR LF   (optional)
 *     | RDP_NEG_REQ (2.2.1.1.1): type=1:u8 | flags:u8 | length=8:u16le | requestedProtocols:u32le (optional)
 *     | RDP_NEG_CORRELATION_INFO (2.2.1.1.2): type=6 ... 36 bytes (optional, kept verbatim)
 *   Connection Confirm (2.2.1.2): li | 0xD0 | dst-ref | src-ref | class
 *     | RDP_NEG_RSP (2.2.1.2.1): type=2 | flags | length=8 | selectedProtocol:u32le
 *     | or RDP_NEG_FAILURE (2.2.1.2.2): type=3 | flags | length=8 | failureCode:u32le
 *   Data TPDU: li=2 | 0xF0 | EOT=0x80 | user data
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

/** requestedProtocols / selectedProtocol bits (MS-RDPBCGR 2.2.1.1.1). */
export const Protocol = {
  RDP: 0,
  SSL: 0x1,
  HYBRID: 0x2,
  RDSTLS: 0x4,
  HYBRID_EX: 0x8,
  RDSAAD: 0x10,
} as const;

export const NEG_FAILURE_TEXT: Record<number, string> = {
  1: 'the server requires TLS',
  2: 'TLS is not allowed on the server',
  3: 'the server has no certificate for TLS',
  4: 'inconsistent flags',
  5: 'the server requires CredSSP (NLA)',
  6: 'the server requires TLS with user authentication',
};

export interface Negotiation {
  type: number;
  flags: number;
  /** requestedProtocols, selectedProtocol or failureCode. */
  value: number;
}

export type X224 =
  | { kind: 'connection-request'; dstRef: number; srcRef: number; cls: number; cookie: string | null; negotiation: Negotiation | null; correlation: Buffer | null; tail: Buffer }
  | { kind: 'connection-confirm'; dstRef: number; srcRef: number; cls: number; negotiation: Negotiation | null; tail: Buffer }
  | { kind: 'data'; payload: Buffer }
  | { kind: 'other'; code: number; raw: Buffer };

function readNegotiation(r: Reader): Negotiation {
  const type = r.u8('negotiation type');
  const flags = r.u8('negotiation flags');
  const length = r.u16le('negotiation length');
  if (length !== 8) throw codecError(['x224'], `negotiation length ${length}, not 8`);
  return { type, flags, value: r.u32le('negotiation value') };
}

/** Parses the payload of a TPKT. */
export function parseX224(payload: Buffer): X224 {
  const r = new Reader(payload, 'x224');
  const li = r.u8('length indicator');
  const code = r.u8('TPDU code');
  if (code === 0xf0) {
    if (li !== 2) throw codecError(['x224'], `data TPDU length indicator ${li}, not 2`);
    if (r.u8('EOT') !== 0x80) throw codecError(['x224'], 'data TPDU without EOT');
    return { kind: 'data', payload: r.rest() };
  }
  if (li + 1 !== payload.length) throw codecError(['x224'], `length indicator ${li} does not match the ${payload.length - 1} bytes after it`);
  if (code !== 0xe0 && code !== 0xd0) return { kind: 'other', code, raw: Buffer.from(payload) };
  const dstRef = r.u16be('dst-ref');
  const srcRef = r.u16be('src-ref');
  const cls = r.u8('class');
  if (code === 0xd0) {
    const negotiation = r.remaining >= 8 ? readNegotiation(r) : null;
    return { kind: 'connection-confirm', dstRef, srcRef, cls, negotiation, tail: r.rest() };
  }
  let cookie: string | null = null;
  const rest = payload.subarray(r.offset);
  if (rest.length > 0 && rest[0] !== 1 && rest[0] !== 6) {
    const crlf = rest.indexOf('\r\n');
    if (crlf < 0) throw codecError(['x224'], 'a routing token or cookie without CR LF');
    cookie = rest.subarray(0, crlf).toString('latin1');
    r.offset += crlf + 2;
  }
  const negotiation = r.remaining >= 8 && payload[r.offset] === 1 ? readNegotiation(r) : null;
  const correlation = r.remaining >= 36 && payload[r.offset] === 6 ? r.bytes(36, 'correlation info') : null;
  return { kind: 'connection-request', dstRef, srcRef, cls, cookie, negotiation, correlation, tail: r.rest() };
}

export function serializeX224(pdu: X224): Buffer {
  if (pdu.kind === 'data') return Buffer.concat([Buffer.of(2, 0xf0, 0x80), pdu.payload]);
  if (pdu.kind === 'other') return Buffer.from(pdu.raw);
  const w = new Writer();
  w.u16be(pdu.dstRef).u16be(pdu.srcRef).u8(pdu.cls);
  if (pdu.kind === 'connection-request' && pdu.cookie !== null) w.bytes(Buffer.from(`${pdu.cookie}\r\n`, 'latin1'));
  if (pdu.negotiation) w.u8(pdu.negotiation.type).u8(pdu.negotiation.flags).u16le(8).u32le(pdu.negotiation.value);
  if (pdu.kind === 'connection-request' && pdu.correlation) w.bytes(pdu.correlation);
  w.bytes(pdu.tail);
  const body = w.done();
  if (body.length + 1 > 0xfe) throw codecError(['x224'], 'connection TPDU too long for its length indicator');
  return Buffer.concat([Buffer.of(body.length + 1, pdu.kind === 'connection-request' ? 0xe0 : 0xd0), body]);
}
