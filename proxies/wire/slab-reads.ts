/**
 * Reads of a relayed plain-TCP socket straight into regions of shared slabs,
 * through net's `onread` (the user buffer of a stream handle), with no
 * Readable stream in between.
 *
 * Node's own path allocates a 64 KiB buffer for every read, shrinks it to
 * what was read and hands it through the stream's push and 'data' event;
 * a database relay does that twice per statement, for a few hundred bytes.
 * Here each socket reads into a region of a slab shared by every socket,
 * and the next read goes into the rest of the region. A region is written
 * once: what was read stays as it was for as long as anyone holds it (the
 * framers and observers keep subarrays of what they are given, as they did
 * of Node's fresh buffers), and a slab is freed by the garbage collector
 * once nothing refers to it.
 *
 * `onread` can only be given when a socket is made; a relay takes over a
 * socket that a login already read. So the three properties net keeps for
 * it are found by name on a socket made with the option, and set on the
 * relayed socket, whose handle is then told of the buffer: what net itself
 * does in its constructor. Where that is not possible (a TLS socket, a
 * closed one, a Node without those properties) the socket is left to
 * 'data' events.
 */
import { Socket, type SocketConstructorOpts } from 'node:net';
import { TLSSocket } from 'node:tls';

/** After a read that filled its region: a burst (a result set) is read in fewer system calls. */
const LARGE_REGION = 64 * 1024;
const SLAB = 64 * 1024;

/**
 * `region`: a socket's first region, and its next one after a read that left less than `min`.
 * An idle socket holds the rest of its region; only the pages its reads wrote are resident.
 */
export interface RegionSizes {
  region: number;
  min: number;
}

/** A database connection's: a statement or a short answer fits in one read. */
const DATABASE_REGIONS: RegionSizes = { region: 16 * 1024, min: 4 * 1024 };

interface OnreadKeys {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let keys: OnreadKeys | null | undefined;

/** net's own keys for a socket's onread buffer, callback and buffer generator; null where this Node has none. */
export function onreadKeys(): OnreadKeys | null {
  if (keys !== undefined) return keys;
  // Node's types give `onread` to net.connect only; the Socket constructor takes it as well.
  const options = { onread: { buffer: Buffer.alloc(1), callback: () => true } };
  const probe = new Socket(options as SocketConstructorOpts);
  const named = (description: string): symbol | undefined => Object.getOwnPropertySymbols(probe).find((s) => s.description === description);
  const [buffer, callback, generator] = [named('kBuffer'), named('kBufferCb'), named('kBufferGen')];
  probe.destroy();
  keys = buffer && callback && generator ? { buffer, callback, generator } : null;
  return keys;
}

class Slabs {
  private slab = Buffer.alloc(0);
  private used = 0;

  take(size: number): Buffer {
    if (this.slab.length - this.used < size) {
      this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.used = 0;
    }
    const region = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    return region;
  }
}

const slabs = new Slabs();

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

/**
 * Hands every later read of `socket` to `onChunk` as a Buffer of its own (what
 * the socket's Readable still holds first); false when the socket cannot be
 * read this way and stays with 'data' events. Pausing and resuming the
 * socket work as before (net stops and starts the handle's reads).
 */
export function readIntoSlabs(socket: Socket, onChunk: (chunk: Buffer) => void, sizes: RegionSizes = DATABASE_REGIONS): boolean {
  const k = onreadKeys();
  const handle = (socket as unknown as { _handle: Partial<UserBufferHandle> | null })._handle;
  if (k === null || socket instanceof TLSSocket || socket.destroyed || socket.readableEnded || handle == null || typeof handle.useUserBuffer !== 'function') {
    return false;
  }
  // What the socket read before the relay took it, in order, before anything read from now on.
  for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) onChunk(chunk);
  let region = slabs.take(sizes.region);
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[k.buffer] = region;
  fields[k.callback] = (n: number): boolean => {
    const chunk = region.subarray(0, n);
    region = region.length - n >= sizes.min ? region.subarray(n) : slabs.take(n === region.length ? LARGE_REGION : sizes.region);
    try {
      onChunk(chunk);
    } catch (err) {
      // net asks for the next buffer only after a callback that returned: the handle must not read over this chunk.
      fields[k.buffer] = region;
      userBuffer.useUserBuffer(region);
      throw err;
    }
    return true;
  };
  fields[k.generator] = (): Buffer => region;
  const userBuffer = handle as UserBufferHandle;
  userBuffer.useUserBuffer(region);
  return true;
}
