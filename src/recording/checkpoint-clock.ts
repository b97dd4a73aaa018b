/**
 * One timer for every recording's checkpoints.
 *
 * Each recorder checkpoints every `checkpointInterval`. With a timer of its
 * own, recordings started apart checkpoint apart, and the store syncs each
 * checkpoint's files alone. Here their times fall on a grid: every recording
 * due at the same grid point checkpoints in one timer callback, so the store
 * can sync their files together (store/sync-group.ts), and hundreds of
 * recordings keep one timer, not hundreds. Recordings started at different
 * times keep different points, so the work stays spread over the interval.
 *
 * Invariants:
 * - a task runs every `interval` ms rounded to the grid, the first time one
 *   interval after it was added, rounded up to the grid;
 * - tasks due at the same grid point run in the order added, PER_TURN to a
 *   callback (the rest in the next turns of the event loop, a millisecond
 *   apart: a checkpoint takes a few hundred microseconds of the loop, and
 *   fifty of them at once would hold every session back that long);
 * - a late callback runs everything due by then, each task once;
 * - the timer is unref'd, armed for the earliest task only, and stopped while
 *   no task is left; a removed task does not run again.
 */

/** The grid of checkpoint times (ms), for intervals of at least ten of it. */
export const CHECKPOINT_GRID_MS = 100;

/** Tasks run in one callback at most. */
export const PER_TURN = 4;

/** The longest delay a Node.js timer takes (a longer one fires at once): a later step waits in steps of it. */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Task {
  run: () => void;
  /** Grid steps between runs. */
  steps: number;
  removed: boolean;
}

export class CheckpointClock {
  /** Tasks by the grid step they are due at. */
  private readonly due = new Map<number, Task[]>();
  private timer: NodeJS.Timeout | undefined;
  /** The step the timer is armed for. */
  private armedFor = Infinity;
  private tasks = 0;

  constructor(
    readonly grid: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs `run` every `interval` ms until the returned function is called. */
  every(interval: number, run: () => void): () => void {
    const task: Task = { run, steps: Math.max(1, Math.round(interval / this.grid)), removed: false };
    this.tasks++;
    this.add(task, Math.ceil((this.now() + interval) / this.grid));
    return () => {
      if (task.removed) return;
      task.removed = true;
      if (--this.tasks === 0) this.stop();
    };
  }

  private add(task: Task, step: number): void {
    const tasks = this.due.get(step);
    if (tasks) tasks.push(task);
    else this.due.set(step, [task]);
    if (step < this.armedFor) this.arm(step);
  }

  private arm(step: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = step;
    this.timer = setTimeout(() => this.tick(), Math.min(MAX_DELAY_MS, Math.max(0, step * this.grid - this.now())));
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.due.clear();
  }

  private tick(): void {
    this.timer = undefined;
    // While the tasks run, add() arms nothing: the timer is armed once, at the end, for the earliest step.
    this.armedFor = -Infinity;
    const step = Math.floor(this.now() / this.grid);
    const ready = [...this.due.keys()].filter((s) => s <= step).sort((a, b) => a - b);
    let failure: { err: unknown } | undefined;
    let ran = 0;
    for (const s of ready) {
      const tasks = this.due.get(s);
      // Every task was stopped by one that ran (a recording ended from its checkpoint).
      if (!tasks) continue;
      this.due.delete(s);
      for (let i = 0; i < tasks.length; i++) {
        const task = tasks[i]!;
        if (task.removed) continue;
        if (ran === PER_TURN) {
          // The rest of this step in the next callback, before anything due later.
          this.due.set(s, tasks.slice(i));
          break;
        }
        ran++;
        // Due again from this step, not from a late one: the task keeps its place on the grid.
        this.add(task, Math.max(s + task.steps, step + 1));
        try {
          task.run();
        } catch (err) {
          failure ??= { err };
        }
      }
      if (ran === PER_TURN) break;
    }
    let earliest = Infinity;
    for (const s of this.due.keys()) earliest = Math.min(earliest, s);
    this.armedFor = Infinity;
    if (earliest < Infinity) this.arm(earliest);
    // As a timer of its own would: a task that throws is an uncaught exception, after the others ran.
    if (failure) throw failure.err;
  }
}

const clocks = new Map<number, CheckpointClock>();

/** The shared clock for tasks every `interval` ms: a grid of CHECKPOINT_GRID_MS, or a tenth of a shorter interval. */
export function checkpointClock(interval: number): CheckpointClock {
  const grid = Math.max(1, Math.min(CHECKPOINT_GRID_MS, Math.floor(interval / 10)));
  let clock = clocks.get(grid);
  if (!clock) clocks.set(grid, (clock = new CheckpointClock(grid)));
  return clock;
}
