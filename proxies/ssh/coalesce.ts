/**
 * ssh2 hands every encrypted packet to `socket.write` on its own, so a burst
 * of channel data becomes one system call per 32 KiB packet (and per window
 * adjust). Corking the socket at the first write of a turn of the event loop
 * and uncorking it on the next tick turns that burst into one writev, without
 * holding any byte past the turn that wrote it (no added latency).
 *
 * With writes already gathered per turn, Nagle's algorithm can only add
 * delay: a keystroke's echo written while an earlier segment waits for its
 * (delayed) ACK would wait too. So, as OpenSSH does for interactive sessions,
 * both legs send at once (TCP_NODELAY).
 *
 * A packet laid out in a slab (packet-slabs.ts) gets a write callback that
 * gives the slab back once the bytes are written.
 */
import type { Socket } from 'node:net';
import { giveBack, inLentSlab } from './packet-slabs.js';

export function coalesceWrites(socket: Socket | undefined): void {
  if (!socket || typeof socket.cork !== 'function') return;
  socket.setNoDelay(true);
  const write = socket.write as (this: Socket, ...args: unknown[]) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    const chunk = args[0];
    if (args.length === 1 && inLentSlab(chunk)) return write.call(this, chunk, () => giveBack(chunk));
    return write.apply(this, args as unknown[]);
  } as Socket['write'];
}
