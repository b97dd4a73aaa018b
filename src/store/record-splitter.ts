/**
 * Splits bytes that arrive in pieces into chunk-file records
 * (`length:u32be | payload`, see chunk-file.ts): what the console page reads
 * a stream's chunks from, one response however many chunks it holds. Pure:
 * bytes in, records out, whatever the pieces' boundaries.
 */
/** A record larger than this is corruption, not data: chunks are at most a few hundred KiB. */
export const MAX_RECORD = 64 << 20;

export class RecordSplitter {
  private held: Uint8Array = new Uint8Array(0);

  /** The records completed by `piece`, in order. Throws on a length no chunk has. */
  push(piece: Uint8Array): Uint8Array[] {
    this.held = this.held.length === 0 ? piece : concat(this.held, piece);
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.held.length < 4) break;
      const length = new DataView(this.held.buffer, this.held.byteOffset, 4).getUint32(0);
      if (length > MAX_RECORD) throw new Error(`a record claims ${length} bytes, more than any chunk`);
      if (this.held.length < 4 + length) break;
      out.push(this.held.slice(4, 4 + length));
      this.held = this.held.subarray(4 + length);
    }
    return out;
  }

  /** Bytes of a record not yet complete: non-zero at the end means it was cut. */
  get pending(): number {
    return this.held.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
