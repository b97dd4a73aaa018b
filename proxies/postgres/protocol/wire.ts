/**
 * Field-level reading and writing for the PostgreSQL frontend/backend
 * protocol, version 3 (PostgreSQL documentation, "Frontend/Backend
 * Protocol", section "Message Data Types"):
 *
 *   Int8 | Int16 | Int32   big-endian integers (OIDs are Int32 read unsigned)
 *   String                 UTF-8 bytes ending in one 0x00 byte
 *   Byten                  n raw bytes
 *
 * Invariants:
 * - readers never read past the body they were given: running short is a
 *   ProtocolError naming the message and field, never the bytes themselves;
 * - byte fields are zero-copy subarrays of the body;
 * - strings are decoded as UTF-8 (the gateway assumes client_encoding UTF8;
 *   other encodings show up as replacement characters, never as errors);
 * - writers refuse strings holding a 0x00 byte, which the receiver would
 *   read as the end of the field.
 */
import { ProtocolError } from '../../../src/errors.js';
import { FieldWriter } from '../../wire/writer.js';

/** Who sent the bytes: the client (frontend) or the server (backend). */
export type Side = 'frontend' | 'backend';

export function protocolError(side: Side, message: string): ProtocolError {
  return new ProtocolError(['postgres', side], message);
}

/** "1 byte", "2 bytes". */
export function byteCount(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

/** Field name for error messages, with a 1-based ordinal when given one. */
function fieldName(field: string, index: number): string {
  return index < 0 ? field : `${field} ${index + 1}`;
}

/**
 * Reads one message body front to back. `name` names the message in error
 * messages ("Bind message ends inside parameter 2"); fields optionally take
 * a 0-based `index` shown 1-based, so that no string is built unless the
 * body is malformed.
 */
export class BodyReader {
  private offset = 0;

  constructor(
    private readonly body: Buffer,
    private readonly side: Side,
    private readonly name: string,
  ) {}

  get remaining(): number {
    return this.body.length - this.offset;
  }

  private need(n: number, field: string, index: number): void {
    if (n > this.body.length - this.offset) {
      throw protocolError(this.side, `${this.name} message ends inside ${fieldName(field, index)}`);
    }
  }

  int8(field: string, index = -1): number {
    this.need(1, field, index);
    return this.body[this.offset++]!;
  }

  int16(field: string, index = -1): number {
    this.need(2, field, index);
    const v = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  /**
   * An Int16 count of `items` (plural, "columns"), each taking at least
   * `bytesEach` bytes; a count the rest of the body cannot hold is refused
   * before anyone allocates for it. The server reads counts as unsigned.
   */
  count(items: string, bytesEach: number): number {
    this.need(2, `the count of ${items}`, -1);
    const n = this.body.readUInt16BE(this.offset);
    this.offset += 2;
    this.expectRoom(n, items, bytesEach);
    return n;
  }

  /** Fails unless `n` items of at least `bytesEach` bytes fit in what is left. */
  expectRoom(n: number, items: string, bytesEach: number): void {
    const room = Math.floor((this.body.length - this.offset) / bytesEach);
    if (n > room) throw protocolError(this.side, `${this.name} message announces ${n} ${items} but has room for at most ${room}`);
  }

  int32(field: string, index = -1): number {
    this.need(4, field, index);
    const v = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** An Int32 read unsigned, as OIDs are. */
  uint32(field: string, index = -1): number {
    this.need(4, field, index);
    const v = this.body.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  string(field: string, index = -1): string {
    const end = this.body.indexOf(0, this.offset);
    if (end < 0) throw protocolError(this.side, `${this.name} message has no terminator after ${fieldName(field, index)}`);
    const v = this.body.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return v;
  }

  bytes(n: number, field: string, index = -1): Buffer {
    this.need(n, field, index);
    const v = this.body.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** Int32 length then that many bytes; length -1 is SQL NULL. */
  nullableBytes(field: string, index = -1): Buffer | null {
    // The length read in place when it is there: the field's name is only wanted for an error.
    let n: number;
    if (this.offset + 4 <= this.body.length) {
      n = this.body.readInt32BE(this.offset);
      this.offset += 4;
    } else {
      n = this.int32(`length of ${field}`, index);
    }
    if (n === -1) return null;
    if (n < 0) throw protocolError(this.side, `${this.name} message gives ${fieldName(field, index)} a length of ${n}`);
    return this.bytes(n, field, index);
  }

  /** Everything not read yet. */
  rest(): Buffer {
    const v = this.body.subarray(this.offset);
    this.offset = this.body.length;
    return v;
  }

  /** The body must hold nothing more. */
  end(): void {
    const left = this.body.length - this.offset;
    if (left !== 0) throw protocolError(this.side, `${this.name} message has ${byteCount(left)} after its last field`);
  }
}

/**
 * Builds one message from its fields, big-endian. Used for the few
 * messages the gateway writes itself, so it favours clarity over speed.
 */
export class MessageWriter extends FieldWriter {
  constructor(private readonly side: Side) {
    super('big-endian');
  }

  protected override refuse(message: string): ProtocolError {
    return protocolError(this.side, message);
  }

  int8(n: number): this {
    return this.putUInt8(n);
  }

  int16(n: number): this {
    return this.putUInt16(n);
  }

  int32(n: number): this {
    return this.putUInt32(n);
  }

  /** `field` names the value if it must be refused for holding a 0x00 byte. */
  string(s: string, field: string): this {
    return this.putNulTerminated(Buffer.from(s, 'utf8'), field);
  }

  /** Int32 length, or -1 for null, then the bytes. */
  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).bytes(b);
  }

  /** The message: type byte, Int32 length counting itself, fields. */
  finish(type: number): Buffer {
    const header = Buffer.allocUnsafe(5);
    header[0] = type;
    header.writeUInt32BE(4 + this.written, 1);
    return this.concat(header);
  }

  /** A startup-phase packet: Int32 length counting itself, fields, no type byte. */
  finishUntyped(): Buffer {
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(4 + this.written, 0);
    return this.concat(header);
  }
}
