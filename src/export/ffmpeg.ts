/**
 * The ffmpeg processes of a video export: an encoder with raw frames on its
 * standard input, and the concatenation of parts encoded side by side into
 * one file without re-encoding (the concat demuxer, `-c copy`).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { RecordingError } from '../errors.js';

/** ffmpeg with raw frames on its standard input; its error output is kept (bounded) for the message. */
export class FfmpegPipe {
  private readonly child;
  private stderr = '';
  private readonly exited: Promise<number | null>;
  private spawnError: Error | undefined;

  constructor(program: string, args: string[]) {
    this.child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += d.toString('utf8');
    });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.spawnError = err;
        resolve(null);
      });
      this.child.on('close', (code) => resolve(code));
    });
  }

  async write(frame: Uint8Array): Promise<void> {
    const written = new Promise<boolean>((resolve) => this.child.stdin.write(frame, (err) => resolve(err == null)));
    const ok = await Promise.race([written, this.exited.then(() => false)]);
    if (!ok) throw await this.failure();
  }

  async end(): Promise<void> {
    this.child.stdin.end();
    const code = await this.exited;
    if (code !== 0) throw await this.failure();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private async failure(): Promise<RecordingError> {
    const code = await this.exited;
    if (this.spawnError) {
      const missing = (this.spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      return new RecordingError(missing ? 'ffmpeg was not found: install it (Debian: apt-get install ffmpeg) to export video' : `ffmpeg did not start: ${this.spawnError.message}`);
    }
    const detail = this.stderr.trim().split('\n').slice(-3).join(' / ');
    return new RecordingError(`ffmpeg failed (exit ${code})${detail ? `: ${detail}` : ''}`);
  }
}

/**
 * Joins video files of the same codec and size, in order, into `out` without
 * re-encoding: the concat demuxer places every file after the one before it.
 */
export async function concatVideos(program: string, parts: string[], listFile: string, out: string, muxer: string): Promise<void> {
  // The concat list quotes each path; a quote inside one is written as '\''.
  await writeFile(listFile, parts.map((p) => `file '${p.replace(/'/g, "'\\''")}'\n`).join(''), { mode: 0o600 });
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', listFile, '-c', 'copy', '-f', muxer, '-y', out];
  const joiner = new FfmpegPipe(program, args);
  await joiner.end();
}
