/**
 * The spool's on-disk record format, and a pure parser for it. A spool
 * segment is a sequence of records, each one store write acknowledged while
 * the store was unreachable, in the order they were acknowledged:
 *
 *   record := magic "RGSP" (4) | body length n (u32 BE) | CRC-32 of body (u32 BE) | body (n)
 *   body   := kind (u8) | header length j (u32 BE) | header JSON (j, UTF-8) | payload
 *   payload (kind append only) := count (u32 BE) | count × ( length (u32 BE) | ciphertext )
 *
 * The header holds what the write needs besides ciphertext (recording id,
 * stream, manifest, checkpoint, ...): the same metadata the store holds, no
 * secret. A record is acknowledged only once it is whole and fsynced, so a
 * torn last record (a crash mid-append) was never acknowledged and is left
 * out; anything else that does not parse is corruption and is reported with
 * its offset. The parser keeps a partial record between pushes.
 */
import { crc32 } from 'node:zlib';
import type { Checkpoint, Manifest, StreamInfo } from '../../seal/manifest.js';
import type { RecordingEnd } from '../types.js';

export const SPOOL_MAGIC = 0x52475350; // "RGSP"
export const RECORD_HEADER_BYTES = 12;
/** No single write is this large (chunks are ≤ 64 KiB; a batch a few MiB): a longer body is corruption. */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export const enum RecordKind {
  Create = 1,
  AddStream = 2,
  Append = 3,
  Checkpoint = 4,
  Finalize = 5,
  Log = 6,
}

/**
 * `mayBeStored`: the write was tried against the store and failed in a way
 * that leaves open whether it landed (the reply was lost): replay checks first.
 */
export type SpoolRecord =
  | { kind: 'create'; manifest: Manifest; mayBeStored?: boolean }
  | { kind: 'addStream'; id: string; stream: StreamInfo; mayBeStored?: boolean }
  | { kind: 'append'; id: string; streamId: number; from: number; chunks: Uint8Array[]; mayBeStored?: boolean }
  | { kind: 'checkpoint'; id: string; checkpoint: Checkpoint; mayBeStored?: boolean }
  | { kind: 'finalize'; id: string; checkpoint: Checkpoint; end: RecordingEnd; mayBeStored?: boolean }
  /** A gateway log entry to make at replay; `token` names its maker, held in memory only. */
  | { kind: 'log'; token: string; mayBeStored?: boolean };

const KIND_CODES: Record<SpoolRecord['kind'], RecordKind> = {
  create: RecordKind.Create,
  addStream: RecordKind.AddStream,
  append: RecordKind.Append,
  checkpoint: RecordKind.Checkpoint,
  finalize: RecordKind.Finalize,
  log: RecordKind.Log,
};
const KIND_NAMES = new Map<number, SpoolRecord['kind']>(Object.entries(KIND_CODES).map(([name, code]) => [code, name as SpoolRecord['kind']]));

/** The record's bytes, ready to append. */
export function encodeRecord(record: SpoolRecord): Buffer {
  const { kind, ...rest } = record;
  const header = Buffer.from(JSON.stringify(kind === 'append' ? { ...rest, chunks: undefined } : rest), 'utf8');
  const parts: Buffer[] = [Buffer.alloc(RECORD_HEADER_BYTES), Buffer.from([KIND_CODES[kind]]), u32(header.length), header];
  if (record.kind === 'append') {
    parts.push(u32(record.chunks.length));
    for (const c of record.chunks) parts.push(u32(c.length), Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  }
  const out = Buffer.concat(parts);
  const body = out.subarray(RECORD_HEADER_BYTES);
  out.writeUInt32BE(SPOOL_MAGIC, 0);
  out.writeUInt32BE(body.length, 4);
  out.writeUInt32BE(crc32(body), 8);
  return out;
}

/** Chunks a record carries (0 unless an append). */
export function chunkCount(record: SpoolRecord): number {
  return record.kind === 'append' ? record.chunks.length : 0;
}

export interface ParsedRecord {
  record: SpoolRecord;
  /** Byte offset of the record in the stream pushed so far, and just past it. */
  offset: number;
  end: number;
}

export class SpoolCorruption extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(`spool corrupt at byte ${offset}: ${reason}`);
  }
}

