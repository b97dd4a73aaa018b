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
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The flags above that this process was not started with. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map((a) => a.replace(/_/g, '-')));
  return DAEMON_NODE_FLAGS.filter((f) => !given.has(f));
}
