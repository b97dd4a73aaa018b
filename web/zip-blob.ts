/**
 * The export zip made in the page: the same entries the CLI's
 * `recordings export` writes (src/export/entries.ts), each written to a Blob
 * as it is produced, then deflated into a zip Blob (fflate's streaming zip,
 * one entry at a time, read back in slices), so the page holds the
 * plaintext as Blobs the browser may keep out of the script's heap rather
 * than as one growing string. Works wherever Blob does (the page, Node).
 */
import { Zip, ZipDeflate } from 'fflate';
import { writeTextEntries, zipTime, type EntrySink } from '../src/export/entries.js';
import { checkBaseName } from '../src/export/file-names.js';
import type { ExportSource } from '../src/export/source.js';

/** Bytes gathered before they are handed to a Blob. */
const GATHER = 1 << 20;
/** Bytes read from an entry's Blob at a time while zipping. */
const SLICE = 1 << 20;
/** Unix regular file, owner read/write: as the CLI's zip marks its entries. */
const ENTRY_ATTRS = 0o100600 << 16;

const encoder = new TextEncoder();

export class BlobSink implements EntrySink {
  private blob = new Blob([]);
  private pending: Uint8Array<ArrayBuffer>[] = [];
  private pendingBytes = 0;

  async write(chunk: Uint8Array | string): Promise<void> {
    if (chunk.length === 0) return;
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : new Uint8Array(chunk);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= GATHER) this.gather();
  }

  async close(): Promise<void> {
    this.gather();
  }

  result(): Blob {
    this.gather();
    return this.blob;
  }

  private gather(): void {
    if (this.pending.length === 0) return;
    this.blob = new Blob([this.blob, ...this.pending]);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

export interface ZipEntryBlob {
  name: string;
  blob: Blob;
}

/** A zip of `entries` in order, every entry dated `mtime`. */
export async function zipBlob(entries: readonly ZipEntryBlob[], mtime: Date): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let failure: Error | null = null;
  let done = false;
  const zip = new Zip((err, data, final) => {
    if (err) failure = err;
    else parts.push(new Uint8Array(data));
    if (final) done = true;
  });
  for (const e of entries) {
    const file = new ZipDeflate(e.name, { level: 6 });
    file.mtime = mtime;
    file.os = 3;
    file.attrs = ENTRY_ATTRS;
    zip.add(file);
    if (e.blob.size === 0) file.push(new Uint8Array(0), true);
    for (let at = 0; at < e.blob.size; at += SLICE) {
      file.push(new Uint8Array(await e.blob.slice(at, at + SLICE).arrayBuffer()), at + SLICE >= e.blob.size);
    }
    if (failure) throw failure;
  }
  zip.end();
  if (failure) throw failure;
  if (!done) throw new Error('the zip did not finish');
  return new Blob(parts, { type: 'application/zip' });
}

/** The export zip of `source` (its text files; a graphical recording's video is not made here). */
export async function exportZip(source: ExportSource, baseName: string): Promise<{ blob: Blob; files: string[] }> {
  checkBaseName(baseName);
  const entries: { name: string; sink: BlobSink }[] = [];
  await writeTextEntries(source, baseName, async (name) => {
    const sink = new BlobSink();
    entries.push({ name, sink });
    return sink;
  });
  const blob = await zipBlob(
    entries.map((e) => ({ name: e.name, blob: e.sink.result() })),
    zipTime(source.meta.startedAt),
  );
  return { blob, files: entries.map((e) => e.name) };
}
