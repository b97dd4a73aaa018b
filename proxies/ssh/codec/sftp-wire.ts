/**
 * SFTP version 3 framing and field reading, after draft-ietf-secsh-filexfer-02
 * as OpenSSH's sftp-server speaks it.
 *
 *   packet := length:uint32 | type:byte | payload[length - 1]
 *   string := len:uint32 | bytes[len]
 *   uint64 := high:uint32 | low:uint32
 *
 * All integers are big-endian. Nothing here does I/O.
 */
import { ProtocolError } from '../../../src/errors.js';

export const SFTP_LAYERS: readonly string[] = ['ssh', 'sftp'];

/** OpenSSH's SFTP_MAX_MSG_LENGTH (256 KiB) plus the header around a full data block. */
export const MAX_PACKET_LENGTH = 256 * 1024 + 13;

/** The draft caps handles at 256 bytes; OpenSSH uses 4. */
export const MAX_HANDLE_LENGTH = 256;

export const enum PacketType {
  Init = 1,
  Version = 2,
  Open = 3,
  Close = 4,
  Read = 5,
  Write = 6,
  Lstat = 7,
  Fstat = 8,
  Setstat = 9,
  Fsetstat = 10,
  Opendir = 11,
  Readdir = 12,
  Remove = 13,
  Mkdir = 14,
  Rmdir = 15,
  Realpath = 16,
  Stat = 17,
  Rename = 18,
  Readlink = 19,
  Symlink = 20,
  Status = 101,
  Handle = 102,
  Data = 103,
  Name = 104,
  Attrs = 105,
  Extended = 200,
  ExtendedReply = 201,
}

/** SSH_FXF_* open flags. */
export const enum OpenFlag {
  Read = 0x01,
  Write = 0x02,
  Append = 0x04,
  Creat = 0x08,
  Trunc = 0x10,
  Excl = 0x20,
}

/** SSH_FX_* status codes, version 3 (codes above 8 belong to later drafts). */
const STATUS_TEXT: readonly string[] = [
  'ok',
  'eof',
  'no such file',
  'permission denied',
  'failure',
  'bad message',
  'no connection',
  'connection lost',
  'op unsupported',
];

export const STATUS_OK = 0;
export const STATUS_EOF = 1;

export function statusText(code: number): string {
  return STATUS_TEXT[code] ?? `status ${code}`;
}

export function sftpError(message: string): ProtocolError {
  return new ProtocolError([...SFTP_LAYERS], message);
}

export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

/** Reads the fields of one packet body; running past its end is a malformed packet. */
export class FieldReader {
  private offset = 1;

  /** `body` starts at the type byte; `name` names the packet in error messages. */
  constructor(
    private readonly body: Uint8Array,
    private readonly name: string,
  ) {}

  private need(n: number, field: string): void {
    if (n > this.body.length - this.offset) throw sftpError(`${this.name} packet ends inside its ${field}`);
  }

  u32(field: string): number {
    this.need(4, field);
    const v = readU32(this.body, this.offset);
    this.offset += 4;
    return v;
  }

  /** A uint64 as a number; exact up to 2^53, which covers any real offset. */
  u64(field: string): number {
    const high = this.u32(field);
    const low = this.u32(field);
    return high * 0x1_0000_0000 + low;
  }

  string(field: string): Uint8Array {
    const len = this.u32(`${field} length`);
    this.need(len, field);
    const v = this.body.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }

  handle(): Uint8Array {
    const h = this.string('handle');
    if (h.length > MAX_HANDLE_LENGTH) throw sftpError(`${this.name} packet carries a ${h.length}-byte handle`);
    return h;
  }
}

/**
 * Cuts a byte stream into whole packets, each handed over as its body (type
 * byte first) as soon as it is complete. A partial packet is kept between
 * pushes; at most one packet of MAX_PACKET_LENGTH bytes is ever buffered.
 */
export class PacketReader {
  private readonly header = new Uint8Array(4);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;

  push(chunk: Uint8Array, onPacket: (body: Uint8Array) => void): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.body === null) {
        const n = Math.min(4 - this.headerFill, chunk.length - i);
        this.header.set(chunk.subarray(i, i + n), this.headerFill);
        this.headerFill += n;
        i += n;
        if (this.headerFill < 4) break;
        this.headerFill = 0;
        this.body = new Uint8Array(checkedLength(readU32(this.header, 0)));
        this.bodyFill = 0;
      }
      const n = Math.min(this.body.length - this.bodyFill, chunk.length - i);
      this.body.set(chunk.subarray(i, i + n), this.bodyFill);
      this.bodyFill += n;
      i += n;
      if (this.bodyFill === this.body.length) {
        const body = this.body;
        this.body = null;
        onPacket(body);
      }
    }
  }

  /** True when no partial packet is held. */
  get idle(): boolean {
    return this.body === null && this.headerFill === 0;
  }
}

function checkedLength(len: number): number {
  if (len === 0) throw sftpError('packet of length 0 has no type');
  if (len > MAX_PACKET_LENGTH) throw sftpError(`packet of ${len} bytes exceeds the ${MAX_PACKET_LENGTH}-byte limit`);
  return len;
}
