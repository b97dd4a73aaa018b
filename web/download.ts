/**
 * Downloads made in the page: the export zip (the CLI's text files, built
 * here from decrypted chunks) and, for a graphical recording, the exact CLI
 * command that renders its video. Each download is one audit line, posted
 * before the file is handed over.
 *
 * The video is not encoded in the page: the CLI's video is ffmpeg's VP9 or
 * H.264 with its own colour handling (src/export/video.ts), and a page
 * encoder (WebCodecs) would give another file, depend on the browser's
 * codecs and need a container muxer besides; the command gives the same
 * video the CLI always gives.
 */
import { readerSource } from '../src/export/reader-source.js';
import type { AuditorKeyPair } from '../src/seal/keys.js';
import type { Sodium } from '../src/seal/sodium.js';
import * as api from './api.js';
import { openRecording } from './recording-source.js';
import { exportZip } from './zip-blob.js';

/** The command an auditor runs with the key file on their own machine to render the video. */
export function videoCommand(id: string, format: 'mp4' | 'webm' = 'mp4'): string {
  return `recgate recordings export ${id} --key YOUR-KEY-FILE --out ${id}.${format} --video ${format}`;
}

/** Builds the export zip of `view` here, records the download, and hands it to the browser. */
export async function downloadZip(s: Sodium, key: AuditorKeyPair, view: api.RecordingView, progress: (text: string) => void): Promise<string[]> {
  const id = view.summary.id;
  progress(`Building ${id}.zip in this page...`);
  const reader = await openRecording(s, key, view);
  let made: { blob: Blob; files: string[] };
  try {
    made = await exportZip(await readerSource(reader), id);
  } finally {
    reader.close();
  }
  await api.auditEvent({ action: 'download', recording: id, file: 'zip' });
  const url = URL.createObjectURL(made.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${id}.zip`;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click's task is over.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  progress(`Downloaded ${id}.zip: ${made.files.join(', ')}`);
  return made.files;
}

/** Fills `into` with the download controls of the recording on show. */
export function downloadControls(into: HTMLElement, view: api.RecordingView, run: (task: () => Promise<unknown>) => void, ctx: { key(): AuditorKeyPair | null; sodium(): Promise<Sodium>; status(text: string): void }): void {
  const zip = document.createElement('button');
  zip.className = 'download-zip';
  zip.textContent = 'Download export (.zip)';
  zip.addEventListener('click', () =>
    run(async () => {
      const key = ctx.key();
      if (!key) throw new Error('open your key file first');
      zip.disabled = true;
      try {
        await downloadZip(await ctx.sodium(), key, view, ctx.status);
      } finally {
        zip.disabled = false;
      }
    }),
  );
  into.replaceChildren(zip);
  if (view.manifest.streams.some((st) => st.name === 'screen')) {
    const p = document.createElement('p');
    p.className = 'video-command';
    p.append('The zip holds the events; for the video, run with your key file: ');
    const code = document.createElement('code');
    code.textContent = videoCommand(view.summary.id);
    p.append(code);
    into.append(p);
  }
}
