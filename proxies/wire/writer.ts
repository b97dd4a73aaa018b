/**
 * What the protocol writers (PostgreSQL's MessageWriter, MySQL's
 * PayloadWriter) have in common: fields are collected as buffers and put
 * together once, at the end. Each protocol names its own field methods and
 * builds them on the protected primitives here, which write integers in the
 * byte order given to the constructor.
 *
 * Used for the few messages the gateway writes itself, so it favours
 * clarity over speed.
 */

export type ByteOrder = 'big-endian' | 'little-endian';

export abstract class FieldWriter {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private readonly littleEndian: boolean;

  protected constructor(order: ByteOrder) {
    this.littleEndian = order === 'little-endian';
  }

  /** The error for a value that cannot be written (thrown, never returned). */
  protected abstract refuse(message: string): Error;

  /** Appends `part` as it is, without copying it. */
  protected put(part: Buffer): this {
    this.parts.push(part);
    this.size += part.length;
    return this;
  }

  /** The low 8 bits of `n`. */
  protected putUInt8(n: number): this {
    return this.put(Buffer.of(n & 0xff));
  }

  /** The low 16 bits of `n`. */
  protected putUInt16(n: number): this {
    const b = Buffer.allocUnsafe(2);
    if (this.littleEndian) b.writeUInt16LE(n & 0xffff);
    else b.writeUInt16BE(n & 0xffff);
    return this.put(b);
  }

  /** The low 32 bits of `n` (so -1 is 0xFFFFFFFF). */
  protected putUInt32(n: number): this {
    const b = Buffer.allocUnsafe(4);
    if (this.littleEndian) b.writeUInt32LE(n >>> 0);
    else b.writeUInt32BE(n >>> 0);
    return this.put(b);
  }

  /**
   * The bytes, then a 0x00 byte; `field` names the value if it must be
   * refused for holding a 0x00 byte, which the receiver would read as its end.
   */
  protected putNulTerminated(b: Uint8Array, field: string): this {
    if (b.includes(0)) throw this.refuse(`${field} contains a NUL byte`);
    return this.bytes(b).putUInt8(0);
  }

  /** The bytes as they are (not copied until the end). */
  bytes(b: Uint8Array): this {
    return this.put(Buffer.from(b.buffer, b.byteOffset, b.length));
  }

  /** Bytes written so far. */
  protected get written(): number {
    return this.size;
  }

  /** `header` (if any), then everything written, as one new buffer. */
  protected concat(header?: Buffer): Buffer {
    if (header === undefined) return Buffer.concat(this.parts, this.size);
    return Buffer.concat([header, ...this.parts], header.length + this.size);
  }
}
