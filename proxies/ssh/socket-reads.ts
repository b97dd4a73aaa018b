/**
 * Once a leg has logged in, its socket is read into shared slabs (the
 * database relays' reads, ../wire/slab-reads.ts) and each read is handed to
 * ssh2 as the 'data' event it listens for, without the Readable stream's
 * work in between: for a keystroke that work came twice (the person's
 * packet, the target's echo), most of it while the gateway's keystroke path
 * still runs unoptimised in a fresh process.
 *
 * Not before the login: an unauthenticated connection reads as Node reads,
 * into buffers of its own. Not when the socket still holds bytes it read
 * (a paused socket): Readable.read() hands those to ssh2 itself, and taking
 * them over would give them twice.
 *
 * Memory: an idle socket holds the rest of its region, up to 16 KiB of a
 * slab, of which only the pages its reads wrote are resident.
 */
import type { Socket } from 'node:net';
import { readIntoSlabs } from '../wire/slab-reads.js';

/** True when `socket`'s reads now go into slabs; false when it stays with Node's own. */
export function readLoggedInIntoSlabs(socket: Socket | undefined): boolean {
  if (!socket || socket.readableLength > 0) return false;
  return readIntoSlabs(socket, (chunk) => socket.emit('data', chunk));
}
