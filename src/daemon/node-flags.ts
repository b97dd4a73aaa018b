/**
 * V8 flags the gateway process runs with. They must be on node's command
 * line (V8 reads them when it creates the heap), so every launcher passes
 * them: bin/recgate.js's shebang, the container image's entrypoint and
 * `npm start` (scripts/start.mjs); `recgate start` logs a warning when they
 * are missing (a service unit that runs `node bin/recgate.js start`).
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
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64', '--heap-growing-percent=200'];

/** The flags above that this process was not started with. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map((a) => a.replace(/_/g, '-')));
  return DAEMON_NODE_FLAGS.filter((f) => !given.has(f));
}
