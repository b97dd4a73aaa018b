/**
 * V8 flags the gateway process runs with. They must be on node's command
 * line (V8 reads them when it creates the heap and the first functions), so
 * every launcher passes them: bin/recgate.js's shebang, the container
 * image's entrypoint and `npm start` (scripts/start.mjs); `recgate start`
 * logs a warning when they are missing (a service unit that runs
 * `node bin/recgate.js start`).
 *
 * --initial-old-space-size=64: relaying bulk traffic promotes a steady
 * trickle of short-lived objects (socket writes and recorded chunks waiting
 * for their I/O) into V8's old generation, while the live heap stays near
 * 20 MB. From the default start V8 sometimes settles on an old-generation
 * limit just above that live size and then runs a full mark-compact every
 * 9 MB relayed: 115 per GiB of SSH output, which doubled the gateway's CPU
 * per MB (user 7.4–8.8 against 3.6–4.5 ms/MB; which of the two a process
 * got was chance). With a 64 MiB initial old generation: 1–3 per GiB, in
 * every process tried, and the same resident memory (≈ 145 MB after 2 GiB).
 *
 * --heap-growing-percent=200: the 64 MiB start holds only until the first
 * mark-compact. V8 then sizes the old generation by a factor it derives from
 * its marking speed against the program's allocation in the heap (1.1 to
 * 4); a relay, which allocates mostly outside the heap, got 1.1, the floor,
 * and from then on V8's task started incremental marking with the old
 * generation at 20 MB: past about 1.5 GiB of SSH output a process ran 50 to
 * 130 mark-compacts per 3 GiB instead of 1 to 3, each freeing under 1 MB,
 * at a fifth more CPU per MB. With the factor fixed at 3 (the limit 79 to 88
 * MB over a live 21 MB) every process tried stayed in the first regime.
 *
 * --interrupt-budget=8192 (V8 11's default is 66 KiB): how much bytecode a
 * function runs between two of V8's looks at whether to optimise it. The
 * keystroke path's functions run once or twice a keystroke (the terminal
 * observer, ssh2's packet code), so with the default many reached optimised
 * code only after 3 000 to 7 000 keystrokes (--trace-opt), and a gateway's
 * first sessions after a start typed through baseline code and the
 * compiler's finishing work. With an eighth of the budget the keystroke path
 * is optimised within the first two thousand: echo p99 after 3 000
 * keystrokes came down from 1.16-1.56 to 0.83-1.01 ms in three alternated
 * pairs (docs/ssh-performance.md), with bulk output's CPU per MB and idle
 * memory level. The database path's steady cost moved within the benches'
 * spread either way (docs/database-performance.md): code that runs
 * thousands of times a second is optimised early with either budget.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64', '--heap-growing-percent=200', '--interrupt-budget=8192'];

/** The flags above that this process was not started with. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map((a) => a.replace(/_/g, '-')));
  return DAEMON_NODE_FLAGS.filter((f) => !given.has(f));
}