/** Incremental parser: push bytes, get whole records; throws SpoolCorruption at the first bad one. */
export class SpoolParser {
  private pending: Buffer = Buffer.alloc(0);
  /** Offset of `pending[0]` in the whole stream. */
  private base = 0;
  private broken: SpoolCorruption | undefined;

  push(bytes: Uint8Array): ParsedRecord[] {
    if (this.broken) throw this.broken;
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    const out: ParsedRecord[] = [];
    let at = 0;
    try {
      while (this.pending.length - at >= RECORD_HEADER_BYTES) {
        const offset = this.base + at;
        const magic = this.pending.readUInt32BE(at);
        if (magic !== SPOOL_MAGIC) throw new SpoolCorruption(offset, 'no record starts here');
        const n = this.pending.readUInt32BE(at + 4);
        if (n < 5 || n > MAX_BODY_BYTES) throw new SpoolCorruption(offset, `impossible record length ${n}`);
        if (this.pending.length - at - RECORD_HEADER_BYTES < n) break;
        const body = this.pending.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + n);
        if (crc32(body) !== this.pending.readUInt32BE(at + 8)) throw new SpoolCorruption(offset, 'checksum mismatch');
        const record = decodeBody(body, offset);
        at += RECORD_HEADER_BYTES + n;
        out.push({ record, offset, end: this.base + at });
      }
    } catch (err) {
      if (err instanceof SpoolCorruption) this.broken = err;
      throw err;
    } finally {
      this.pending = this.pending.subarray(at);
      this.base += at;
    }
    return out;
  }

  /** Bytes of a record begun but not finished (a torn tail once the input is done). */
  get partialBytes(): number {
    return this.pending.length;
  }
}

export interface SpoolContents {
  records: ParsedRecord[];
  /** Bytes of a torn last record, left out. */
  tornBytes: number;
  /** Set when a record before the end does not parse: `records` holds those before it. */
  corruption?: SpoolCorruption;
}

/** Every whole record in a segment's bytes. */
export function readRecords(bytes: Uint8Array): SpoolContents {
  const parser = new SpoolParser();
  try {
    const records = parser.push(bytes);
    return { records, tornBytes: parser.partialBytes };
  } catch (err) {
    if (!(err instanceof SpoolCorruption)) throw err;
    // The records before the corruption are whole: parse again up to it.
    const records = new SpoolParser().push(Buffer.from(bytes).subarray(0, err.offset));
    return { records, tornBytes: 0, corruption: err };
  }
}

function decodeBody(body: Buffer, offset: number): SpoolRecord {
  const kind = KIND_NAMES.get(body[0]!);
  if (!kind) throw new SpoolCorruption(offset, `unknown record kind ${body[0]}`);
  const j = body.readUInt32BE(1);
  if (5 + j > body.length) throw new SpoolCorruption(offset, 'header runs past the record');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(body.toString('utf8', 5, 5 + j)) as Record<string, unknown>;
  } catch {
    throw new SpoolCorruption(offset, 'header is not JSON');
  }
  if (typeof header !== 'object' || header === null) throw new SpoolCorruption(offset, 'header is not an object');
  let at = 5 + j;
  if (kind !== 'append') {
    if (at !== body.length) throw new SpoolCorruption(offset, 'bytes after the header');
    return { ...header, kind } as SpoolRecord;
  }
  if (at + 4 > body.length) throw new SpoolCorruption(offset, 'append without a chunk count');
  const count = body.readUInt32BE(at);
  at += 4;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) throw new SpoolCorruption(offset, `chunk ${i} has no length`);
    const len = body.readUInt32BE(at);
    at += 4;
    if (at + len > body.length) throw new SpoolCorruption(offset, `chunk ${i} runs past the record`);
    chunks.push(new Uint8Array(body.subarray(at, at + len)));
    at += len;
  }
  if (at !== body.length) throw new SpoolCorruption(offset, 'bytes after the last chunk');
  return { ...header, kind, chunks } as SpoolRecord;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
