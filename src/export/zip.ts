/**
 * Export of one recording to a zip (entry names: see file-names.ts; the text
 * files themselves: entries.ts). Writer output goes to files in a private
 * directory beside `OUT` (`.recgate-export-*`), so memory stays bounded whatever the
 * recording's size and the plaintext never leaves the folder the auditor chose. The zip is built from those files into `OUT.<random>.tmp` beside `OUT`, synced and
 * renamed over it: `OUT` is absent, the previous file, or the complete export. Temporary
 * files are removed on success and on failure.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { GatewayError, RecordingError } from '../errors.js';
import { writeTextEntries, zipTime } from './entries.js';
import { FileSink } from './file-sink.js';
import { checkBaseName } from './file-names.js';
import type { ExportSource } from './source.js';
import { writeVideo, type VideoOptions, type VideoResult } from './video.js';

interface ZipEntry {
  name: string;
  path: string;
}

/** `video`: how a graphical recording's screen stream is rendered into the zip (default WebM at 10 fps). */
export async function writeExportZip(
  source: ExportSource,
  outPath: string,
  baseName: string,
  video: VideoOptions = { format: 'webm' },
): Promise<{ files: string[]; video?: VideoResult }> {
  checkBaseName(baseName);
  // Beside the zip: the plaintext stays where the auditor chose to put it, on the same file system.
  const work = await mkdtemp(join(dirname(outPath), '.recgate-export-'));
  const zipTemp = `${outPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const entries: ZipEntry[] = [];
    const place = (name: string): ZipEntry => ({ name, path: join(work, `entry-${entries.length}`) });
    await writeTextEntries(source, baseName, (name) => {
      const entry = place(name);
      entries.push(entry);
      return FileSink.create(entry.path);
    });
    let rendered: VideoResult | undefined;
    if (source.screenStream !== undefined) {
      const entry = place(`${baseName}.${video.format}`);
      rendered = await writeVideo(source, entry.path, video);
      entries.push(entry);
    }
    await writeZip(entries, zipTemp, zipTime(source.meta.startedAt));
    await rename(zipTemp, outPath);
    return { files: entries.map((e) => e.name), ...(rendered ? { video: rendered } : {}) };
  } catch (err) {
    await rm(zipTemp, { force: true });
    if (err instanceof GatewayError) throw err;
    throw new RecordingError(`export to ${outPath} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function writeZip(entries: ZipEntry[], path: string, mtime: Date): Promise<void> {
  const zip = new ZipFile();
  const failed = new Promise<never>((_, reject) => zip.on('error', reject));
  for (const e of entries) zip.addFile(e.path, e.name, { mtime, mode: 0o100600 });
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const written = pipeline(zip.outputStream, file);
  zip.end();
  try {
    await Promise.race([written, failed]);
  } finally {
    file.destroy();
  }
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
