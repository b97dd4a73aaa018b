/**
 * What the benchmarks share: a route and what is measured of a run over it,
 * stopping what a run started however it ends, the command line's options,
 * and the way the baseline proxies (bench/pgbouncer.ts, bench/haproxy.ts)
 * start: a daemon with its config in a temporary folder of its own. The
 * routes themselves are in bench/routes.ts (the gateway's in
 * bench/gateway-route.ts), the tables in bench/report.ts, running a client
 * and what is read from /proc meanwhile in bench/measure.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.js';
import { freePort, run } from '../test/fixtures/gateway-env.js';
import type { Cpu, Steady } from './measure.js';

export { runClient, type Cpu, type Steady } from './measure.js';
import { startServerProcess, type ServerProcessOptions } from '../test/fixtures/server-process.js';

export const firstLine = (text: string): string => text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '(no message)';
export const errorText = (err: unknown): string => firstLine(err instanceof Error ? err.message : String(err));

// --- routes

/** One way from the benchmark client to the server. */
export interface Route {
  name: string;
  /** What the notes under the tables call it, when not its name. */
  short?: string;
  port: number;
  user: string;
  password: string;
  /** The process in the middle, whose CPU time is the proxy's. */
  proxyPid?: number;
  /** Why this route cannot be measured. */
  failure?: string;
}

/** What every benchmark measures of a run. */
export interface Measure {
  tps: number;
  transactions: number;
  cpu: Cpu;
  /** The proxy's CPU between the client's first and last progress reports, when it gives them. */
  steady?: Steady;
  /** The machine's 1-minute load average when the run ended (other work on the machine skews TPS, not CPU per transaction). */
  load: number;
  /** With several rounds: the proxy's CPU µs per transaction of each, in the order run (this is the median one). */
  rounds?: number[];
}

/** What a route goes through: a process on a loopback port. */
export interface Proxy {
  port: number;
  /** The process whose CPU time is the proxy's. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** What to stop when the benchmark ends, the last started first. */
export class Cleanup {
  private readonly stops: Array<() => Promise<void>> = [];

  add(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  async run(): Promise<void> {
    for (let stop = this.stops.pop(); stop; stop = this.stops.pop()) await stop();
  }
}

// --- running

/**
 * Runs a benchmark: `main` hands what it starts to `cleanup`, which stops it
 * all at the end, however it ends; an error ends the process with status 1.
 */
export function runBenchmark(main: (cleanup: Cleanup) => Promise<void>): void {
  const cleanup = new Cleanup();
  main(cleanup)
    .finally(() => cleanup.run())
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}

/**
 * The command line's options (`--name value`): `counts`, with their defaults,
 * must be positive whole numbers; `words`, with theirs, are taken as given.
 */
export function parseOptions<C extends string, W extends string = never>(counts: Record<C, number>, words?: Record<W, string>): Record<C, number> & Record<W, string> {
  const spec: Record<string, { type: 'string'; default: string }> = {};
  for (const [name, value] of Object.entries<number | string>({ ...counts, ...words })) spec[name] = { type: 'string', default: String(value) };
  const { values } = benchArgs({ options: spec });
  const parsed: Record<string, number | string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') continue;
    if (!(name in counts)) parsed[name] = value;
    else {
      const count = Number(value);
      if (!Number.isInteger(count) || count < 1) throw new Error(`--${name} must be a positive whole number`);
      parsed[name] = count;
    }
  }
  return parsed as Record<C, number> & Record<W, string>;
}

/** A comma-separated list of positive whole numbers (`--clients 8,64`). */
export function countList(value: string, option: string): number[] {
  const counts = value.split(',').map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${option} must be positive whole numbers separated by commas`);
  return counts;
}

/** Ends the benchmark, saying how to install it, when something it needs is `missing` (the command that installs it). */
export function exitIfMissing(what: string, missing: string | undefined): void {
  if (missing) {
    console.error(`this benchmark needs ${what}; install it with: ${missing}`);
    process.exit(1);
  }
}

/** Says that the rows of `what`, a baseline proxy, are left out when it is `missing`; returns `missing`. */
export function warnIfMissing(what: string, missing: string | undefined): string | undefined {
  if (missing) console.error(`${what} is not installed, so its rows are left out; install it with: ${missing}`);
  return missing;
}

/** Whether `program` is on the PATH. */
export async function onPath(program: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${program}`])).code === 0;
}

// --- baseline proxies

/** A baseline proxy as its module hands it out. */
export interface Daemon {
  port: number;
  /** Its temporary folder, with its config. */
  dir: string;
  pid: number;
  /** Everything it logged so far. */
  log(): string;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/**
 * A daemon on an ephemeral loopback port with its config in a temporary
 * folder of its own (recgate-NAME-…): `configure` writes the config for that
 * folder and port and says how to run the daemon there. The folder is
 * removed when the daemon stops, or fails to start.
 */
export async function startDaemon(
  name: string,
  configure: (dir: string, port: number) => Promise<Omit<ServerProcessOptions, 'name' | 'dir'>>,
): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), `recgate-${name}-`));
  try {
    const port = await freePort();
    const server = await startServerProcess({ name, dir, ...(await configure(dir, port)) });
    return {
      port,
      dir,
      pid: server.pid,
      log: () => server.log(),
      async stop() {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
