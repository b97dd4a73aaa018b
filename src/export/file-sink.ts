/**
 * Append-only file writer with a bounded buffer: the caller awaits each write, so at
 * most ~64 KiB (plus one frame) is held in memory whatever the size of the stream.
 */
import { open, type FileHandle } from 'node:fs/promises';

const FLUSH_AT = 64 * 1024;
const encoder = new TextEncoder();

export class FileSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates the file; fails if it exists. */
  static async create(path: string): Promise<FileSink> {
    return new FileSink(path, await open(path, 'wx', 0o600));
  }

  async write(chunk: Uint8Array | string): Promise<void> {
    if (chunk.length === 0) return;
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= FLUSH_AT) await this.flush();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    for (let offset = 0; offset < buf.length; ) {
      const { bytesWritten } = await this.handle.write(buf, offset, buf.length - offset);
      offset += bytesWritten;
    }
  }
}
