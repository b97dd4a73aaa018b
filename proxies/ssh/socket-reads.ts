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
 * Memory: an idle socket holds the rest of its region, of which only the
 * pages its reads wrote are resident. A thousand idle sessions are two
 * thousand such sockets, so their regions are small (SSH_REGIONS): 32 to a
 * slab. A database connection's 16 KiB regions cost an idle session 20 to
 * 27 KiB more than Node's own reads; these cost it 5 to 7 (bench/ssh-scale.ts,
 * 1 000 idle sessions). A keystroke's packet is 36 to 100 bytes; a read that
 * fills its region is followed by a 64 KiB one, as for any socket read into
 * slabs.
 */
import type { Socket } from 'node:net';
import { readIntoSlabs, type RegionSizes } from '../wire/slab-reads.js';

const SSH_REGIONS: RegionSizes = { region: 2048, min: 512 };

/** True when `socket`'s reads now go into slabs; false when it stays with Node's own. */
export function readLoggedInIntoSlabs(socket: Socket | undefined): boolean {
  if (!socket || socket.readableLength > 0) return false;
  return readIntoSlabs(socket, (chunk) => socket.emit('data', chunk), SSH_REGIONS);
}
