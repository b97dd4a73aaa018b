/**
 * What an SSH terminal channel's tap costs per keystroke, without sockets:
 * keys and their echoes are handed to the channel's tap as the relay does
 * (proxies/ssh/deferred-tap.ts in front of the interactive tap, the terminal
 * observer, a real Session and Recorder sealing into a LocalStore), and the
 * process' CPU time is divided by the keystrokes. ssh2, the sockets and the
 * other processes are left out, so the figure shows what a change to the tap
 * is worth where the socket bench (bench/ssh.ts, its CPU µs/key) moves with
 * the machine.
 *
 *   node dist/bench/tap-path.js [--keys 200000] [--runs 5] [--sessions 1,100] [--line 24] [--half recorded|unrecorded]
 *
 * Each session types lines of --line printable keys at a shell prompt, each
 * echoed on its own, then Enter, answered by a line of output and the next
 * prompt: the observer reads the prompt at a line's first echo and the
 * command at its Enter, as at a real shell. With --sessions N the keys go
 * round-robin to N sessions open at once, as N people typing interleave: what
 * a session's state costs when the others' pass between two of its keys (the
 * socket bench's figure is of a tap whose code and data the client, sshd and
 * the kernel have pushed out of the caches between two keys).
 *
 * Each key and its echo is one step: the key is queued and observed, as after
 * the turn that forwarded it, then its echo. The table gives the median and
 * best run's CPU µs a step, and over every measured run the steps' own
 * wall-clock times at the 99th and 99.9th percentile (the tap's tail: a chunk
 * sealed, a collection). Each workload runs recorded, and unrecorded (the
 * session's recording refused: the observer runs, nothing is sealed or
 * stored); `--half` runs one alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { benchArgs } from './args.js';
import { asRead, openSession } from './in-process.js';
import { printTable } from './ssh-routes.js';
import type { Session } from '../src/session/session.js';
import { LocalStore } from '../src/store/local.js';
import { TerminalObserver } from '../src/terminal/index.js';
import { DeferredTap } from '../proxies/ssh/deferred-tap.js';
import { InteractiveTap } from '../proxies/ssh/taps.js';

const PROMPT = 'alice@app01:~$ ';

interface Typist {
  session: Session;
  tap: DeferredTap;
  /** Keys typed on the current line. */
  typed: number;
}

async function openTypist(store: LocalStore, recorded: boolean): Promise<Typist> {
  const session = await openSession(store, 'ssh', recorded);
  session.terminal(0, { term: 'xterm-256color', cols: 80, rows: 24 });
  const fail = (why: unknown): never => {
    throw new Error(`the tap failed: ${String(why)}`);
  };
  const tap = new DeferredTap(new InteractiveTap(session, 0, fail, new TerminalObserver(80, 24)), () => session.now(), () => {}, fail);
  tap.fromTarget(asRead(PROMPT));
  tap.observePending();
  return { session, tap, typed: 0 };
}

/** One key and its echo, each observed as after the turn that forwarded it. */
function step(t: Typist, line: number): void {
  const enter = t.typed === line;
  const key = enter ? '\r' : String.fromCharCode(0x61 + (t.typed % 26));
  t.tap.fromClient(asRead(key));
  t.tap.observePending();
  t.tap.fromTarget(asRead(enter ? `\r\n${'x'.repeat(40)}\r\n${PROMPT}` : key));
  t.tap.observePending();
  t.typed = enter ? 0 : t.typed + 1;
}

interface Run {
  cpuUsPerKey: number;
  /** Each step's wall-clock time, µs. */
  steps: Float64Array;
}

async function runOnce(store: LocalStore, keys: number, sessions: number, line: number, recorded: boolean): Promise<Run> {
  const typists: Typist[] = [];
  for (let k = 0; k < sessions; k++) typists.push(await openTypist(store, recorded));
  const steps = new Float64Array(keys);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < keys; i++) {
    const t0 = performance.now();
    step(typists[i % sessions]!, line);
    steps[i] = (performance.now() - t0) * 1000;
    // The loop turns between keys, as the gateway's does: the recorder's timers and writes run.
    if (i % 64 === 63) await yieldLoop();
  }
  const cpu = process.cpuUsage(cpu0);
  for (const t of typists) {
    t.tap.end();
    const end = await t.session.end('closed');
    if (recorded && !end.recording?.ok) throw new Error(`the recording failed: ${end.recording?.error?.message ?? 'no recording'}`);
  }
  return { cpuUsPerKey: (cpu.user + cpu.system) / keys, steps };
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: { keys: { type: 'string', default: '200000' }, runs: { type: 'string', default: '5' }, sessions: { type: 'string', default: '1,100' }, line: { type: 'string', default: '24' }, half: { type: 'string', default: '' } } });
  const keys = Number(values.keys);
  const runs = Number(values.runs);
  const line = Number(values.line);
  if (!['', 'recorded', 'unrecorded'].includes(values.half)) throw new Error(`--half: recorded or unrecorded, not ${values.half}`);
  const dir = await mkdtemp(join(tmpdir(), 'recgate-tap-path-'));
  try {
    const store = new LocalStore(dir);
    console.log("recgate SSH tap path: keystrokes and their echoes fed through a terminal channel's tap, observer, session and recorder in one process");
    console.log(`${keys} keys per run (lines of ${line} keys and Enter), ${runs} runs after one warm-up\n`);
    const rows: string[][] = [];
    for (const sessions of values.sessions.split(',').map(Number)) {
      for (const recorded of [true, false]) {
        if (values.half === (recorded ? 'unrecorded' : 'recorded')) continue;
        const results: Run[] = [];
        for (let r = 0; r <= runs; r++) {
          const result = await runOnce(store, r === 0 ? Math.min(keys, 20_000) : keys, sessions, line, recorded);
          if (r > 0) results.push(result);
        }
        const cpu = results.map((r) => r.cpuUsPerKey).sort((a, b) => a - b);
        const steps = Float64Array.from(results.flatMap((r) => [...r.steps])).sort();
        const at = (q: number): string => steps[Math.min(steps.length - 1, Math.floor(steps.length * q))]!.toFixed(1);
        rows.push([recorded ? 'recorded' : 'unrecorded', String(sessions), cpu[Math.floor(cpu.length / 2)]!.toFixed(2), cpu[0]!.toFixed(2), at(0.99), at(0.999)]);
      }
    }
    printTable(['half', 'sessions', 'median CPU µs/key', 'best CPU µs/key', 'step p99 µs', 'step p99.9 µs'], rows);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
