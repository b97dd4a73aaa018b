/**
 * Field-level writing for the MySQL/MariaDB client/server protocol (MySQL
 * Source Code Documentation, "Client/Server Protocol", section "Basic Data
 * Types"; MariaDB Knowledge Base, "Clients & Utilities / Server-Client
 * protocol", page "Protocol Data Types"): the types wire.ts draws and reads,
 * written little-endian.
 *
 * Invariants:
 * - an int<lenenc> is written in the fewest bytes that hold it, never as
 *   0xFB (NULL) or 0xFF;
 * - writers refuse a string<NUL> holding a 0x00 byte, which the receiver
 *   would read as its end.
 */
import type { ProtocolError } from '../../../src/errors.js';
import { FieldWriter } from '../../wire/writer.js';
import { Lenenc, protocolError, type Side } from './wire.js';

/** Bytes taken by `n` written as int<lenenc>. */
export function lenencIntLength(n: number | bigint): number {
  if (n < 0xfb) return 1;
  if (n < 0x1_0000) return 3;
  if (n < 0x100_0000) return 4;
  return 9;
}

/**
 * Builds one payload from its fields, little-endian. Used for the few
 * packets the gateway writes itself, so it favours clarity over speed.
 * `finish()` gives the payload; framer.ts's writePacket adds the packet
 * headers.
 */
export class PayloadWriter extends FieldWriter {
  constructor(private readonly side: Side) {
    super('little-endian');
  }

  protected override refuse(message: string): ProtocolError {
    return protocolError(this.side, message);
  }

  int1(n: number): this {
    return this.putUInt8(n);
  }

  int2(n: number): this {
    return this.putUInt16(n);
  }

  int3(n: number): this {
    return this.put(Buffer.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff));
  }

  int4(n: number): this {
    return this.putUInt32(n);
  }

  /** int<8>; `field` names a value that must be refused for being negative or too large. */
  int8(n: number | bigint, field: string): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(this.uint64(n, field));
    return this.put(b);
  }

  private uint64(n: number | bigint, field: string): bigint {
    if (typeof n === 'number' && !Number.isSafeInteger(n)) throw this.refuse(`${field} ${n} is not an integer`);
    const v = BigInt(n);
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw this.refuse(`${field} ${n} does not fit in 64 unsigned bits`);
    return v;
  }

  lenencInt(n: number | bigint, field: string): this {
    const v = this.uint64(n, field);
    if (v < 0xfbn) return this.int1(Number(v));
    if (v < 0x1_0000n) return this.int1(Lenenc.Two).int2(Number(v));
    if (v < 0x100_0000n) return this.int1(Lenenc.Three).int3(Number(v));
    return this.int1(Lenenc.Eight).int8(v, field);
  }

  /** string<lenenc>. */
  lenencBytes(b: Uint8Array): this {
    return this.lenencInt(b.length, 'length').bytes(b);
  }

  lenencString(s: string): this {
    return this.lenencBytes(Buffer.from(s, 'utf8'));
  }

  /** string<NUL>; `field` names the value if it must be refused for holding a 0x00 byte. */
  nulString(s: string, field: string): this {
    return this.nulBytes(Buffer.from(s, 'utf8'), field);
  }

  nulBytes(b: Uint8Array, field: string): this {
    return this.putNulTerminated(b, field);
  }

  /** string<EOF> or string<fixed>: the bytes as they are. */
  string(s: string): this {
    return this.put(Buffer.from(s, 'utf8'));
  }

  zeros(n: number): this {
    return this.put(Buffer.alloc(n));
  }

  /** The payload. */
  finish(): Buffer {
    return this.concat();
  }
}
