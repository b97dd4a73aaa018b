/**
 * One packet of a MySQL login, for the SocketReader: the login's packets
 * are small, so a length past `max` is refused rather than waited for, and
 * multi-packet messages never occur.
 */
import { ProtocolError } from '../../src/errors.js';
import type { Parsed } from '../wire/socket-reader.js';

export interface LoginPacket {
  seq: number;
  payload: Buffer;
}

export function loginPacket(side: 'client' | 'server', max = 65_536): (buffered: Buffer) => Parsed<LoginPacket> {
  return (b) => {
    if (b.length < 4) return undefined;
    const length = b.readUIntLE(0, 3);
    if (length > max) throw new ProtocolError(['mysql', side], `a login packet of ${length} bytes is out of bounds`);
    if (b.length < 4 + length) return undefined;
    return { value: { seq: b[3]!, payload: Buffer.from(b.subarray(4, 4 + length)) }, used: 4 + length };
  };
}
