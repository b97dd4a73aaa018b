/**
 * A progress bar on a terminal: one line redrawn in place (carriage return,
 * erase to the end of the line) at most ten times a second, finished with a
 * newline. Where the output is not a terminal (a pipe, a log file, a script)
 * nothing is drawn: no carriage returns end up in someone's log.
 */
const REDRAW_MS = 100;
const WIDTH = 30;

/** The bar's text for `done` of `total`: `label [#####.....]  50%  5/10 unit`. */
export function formatProgress(label: string, done: number, total: number, unit: string): string {
  const share = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(share * WIDTH);
  const percent = String(Math.floor(share * 100)).padStart(3);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${percent}%  ${done}/${total} ${unit}`;
}

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Draws the final state and ends the line (a no-op when nothing was drawn). */
  finish(): void;
}

export function progressBar(out: NodeJS.WriteStream, label: string, unit: string): ProgressBar | undefined {
  if (!out.isTTY) return undefined;
  let last = 0;
  let state: { done: number; total: number } | undefined;
  const draw = (): void => void (state && out.write(`\r${formatProgress(label, state.done, state.total, unit)}\x1b[K`));
  return {
    update(done, total) {
      state = { done, total };
      const now = performance.now();
      if (now - last < REDRAW_MS && done < total) return;
      last = now;
      draw();
    },
    finish() {
      if (!state) return;
      draw();
      out.write('\n');
      state = undefined;
    },
  };
}
