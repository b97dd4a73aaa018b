/**
 * GCC (ITU-T T.124) Conference Create Request / Response, the user data of
 * MCS Connect-Initial / Connect-Response (MS-RDPBCGR 2.2.1.3.1, 2.2.1.4.1):
 *
 *   0x00 0x05 0x00 0x14 0x7c 0x00 0x01      t124 object identifier (PER)
 *   PER length of the ConnectPDU
 *   choice / conference name / ... up to the H.221 key "Duca" (request) or "McDn" (response)
 *   PER length of the user data
 *   user data blocks: type:u16le | length:u16le (header included) | body   (2.2.1.3.1 - 2.2.1.4.4)
 *
 * The bytes between the identifier and the key are kept verbatim; the two
 * lengths are recomputed when the blocks change.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';
import { readPerLength, writePerLength } from './asn1.js';

const T124_OID = Buffer.from('000500147c0001', 'hex');

export interface DataBlock {
  type: number;
  body: Buffer;
}

export interface ConferenceCreate {
  kind: 'request' | 'response';
  /** ConnectPDU bytes from after its length through the H.221 key. */
  middle: Buffer;
  blocks: DataBlock[];
  /** The ConnectPDU length as sent when it is not the true length (null: recomputed). */
  connectLength: number | null;
  lengthWidth: number;
  userDataLengthWidth: number;
}

export function parseConferenceCreate(userData: Buffer): ConferenceCreate {
  const r = new Reader(userData, 'gcc');
  const oid = r.bytes(7, 'object identifier');
  if (!oid.equals(T124_OID)) throw codecError(['gcc'], 'not a T.124 ConnectData');
  const outer = readPerLength(r);
  // Windows and FreeRDP servers write a ConnectPDU length that does not cover the user data
  // (MS-RDPBCGR 4.1.4 shows 0x2a before 0x108 bytes of it): kept as it came when it is not the true length.
  const connectLength = outer.value === r.remaining ? null : outer.value;
  const rest = userData.subarray(r.offset);
  const window = rest.subarray(0, 32);
  let key = window.indexOf('Duca');
  let kind: ConferenceCreate['kind'] = 'request';
  if (key < 0) {
    key = window.indexOf('McDn');
    kind = 'response';
  }
  if (key < 0) throw codecError(['gcc'], 'no H.221 key (Duca or McDn)');
  const middle = r.bytes(key + 4, 'conference header');
  const inner = readPerLength(r);
  if (inner.value !== r.remaining) throw codecError(['gcc'], `user data length ${inner.value} is not the ${r.remaining} bytes left`);
  const blocks: DataBlock[] = [];
  while (r.remaining > 0) {
    const type = r.u16le('block type');
    const length = r.u16le('block length');
    if (length < 4) throw codecError(['gcc'], `block 0x${type.toString(16)} of length ${length}`);
    blocks.push({ type, body: r.bytes(length - 4, `block 0x${type.toString(16)}`) });
  }
  return { kind, middle, blocks, connectLength, lengthWidth: outer.width, userDataLengthWidth: inner.width };
}

export function serializeConferenceCreate(c: ConferenceCreate): Buffer {
  const w = new Writer();
  for (const b of c.blocks) w.u16le(b.type).u16le(b.body.length + 4).bytes(b.body);
  const blocks = w.done();
  const inner = Buffer.concat([c.middle, writePerLength(blocks.length, c.userDataLengthWidth), blocks]);
  return Buffer.concat([T124_OID, writePerLength(c.connectLength ?? inner.length, c.lengthWidth), inner]);
}
