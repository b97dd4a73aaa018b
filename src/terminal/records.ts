/**
 * Keystrokes as the recording keeps them: each run of bytes with the time of
 * the input chunk it arrived in. Consecutive runs with the same time are
 * joined into one record.
 */

export interface KeystrokeRecord {
  t: number;
  data: Uint8Array;
}

export interface CommandEvent {
  t: number;
  command: string;
  /** Entered in a full-screen program (the alternate screen: an editor's command line, a pager's search, a shell inside tmux). */
  alternate?: boolean;
}

const MASK = 0x2a;

export class RecordQueue {
  private runs: { t: number; pieces: Uint8Array[] }[] = [];

  push(t: number, bytes: Uint8Array, masked: boolean): void {
    const data = masked ? new Uint8Array(bytes.length).fill(MASK) : bytes;
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && last.t === t) last.pieces.push(data);
    else this.runs.push({ t, pieces: [data] });
  }

  take(): KeystrokeRecord[] {
    if (this.runs.length === 0) return [];
    const out = this.runs.map(({ t, pieces }) => ({ t, data: pieces.length === 1 ? pieces[0]! : concat(pieces) }));
    this.runs = [];
    return out;
  }
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of pieces) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
